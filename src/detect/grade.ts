import type { LineState, CompiledRule } from './line-health.ts';
import { pickLead } from './lead.ts';
import { sharedRules } from './source-fault.ts';
import { activeReasons } from './line-health.ts';
import type { DetectorSettings } from './rules-schema.ts';
import { LEVEL_RANK, type Level, type Severity } from '../model/severity.ts';
import { type IncidentEvent, type IncidentKind, type IncidentScope, type RegionEvidence } from '../model/incident.ts';

/**
 * Cross-region grading for one stream. Runs only when a view of the stream changes level (or a
 * probe's blindness changes), so its allocations are off the per-sample hot path.
 *
 * Region view of a line = the best level among that region's non-excluded probes (one probe per
 * region is the norm; a region is ok if any of its probes sees the line ok).
 *
 * Keys and severities (dedup key `stream/line/kind`):
 * - `s/l/down`      P1 when any region sees line l down (scope `regional`, or `line` when every
 *                   region does). When every line with data is down in every region, the stream is
 *                   down: the *lead* line's down incident is raised to P0 (scope `stream`, cause
 *                   `stream-down`, `related` = the other lines' down keys, which stay P1). Lead:
 *                   `pickLead` (lead.ts) — the line already carrying the P0, else the one whose
 *                   down incident opened first, else the first line in config order.
 *                   So "kill primary → P1 on s/primary/down; kill backup too → s/primary/down raised to P0 (s/backup/down opens at P1)".
 *                   Start-up grace: until every configured line has reported (or `startupGraceWindows`
 *                   windows after the stream's first sample), no new P0 is graded: a line still
 *                   connecting at hub start is unknown, not down.
 * - `s/l/degraded`  P2 when any region sees line l degraded (and not down). When every line with
 *                   data (two or more) is degraded in every region by a rule they share
 *                   (source-fault.ts: both fell to 360p, both too loud), it is the source's fault:
 *                   the lead line's degraded incident (pickLead) gets scope `stream`, cause
 *                   `source-degraded` and `related` = the other lines' degraded keys (which keep
 *                   their own P2, scope `line`). One line degraded while another is not stays that
 *                   line's (scope `line` or `regional`).
 * - single-probe:   a probe that sees the line worse than another probe of the same region → P3.
 * - blip:           an incident that clears within blipMs of opening is lowered to P3 on clear
 *                   (`clear` event with severity P3, previous = the severity it had, cause `blip`).
 * - a probe that is excluded (blind) contributes nothing: if that withdraws all evidence of an
 *   incident it clears with cause `probe-blind` (not a blip).
 * - restored (after a hub restart): absence of data is not health. A restored incident keeps its
 *   state until fresh views of its line speak: each region of its evidence either sees the line at
 *   the incident's level again (from then on it is graded as any incident) or sees it healthy for
 *   the clear time (`showsHealthy`). Until every one of those regions has spoken it is not cleared.
 * Onset of an incident = the earliest first-bad-sample t among its evidence (probe clocks).
 */

export interface ActiveIncident {
  key: string;
  kind: IncidentKind;
  stream?: string;
  line?: string;
  probe?: string;
  severity: Severity;
  scope: IncidentScope;
  openedAt: number;
  onset: number;
  regions: RegionEvidence[];
  /** region → first-seen onset (never forgotten while the incident is active). */
  firstSeen: Record<string, number>;
  related?: string[];
}

/** Views of one stream, by line, from every probe. */
export interface StreamViews {
  id: string;
  /** Config order of lines (lines not configured follow in first-seen order). */
  lineOrder: string[];
  lines: Map<string, LineState[]>;
  incidents: Map<string, ActiveIncident>;
  /**
   * Hub time until which a line of `lineOrder` without any view is unknown rather than absent
   * (set at the stream's first sample: start-up grace). While a configured line is unknown the
   * stream is not graded down as a whole (P0): only an already-P0 lead keeps its P0.
   */
  graceUntil?: number;
  /**
   * Incidents restored after a hub restart that fresh views have not settled yet: key → the
   * regions of their evidence not heard from since (see the module comment).
   */
  restored: Map<string, Set<string>>;
}

interface Candidate {
  key: string;
  kind: IncidentKind;
  line: string;
  severity: Severity;
  scope: IncidentScope;
  views: LineState[];
  related?: string[];
  cause?: IncidentEvent['cause'];
}

export function incidentKey(stream: string, line: string, kind: IncidentKind): string {
  return `${stream}/${line}/${kind}`;
}

function evidence(v: LineState, rules: readonly CompiledRule[], level: Level = v.level): RegionEvidence {
  const e: RegionEvidence = { region: v.region, probe: v.probe, level, onset: v.onset, seenAt: v.since, reasons: activeReasons(v, rules) };
  if (v.onsetSample) e.sample = v.onsetSample;
  return e;
}

