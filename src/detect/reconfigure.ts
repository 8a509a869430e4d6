import type { IncidentEvent } from '../model/incident.ts';
import type { DetectorContext, DetectorState } from './detector.ts';
import { gradeStream, type StreamViews } from './grade.ts';
import { remapRules, type CompiledRule, type LineState } from './line-health.ts';
import { excludedProbes } from './probe-watch.ts';
import { forgetStream, forgetView } from './forget.ts';

/**
 * Moves a running detector's state onto another compiled config (a config reload), in place:
 *
 * - a stream the old config had and the new one does not: its views and incidents are dropped
 *   (the incident manager resolves those incidents, see src/app/hub.ts) and its later samples are
 *   ignored (a probe may not have been told yet); the same for a line removed from a stream;
 * - a stream or line that stays keeps its views, levels and incidents; a stream that gains a
 *   line not yet reported gets a fresh start-up grace, as a stream does at hub start; a stream
 *   added by the reload starts in grace with its first sample, as at hub start;
 * - rules: per-rule runs are carried over by rule name (line-health.ts remapRules); thresholds and
 *   settings apply from the next sample or tick on;
 * - streams whose lines changed are graded again: the events are returned.
 *
 * Streams the old config did not have (samples of unconfigured streams) are left alone.
 */
export function reconfigure(ctx: DetectorContext, state: DetectorState, next: DetectorContext, now: number): IncidentEvent[] {
  const remap = sameRules(ctx.rules.rules, next.rules.rules) ? undefined : (st: LineState) => remapRules(st, ctx.rules.rules, next.rules.rules);
  if (remap) for (const p of state.probes.values()) for (const lines of p.views.values()) for (const st of lines.values()) remap(st);

  for (const id of next.streams.keys()) state.retired.delete(id);
  const regrade: StreamViews[] = [];
  for (const [id, cfg] of ctx.streams) {
    const nextCfg = next.streams.get(id);
    if (!nextCfg) {
      dropStream(state, id);
      continue;
    }
    const removed = Object.keys(cfg.lines).filter((line) => !(line in nextCfg.lines));
    for (const line of Object.keys(nextCfg.lines)) state.retired.delete(`${id}\u0000${line}`);
    for (const line of removed) dropLine(state, id, line);
    const sv = state.streams.get(id);
    if (!sv) continue;
    const lineOrder = [...Object.keys(nextCfg.lines), ...sv.lineOrder.filter((l) => !(l in nextCfg.lines) && !removed.includes(l))];
    if (lineOrder.join('\u0000') === sv.lineOrder.join('\u0000')) continue;
    sv.lineOrder = lineOrder;
    const unheard = lineOrder.some((l) => (sv.lines.get(l)?.length ?? 0) === 0);
    if (unheard && sv.graceUntil !== undefined) {
      sv.graceUntil = now + next.settings.startupGraceWindows * windowOf(sv);
      state.awaiting.add(sv);
    }
    regrade.push(sv);
  }

  const events: IncidentEvent[] = [];
  const excluded = excludedProbes(state.probes);
  for (const sv of regrade) gradeStream(sv, excluded, next.rules.rules, next.settings, now, events);
  return events;
}

function sameRules(a: readonly CompiledRule[], b: readonly CompiledRule[]): boolean {
  return a.length === b.length && a.every((r, i) => r.name === b[i]!.name);
}

function dropStream(state: DetectorState, id: string): void {
  forgetStream(state, id);
  state.retired.add(id);
}

function dropLine(state: DetectorState, id: string, line: string): void {
  const sv = state.streams.get(id);
  if (sv) {
    sv.lines.delete(line);
    for (const [key, inc] of sv.incidents) {
      if (inc.line !== line) continue;
      sv.incidents.delete(key);
      sv.restored.delete(key);
    }
  }
  for (const p of state.probes.values()) {
    const lines = p.views.get(id);
    const st = lines?.get(line);
    if (!lines || !st) continue;
    forgetView(p, st);
    lines.delete(line);
    if (lines.size === 0) p.views.delete(id);
  }
  state.retired.add(`${id}\u0000${line}`);
}

/** The window of the stream's probes (the start-up grace is counted in windows). */
function windowOf(sv: StreamViews): number {
  for (const views of sv.lines.values()) for (const v of views) return v.windowMs;
  return 1000;
}
