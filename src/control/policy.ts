import type { Level, Severity } from '../model/severity.ts';
import type { Policy } from './config-schema.ts';
import type { Decision, IncidentView, LineControlState, LineHealth, PolicyInput, PolicyResult, StreamHealth } from './types.ts';

/**
 * Line policies, pure: (state, input, policy, now) → (state, decisions). No I/O, nothing mutated.
 *
 * Order of one evaluation:
 * 1. pin: an operator's pin holds the line until it expires (a pinned line that is unusable is reported once).
 * 2. failover: the active line is unusable (down — or degraded with `failoverAt: degraded` — in some
 *    region; a content fault alone, such as a black picture, only when it is everywhere) → switch to the best other line that is `ok` in every affected region and down nowhere;
 *    a line not yet seen is never a candidate. None → no switch, escalate once ("no healthy line",
 *    P0 when the active line is down everywhere, else P1). Leaving an unusable line is never delayed
 *    by dwell, hold-off or the hourly cap (a line that is down is never "held").
 * 3. failback (`primary-preferred` only): the preferred line has been `ok` in every region it is seen
 *    in for the hold-off (holdOff × failovers in the last hour, capped at maxHoldOff), and the active
 *    line for minDwell → switch back. If the switch and a following failover could exceed
 *    maxSwitchesPerHour, hold the line instead and escalate (flapping, P1), once per hold.
 */

export const HOUR = 3_600_000;

const RANK: Record<Level, number> = { ok: 0, degraded: 1, down: 2 };

export function initialLineState(lines: readonly string[], policy: Policy, now: number): LineControlState {
  const active = policy.preferred !== undefined && lines.includes(policy.preferred) ? policy.preferred : lines[0];
  if (active === undefined) throw new Error('a stream needs at least one line');
  return { active, since: now, switches: [], failovers: [] };
}

export function preferredLine(lines: readonly string[], policy: Policy): string {
  return policy.preferred !== undefined && lines.includes(policy.preferred) ? policy.preferred : lines[0]!;
}

/**
 * Regions where `line` is unusable at the policy's threshold. A region held there by a content
 * fault alone (black picture, silence, loudness: RegionHealth.content) counts only when the line
 * is unusable in every region it is seen in: the same bytes reach every region, so black in one
 * region only is that region's edge or its probe's decoding, and its viewers are rerouted there
 * (`/play?region=`, resolve.ts) rather than every region moved off a line that plays for them.
 */
export function unusableRegions(h: LineHealth | undefined, at: Policy['failoverAt']): string[] {
  if (!h) return [];
  const min = at === 'down' ? RANK.down : RANK.degraded;
  const regions = Object.entries(h);
  const bad = regions.filter(([, r]) => RANK[r.level] >= min);
  const everywhere = bad.length === regions.length;
  return bad
    .filter(([, r]) => everywhere || r.content !== true)
    .map(([region]) => region)
    .sort();
}

/** Seen in at least one region. */
export function isSeen(h: LineHealth | undefined): h is LineHealth {
  return h !== undefined && Object.keys(h).length > 0;
}

/** `ok` in every region it is seen in (and seen somewhere); since when (the latest region to become ok). */
export function healthySince(h: LineHealth | undefined): number | undefined {
  if (!isSeen(h)) return undefined;
  let since = -Infinity;
  for (const r of Object.values(h)) {
    // Impaired time is no evidence of health: the hold-off counts trusted time only.
    if (r.level !== 'ok' || r.impaired) return undefined;
    since = Math.max(since, r.since, r.trustedSince ?? -Infinity);
  }
  return since;
}

/**
 * The best line other than `active` for the affected regions: seen, `ok` in each affected region,
 * down in none. Ranked by regions not ok, then config order. Undefined when there is none.
 */
export function bestCandidate(lines: readonly string[], health: StreamHealth, active: string, affected: readonly string[]): string | undefined {
  let best: { line: string; bad: number; order: number } | undefined;
  lines.forEach((line, order) => {
    if (line === active) return;
    const h = health[line];
    if (!isSeen(h)) return;
    const regions = Object.values(h);
    if (regions.some((r) => r.level === 'down')) return;
    if (affected.some((region) => h[region]?.level !== 'ok')) return;
    const bad = regions.filter((r) => r.level !== 'ok').length;
    if (!best || bad < best.bad || (bad === best.bad && order < best.order)) best = { line, bad, order };
  });
  return best?.line;
}

