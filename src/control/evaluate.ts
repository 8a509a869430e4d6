import type { ServedStream } from '../actuators/builtin.ts';
import type { Policy } from './config-schema.ts';
import { evaluateFeatures } from './features.ts';
import { evaluateLines, initialLineState } from './policy.ts';
import type { PolicyInput, PolicyResult, StreamControlState } from './types.ts';

/** A stream's control state at start: on the preferred line, every feature enabled. */
export function initialStreamState(lines: readonly string[], policy: Policy, now: number): StreamControlState {
  return { line: initialLineState(lines, policy, now), features: {} };
}

/**
 * A stream's state across a config reload: kept (served line, switch history, hold, pins,
 * features) while its active line is still configured, minus a pin on a line that left the
 * config; a stream whose active line left the config starts afresh on its preferred line.
 */
export function reloadedStreamState(prev: StreamControlState, lines: readonly string[], policy: Policy, now: number): StreamControlState {
  if (!lines.includes(prev.line.active)) return initialStreamState(lines, policy, now);
  if (prev.line.pin === undefined || lines.includes(prev.line.pin.value)) return prev;
  const line = { ...prev.line };
  delete line.pin;
  delete line.pinWarned;
  return { ...prev, line };
}

/**
 * A stream leaving dry-run: its policies decided without acting, so what they think is active can
 * differ from what is served. Re-based on what is served (the line; feature states that disagree
 * are dropped), the next evaluation decides again from there, and this time acts.
 */
export function rebasedOnServed(state: StreamControlState, served: ServedStream | undefined): StreamControlState {
  if (!served) return state;
  const line = served.active === state.line.active ? state.line : { ...state.line, active: served.active, since: served.since };
  const features = Object.fromEntries(Object.entries(state.features).filter(([name, f]) => (served.features[name] ?? true) === f.enabled));
  return { line, features };
}

/** One evaluation of every policy of a stream: lines first, then features against the (new) active line. */
export function evaluateStream(prev: StreamControlState, input: PolicyInput, policy: Policy, now: number): PolicyResult<StreamControlState> {
  const lines = evaluateLines(prev.line, input, policy, now);
  const features = evaluateFeatures(prev.features, { stream: input.stream, active: lines.state.active, incidents: input.incidents }, policy, now);
  return { state: { line: lines.state, features: features.state }, decisions: [...lines.decisions, ...features.decisions] };
}
