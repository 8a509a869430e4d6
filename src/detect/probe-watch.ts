import type { ActiveIncident, StreamViews } from './grade.ts';
import type { Impairment } from './impairment.ts';
import type { LineState } from './line-health.ts';
import type { DetectorSettings } from './rules-schema.ts';

/**
 * A blind probe is not a dead stream. A probe is blind when
 * - `silent`: no sample or heartbeat for settings.silentIntervals heartbeat intervals (hub clock), or
 * - `all-failing`: every view it has is down, covering ≥ allFailMinStreams distinct streams, the
 *   downs began within allFailWithinMs of each other (hub clock), and either ≥ allFailOthersFineShare
 *   of those streams are seen not down by a witness (a probe of another region, neither silent nor
 *   impaired), or no witness confirms any of them down (allFailUnconfirmed: `blind`, the default:
 *   the probe is alone, or every other is silent or impaired). A probe that is all-failing itself is
 *   a witness: two regions seeing every stream fail at once confirm each other (a real outage).
 * A blind probe raises `probe/<probe>/blind` (P2, scope `probe`) and its views are excluded from
 * grading, so it neither raises nor worsens stream incidents. It stops being blind when it is heard
 * again (silent, at once) or, checked on the next tick, when one of its views is no longer down or
 * the others stop seeing the streams fine (all-failing: then the outage is real and its views count
 * again). Becoming all-failing is decided when the probe's last view goes down; until then a view
 * of a probe that could turn out all-failing (it watches ≥ allFailMinStreams streams) going down is
 * held back from grading (`heldDowns`): released — graded — at the probe's next sample of a view that
 * is not down (it is not all-failing: a remote probe's window comes in one batch, so that is at
 * once), when its last view goes down and it is not all-failing (confirmed: a real outage), or on
 * the first tick one heartbeat interval after the first held down. So a probe that sees everything
 * fail at once opens, switches and tickets nothing on its way to blind.
 *
 * Caveat: a region whose path to every stream is cut while the probe still reaches the hub looks
 * exactly like all-failing; set allFailMinStreams: 0 to grade that as regional P1 outages instead.
 * So does a total outage seen by a lone probe: allFailUnconfirmed: `outage` grades it as one.
 */

export type Blindness = false | 'silent' | 'all-failing';

export interface ProbeState {
  readonly probe: string;
  region: string;
  /** Hub time of the last sample or heartbeat. */
  lastSeenAt: number;
  /** Heartbeat interval: settings.heartbeatMs, else the longest windowMs seen (not a short flushed window). */
  intervalMs: number;
  blind: Blindness;
  /** Hub time it became blind (NaN when not). */
  blindSince: number;
  /** stream → line → view */
  views: Map<string, Map<string, LineState>>;
  viewCount: number;
  downCount: number;
  /** Its current impairment episode (impairment.ts), undefined when it trusts its measurements. */
  impairment: Impairment | undefined;
  /** Streams whose view went down while it could still turn out all-failing, since (hub time) the first. */
  heldDowns: { since: number; streams: Set<string> } | undefined;
}

export function createProbeState(probe: string, region: string, now: number, intervalMs: number): ProbeState {
  return { probe, region, lastSeenAt: now, intervalMs, blind: false, blindSince: NaN, views: new Map(), viewCount: 0, downCount: 0, impairment: undefined, heldDowns: undefined };
}

/** Whether a probe's views are left out of grading (it is blind), by probe id. */
export function excludedProbes(probes: ReadonlyMap<string, ProbeState>): (probe: string) => boolean {
  return (probe) => {
    const b = probes.get(probe)?.blind;
    return b !== undefined && b !== false;
  };
}