/** Grades the stream and appends open/raise/lower/update/clear events to `out`. */
export function gradeStream(
  sv: StreamViews,
  excluded: (probe: string) => boolean,
  rules: readonly CompiledRule[],
  settings: DetectorSettings,
  now: number,
  out: IncidentEvent[],
): void {
  const candidates = new Map<string, Candidate>();
  let linesWithData = 0;
  let linesAllDown = 0;
  let linesUnknown = 0;
  const allDownLines: string[] = [];

  for (const line of sv.lineOrder) {
    const views = sv.lines.get(line);
    if (!views || views.length === 0) {
      linesUnknown++;
      continue;
    }
    const best = new Map<string, LineState>();
    for (const v of views) {
      if (excluded(v.probe)) continue;
      const b = best.get(v.region);
      if (!b || LEVEL_RANK[v.level] < LEVEL_RANK[b.level]) best.set(v.region, v);
    }
    if (best.size === 0) continue;
    linesWithData++;
    const down: LineState[] = [];
    const degraded: LineState[] = [];
    const oddDown: LineState[] = [];
    const oddDegraded: LineState[] = [];
    for (const b of best.values()) {
      if (b.level === 'down') down.push(b);
      else if (b.level === 'degraded') degraded.push(b);
    }
    if (best.size < views.length) {
      for (const v of views) {
        if (excluded(v.probe) || LEVEL_RANK[v.level] <= LEVEL_RANK[best.get(v.region)!.level]) continue;
        (v.level === 'down' ? oddDown : oddDegraded).push(v);
      }
    }
    const allDown = down.length === best.size;
    if (allDown) {
      linesAllDown++;
      allDownLines.push(line);
    }
    if (down.length > 0) {
      const key = incidentKey(sv.id, line, 'down');
      candidates.set(key, { key, kind: 'down', line, severity: 'P1', scope: allDown ? 'line' : 'regional', views: down });
    } else if (oddDown.length > 0) {
      const key = incidentKey(sv.id, line, 'down');
      candidates.set(key, { key, kind: 'down', line, severity: 'P3', scope: 'single-probe', views: oddDown });
    }
    if (degraded.length > 0) {
      const key = incidentKey(sv.id, line, 'degraded');
      candidates.set(key, { key, kind: 'degraded', line, severity: 'P2', scope: degraded.length === best.size ? 'line' : 'regional', views: degraded });
    } else if (oddDegraded.length > 0) {
      const key = incidentKey(sv.id, line, 'degraded');
      candidates.set(key, { key, kind: 'degraded', line, severity: 'P3', scope: 'single-probe', views: oddDegraded });
    }
  }

  if (linesWithData > 0 && linesAllDown === linesWithData) {
    const leadLine = pickLead(
      allDownLines.map((line) => {
        const inc = sv.incidents.get(incidentKey(sv.id, line, 'down'));
        return { line, kind: 'down' as const, ...(inc && { severity: inc.severity, openedAt: inc.openedAt }) };
      }),
      sv.lineOrder,
    )!.line;
    const lead = candidates.get(incidentKey(sv.id, leadLine, 'down'))!;
    // A configured line that has not reported yet (start-up grace) may well be up: no new P0 on
    // the lines with data alone. An incident that already is P0 (e.g. restored) is kept: an
    // unknown line cannot refute it.
    const inGrace = linesUnknown > 0 && sv.graceUntil !== undefined && now < sv.graceUntil;
    if (!inGrace || sv.incidents.get(lead.key)?.severity === 'P0') {
      lead.severity = 'P0';
      lead.scope = 'stream';
      lead.cause = 'stream-down';
      lead.related = allDownLines.filter((l) => l !== leadLine).map((l) => incidentKey(sv.id, l, 'down'));
    }
  } else {
    markSourceDegraded(sv, candidates, linesWithData, rules);
  }

  if (sv.restored.size > 0) settleRestored(sv, excluded, rules);

  // Diff against the active incidents of this stream.
  for (const c of candidates.values()) {
    const regions = c.views.map((v) => evidence(v, rules));
    let onset = Infinity;
    for (const r of regions) if (r.onset < onset) onset = r.onset;
    const cur = sv.incidents.get(c.key);
    if (!cur) {
      // Without a prototype: a region may be named "constructor" or "__proto__".
      const firstSeen: Record<string, number> = Object.create(null) as Record<string, number>;
      for (const r of regions) if (!Object.hasOwn(firstSeen, r.region)) firstSeen[r.region] = r.onset;
      const inc: ActiveIncident = { key: c.key, kind: c.kind, stream: sv.id, line: c.line, severity: c.severity, scope: c.scope, openedAt: now, onset, regions, firstSeen };
      if (c.related) inc.related = c.related;
      sv.incidents.set(c.key, inc);
      out.push(toEvent('open', inc, now, c.cause));
      continue;
    }
    let newRegion = false;
    for (const r of regions) {
      if (!Object.hasOwn(cur.firstSeen, r.region)) {
        cur.firstSeen[r.region] = r.onset;
        newRegion = true;
      }
    }
    if (onset < cur.onset) cur.onset = onset;
    const previous = cur.severity;
    const scopeChanged = cur.scope !== c.scope;
    cur.regions = regions;
    cur.scope = c.scope;
    if (c.related) cur.related = c.related;
    else delete cur.related;
    if (previous !== c.severity) {
      cur.severity = c.severity;
      const type = rankOf(c.severity) < rankOf(previous) ? 'raise' : 'lower';
      const ev = toEvent(type, cur, now, c.cause);
      ev.previous = previous;
      out.push(ev);
    } else if (newRegion || scopeChanged) {
      out.push(toEvent('update', cur, now, scopeChanged ? c.cause : undefined));
    }
  }

  for (const [key, inc] of sv.incidents) {
    if (candidates.has(key) || sv.restored.has(key)) continue;
    sv.incidents.delete(key);
    const withdrawn = inc.regions.length > 0 && inc.regions.every((r) => excluded(r.probe));
    const blip = !withdrawn && now - inc.openedAt < settings.blipMs && inc.severity !== 'P3';
    const ev = toEvent('clear', inc, now, withdrawn ? 'probe-blind' : blip ? 'blip' : undefined);
    ev.previous = inc.severity;
    if (blip) ev.severity = 'P3';
    out.push(ev);
  }
}