/** The failback hold-off in effect: holdOff × failovers in the last hour (at least 1×), capped. */
export function effectiveHoldOff(state: LineControlState, policy: Policy): number {
  return Math.min(policy.holdOffMs * Math.max(1, state.failovers.length), policy.maxHoldOffMs);
}

function incidentFor(incidents: readonly IncidentView[], line: string): IncidentView | undefined {
  const mine = incidents.filter((i) => i.line === line);
  mine.sort((a, b) => (a.kind === 'down' ? 0 : 1) - (b.kind === 'down' ? 0 : 1) || a.severity.localeCompare(b.severity) || a.onset - b.onset);
  return mine[0];
}

function fmtMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

function withIncident<T extends Decision>(d: T, inc: IncidentView | undefined): T {
  if (inc) {
    d.incidentKey = inc.key;
    d.onset = inc.onset;
  }
  return d;
}

export function evaluateLines(prev: LineControlState, input: PolicyInput, policy: Policy, now: number): PolicyResult<LineControlState> {
  const { stream, lines, health, incidents } = input;
  const decisions: Decision[] = [];
  const state: LineControlState = {
    ...prev,
    switches: prev.switches.filter((t) => now - t < HOUR),
    failovers: prev.failovers.filter((t) => now - t < HOUR),
  };

  // 1. Pin.
  if (state.pin && now >= state.pin.until) {
    const pin = state.pin;
    delete state.pin;
    delete state.pinWarned;
    decisions.push({ type: 'note', stream, policy: 'pin', reason: 'pin-expired', why: `pin of line "${pin.value}" by ${pin.by} expired ("${pin.reason}"); policies resume`, by: pin.by });
  }
  if (state.pin) {
    const pin = state.pin;
    if (state.active !== pin.value) {
      decisions.push({ type: 'switch', stream, policy: 'pin', from: state.active, to: pin.value, reason: 'manual', why: `pinned by ${pin.by}: ${pin.reason}`, by: pin.by });
      state.active = pin.value;
      state.since = now;
    }
    const bad = unusableRegions(health[pin.value], policy.failoverAt);
    if (bad.length > 0 && !state.pinWarned) {
      state.pinWarned = true;
      const inc = incidentFor(incidents, pin.value);
      decisions.push(
        withIncident(
          { type: 'escalate', stream, policy: 'pin', reason: 'pinned-line-unusable', severity: 'P1', why: `line "${pin.value}" is pinned by ${pin.by} until ${new Date(pin.until).toISOString()} and unusable in ${bad.join(', ')}: not switching` },
          inc,
        ),
      );
    } else if (bad.length === 0) delete state.pinWarned;
    return { state, decisions };
  }

  // 2. Failover.
  const active = state.active;
  const affected = unusableRegions(health[active], policy.failoverAt);
  if (affected.length > 0) {
    const inc = incidentFor(incidents, active);
    const to = bestCandidate(lines, health, active, affected);
    if (to !== undefined) {
      const level = affected.map((r) => `${r}: ${health[active]![r]!.level}`).join(', ');
      decisions.push(withIncident({ type: 'switch', stream, policy: 'failover', from: active, to, reason: 'failover', why: `line "${active}" unusable (${level}); "${to}" is ok there` }, inc));
      state.active = to;
      state.since = now;
      state.switches = [...state.switches, now];
      state.failovers = [...state.failovers, now];
      delete state.noHealthySince;
      delete state.noHealthySeverity;
      return { state, decisions };
    }
    // At start-up a line that has not reported yet is unknown: wait for it (or the grace end) before saying "none".
    if (input.awaiting && lines.some((l) => l !== active && !isSeen(health[l]))) return { state, decisions };
    const h = health[active]!;
    const everywhere = Object.values(h).every((r) => r.level === 'down');
    const severity: Severity = everywhere ? 'P0' : 'P1';
    if (state.noHealthySince === undefined || (state.noHealthySeverity === 'P1' && severity === 'P0')) {
      state.noHealthySince ??= now;
      state.noHealthySeverity = severity;
      const others = lines
        .filter((l) => l !== active)
        .map((l) => `${l}: ${describe(health[l])}`)
        .join('; ');
      decisions.push(
        withIncident(
          { type: 'escalate', stream, policy: 'failover', reason: 'no-healthy-line', severity, why: `line "${active}" unusable in ${affected.join(', ')} and no other line is healthy there (${others || 'no other line'}): not switching` },
          inc,
        ),
      );
    }
    return { state, decisions };
  }
  if (state.noHealthySince !== undefined) {
    delete state.noHealthySince;
    delete state.noHealthySeverity;
    decisions.push({ type: 'note', stream, policy: 'failover', reason: 'line-usable-again', why: `line "${active}" is usable again` });
  }

  // 3. Failback.
  const preferred = preferredLine(lines, policy);
  if (policy.failback !== 'primary-preferred' || active === preferred) {
    if (state.hold && active === preferred) delete state.hold;
    return { state, decisions };
  }
  const okSince = healthySince(health[preferred]);
  if (okSince === undefined) return { state, decisions };
  const holdOff = effectiveHoldOff(state, policy);
  if (now - okSince < holdOff || now - state.since < policy.minDwellMs) return { state, decisions };
  if (state.switches.length + 2 > policy.maxSwitchesPerHour) {
    if (!state.hold) {
      state.hold = { since: now, reason: 'flapping' };
      decisions.push({
        type: 'escalate',
        stream,
        policy: 'flap-damping',
        reason: 'flapping',
        severity: 'P1',
        why: `${state.switches.length} switches in the last hour (max ${policy.maxSwitchesPerHour}): holding line "${active}" instead of failing back to "${preferred}"`,
        incidentKey: `${stream}/${preferred}/down`,
      });
    }
    return { state, decisions };
  }
  if (state.hold) {
    delete state.hold;
    decisions.push({ type: 'note', stream, policy: 'flap-damping', reason: 'hold-released', why: `switch budget available again (${state.switches.length} in the last hour, max ${policy.maxSwitchesPerHour})` });
  }
  decisions.push({
    type: 'switch',
    stream,
    policy: 'failback',
    from: active,
    to: preferred,
    reason: 'failback',
    why: `preferred line "${preferred}" healthy for ${fmtMs(now - okSince)} (hold-off ${fmtMs(holdOff)})`,
    incidentKey: `${stream}/${preferred}/down`,
  });
  state.active = preferred;
  state.since = now;
  state.switches = [...state.switches, now];
  return { state, decisions };
}