/** Records that the probe was heard at `now`. Returns true when this ends a silent blindness. */
export function touchProbe(p: ProbeState, now: number, intervalMs: number | undefined, settings: DetectorSettings): boolean {
  if (now > p.lastSeenAt) p.lastSeenAt = now;
  // A probe flushes a change to down at once as a short window: that is not its heartbeat, and
  // taking it for one made the probe "silent" (blind) a few hundred ms later. Windows only grow it.
  p.intervalMs = settings.heartbeatMs ?? Math.max(p.intervalMs, intervalMs ?? 0);
  return p.blind === 'silent';
}

/** True when the probe has been silent too long at `now`. */
export function isSilent(p: ProbeState, now: number, settings: DetectorSettings): boolean {
  return now - p.lastSeenAt > settings.silentIntervals * p.intervalMs;
}

/**
 * The hub itself was frozen for `pausedMs` before `now` (src/app/hub.ts measures it): it heard
 * nothing then, so that time is not the probe's silence. Never moves it past `now`.
 */
export function excusePause(p: ProbeState, pausedMs: number, now: number): void {
  p.lastSeenAt = Math.min(now, p.lastSeenAt + pausedMs);
}

/** Whether a view of the probe going down could be the start of all-failing (its grading waits, see the module comment). */
export function couldBeAllFailing(p: ProbeState, settings: DetectorSettings): boolean {
  return settings.allFailMinStreams > 0 && p.views.size >= settings.allFailMinStreams;
}

/**
 * Whether the probe's failures look like its own blindness (see the module comment).
 * `probes` resolves another view's probe to tell silent probes apart.
 */
export function isAllFailing(p: ProbeState, streams: Map<string, StreamViews>, probes: Map<string, ProbeState>, settings: DetectorSettings): boolean {
  if (settings.allFailMinStreams === 0 || p.viewCount === 0 || p.downCount < p.viewCount) return false;
  if (p.views.size < settings.allFailMinStreams) return false;
  let first = Infinity;
  let last = -Infinity;
  for (const lines of p.views.values()) {
    for (const v of lines.values()) {
      if (v.since < first) first = v.since;
      if (v.since > last) last = v.since;
    }
  }
  if (last - first > settings.allFailWithinMs) return false;
  let fine = 0;
  let confirmed = 0;
  for (const stream of p.views.keys()) {
    const sv = streams.get(stream);
    const seen = sv && witnessed(p, sv, probes);
    if (seen === 'fine') fine++;
    else if (seen === 'down') confirmed++;
  }
  if (fine > 0 && fine >= settings.allFailOthersFineShare * p.views.size) return true;
  return confirmed === 0 && settings.allFailUnconfirmed === 'blind';
}

/**
 * What the witnesses of another region see of a stream: `fine` when one sees a line of it not
 * down, else `down` when one sees it down, else nothing (no witness). A silent probe's views are
 * stale and an impaired one's are untrusted (frozen at their last trusted level): no witnesses.
 */
function witnessed(p: ProbeState, sv: StreamViews, probes: Map<string, ProbeState>): 'fine' | 'down' | undefined {
  let down = false;
  for (const views of sv.lines.values()) {
    for (const v of views) {
      if (v.region === p.region) continue;
      const w = probes.get(v.probe);
      if (w === undefined || w.blind === 'silent' || w.impairment !== undefined) continue;
      if (v.level !== 'down') return 'fine';
      down = true;
    }
  }
  return down ? 'down' : undefined;
}

/** The probe incident for a probe that just became blind. */
export function blindIncident(p: ProbeState, now: number): ActiveIncident {
  const onset = p.blind === 'silent' ? p.lastSeenAt : earliestDown(p, now);
  return {
    key: `probe/${p.probe}/blind`,
    kind: 'blind',
    probe: p.probe,
    severity: 'P2',
    scope: 'probe',
    openedAt: now,
    onset,
    regions: [{ region: p.region, probe: p.probe, level: 'down', onset, seenAt: now, reasons: [] }],
    firstSeen: { [p.region]: onset },
  };
}

function earliestDown(p: ProbeState, now: number): number {
  let first = now;
  for (const lines of p.views.values()) for (const v of lines.values()) if (v.since < first) first = v.since;
  return first;
}