/** Every line with data degraded everywhere by a rule they share: the lead's incident is the source's (scope stream). */
function markSourceDegraded(sv: StreamViews, candidates: Map<string, Candidate>, linesWithData: number, rules: readonly CompiledRule[]): void {
  const degraded = [...candidates.values()].filter((c) => c.kind === 'degraded' && c.scope === 'line');
  if (degraded.length !== linesWithData || sharedRules(degraded.map((c) => c.views), rules).length === 0) return;
  const leadLine = pickLead(
    degraded.map((c) => {
      const inc = sv.incidents.get(c.key);
      return { line: c.line, kind: c.kind, ...(inc && { severity: inc.severity, openedAt: inc.openedAt }) };
    }),
    sv.lineOrder,
  )!.line;
  const lead = candidates.get(incidentKey(sv.id, leadLine, 'degraded'))!;
  lead.scope = 'stream';
  lead.cause = 'source-degraded';
  lead.related = degraded.filter((c) => c !== lead).map((c) => c.key);
}

/** Drops from each restored incident the regions whose fresh views have settled it (see the module comment). */
function settleRestored(sv: StreamViews, excluded: (probe: string) => boolean, rules: readonly CompiledRule[]): void {
  for (const [key, regions] of sv.restored) {
    const inc = sv.incidents.get(key);
    const views = inc?.line === undefined ? undefined : sv.lines.get(inc.line);
    if (inc && views) {
      for (const v of views) {
        if (regions.has(v.region) && !excluded(v.probe) && (v.level === inc.kind || showsHealthy(v, inc.kind, rules))) regions.delete(v.region);
      }
    }
    if (!inc || regions.size === 0) sv.restored.delete(key);
  }
}

/**
 * Fresh evidence that a view's line is clear of `kind`: the view is ok with no rule yielding
 * `kind` on a pending bad run (a new view starts ok: a line that is down but not yet for a rule's
 * `for` looks healthy for a moment), and has been for those rules' longest clearFor, counted from
 * its last impaired sample at the earliest (an impaired probe's view says nothing either way). A
 * view in its grace has not judged its quality yet: no evidence about `degraded`.
 */
function showsHealthy(v: LineState, kind: IncidentKind, rules: readonly CompiledRule[]): boolean {
  if (v.level !== 'ok' || (kind === 'degraded' && v.lastT <= v.graceUntil)) return false;
  let clearMs = 0;
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i]!;
    if (r.yields !== kind) continue;
    if (v.badStart[i] === v.badStart[i]) return false;
    if (r.clearForMs > clearMs) clearMs = r.clearForMs;
  }
  return v.trustedSince === v.trustedSince && v.lastSeenAt - Math.max(v.since, v.trustedSince) >= clearMs;
}

function rankOf(s: Severity): number {
  return s === 'P0' ? 0 : s === 'P1' ? 1 : s === 'P2' ? 2 : 3;
}

export function toEvent(type: IncidentEvent['type'], inc: ActiveIncident, now: number, cause?: IncidentEvent['cause']): IncidentEvent {
  const ev: IncidentEvent = {
    type,
    key: inc.key,
    kind: inc.kind,
    severity: inc.severity,
    scope: inc.scope,
    onset: inc.onset,
    at: now,
    openedAt: inc.openedAt,
    regions: inc.regions,
  };
  if (inc.stream !== undefined) ev.stream = inc.stream;
  if (inc.line !== undefined) ev.line = inc.line;
  if (inc.probe !== undefined) ev.probe = inc.probe;
  if (cause) ev.cause = cause;
  if (inc.related && inc.related.length > 0) ev.related = [...inc.related];
  return ev;
}