function describe(h: LineHealth | undefined): string {
  if (!isSeen(h)) return 'not seen';
  return Object.entries(h)
    .map(([r, v]) => `${r} ${v.level}`)
    .join(', ');
}

/** Operator pin: hold `line` until `until` (switches to it at once when it is not active). */
export function pinLine(prev: LineControlState, stream: string, lines: readonly string[], pin: { line: string; until: number; reason: string; by: string }, now: number): PolicyResult<LineControlState> {
  if (!lines.includes(pin.line)) throw new Error(`stream "${stream}" has no line "${pin.line}" (lines: ${lines.join(', ')})`);
  if (!(pin.until > now)) throw new Error('a pin needs an expiry in the future');
  if (!pin.reason.trim()) throw new Error('a pin needs a reason');
  const state: LineControlState = { ...prev, pin: { value: pin.line, until: pin.until, reason: pin.reason, by: pin.by, at: now } };
  delete state.pinWarned;
  delete state.hold;
  delete state.noHealthySince;
  delete state.noHealthySeverity;
  const decisions: Decision[] = [{ type: 'note', stream, policy: 'pin', reason: 'pin-set', by: pin.by, why: `line "${pin.line}" pinned by ${pin.by} until ${new Date(pin.until).toISOString()}: ${pin.reason}` }];
  if (state.active !== pin.line) {
    decisions.push({ type: 'switch', stream, policy: 'pin', from: state.active, to: pin.line, reason: 'manual', by: pin.by, why: `pinned by ${pin.by}: ${pin.reason}` });
    state.active = pin.line;
    state.since = now;
  }
  return { state, decisions };
}

/** Removes a pin (policies resume at the next evaluation); also releases a flap hold and resets the hour's switch budget. */
export function unpinLine(prev: LineControlState, stream: string, by: string, reason: string): PolicyResult<LineControlState> {
  const state: LineControlState = { ...prev };
  const had = state.pin ?? state.hold;
  // Releasing a flap hold is the operator taking over the switch budget: it starts afresh.
  if (state.hold) {
    state.switches = [];
    state.failovers = [];
  }
  delete state.pin;
  delete state.pinWarned;
  delete state.hold;
  if (!had) return { state, decisions: [] };
  return { state, decisions: [{ type: 'note', stream, policy: 'pin', reason: 'pin-cleared', by, why: `pin/hold on stream "${stream}" cleared by ${by}: ${reason}` }] };
}
