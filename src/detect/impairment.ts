import type { ProbeImpairment, Sample } from '../model/sample.ts';
import { ProbeImpairmentSchema } from '../model/sample.ts';
import type { ActiveIncident } from './grade.ts';
import type { DetectorSettings } from './rules-schema.ts';

/**
 * A probe that says it could not trust its own measurement of a window (Sample.impaired: its host
 * starved it, its timers or children ran late, it was frozen) is the probe's problem, not the
 * stream's. Its impaired samples never move a view (line-health.ts); here they make an episode:
 *
 * - it starts with the probe's first impaired sample and lasts while impaired samples keep coming
 *   (clean windows in between do not end it);
 * - once it spans `impairedOpenWindows` windows (the first impaired window's start to the latest
 *   impaired sample's end, probe clock) it opens `probe/<probe>/impaired` (P3, scope `probe`);
 * - it ends after `impairedClearWindows` windows of clean samples after the last impaired one,
 *   clearing the incident if it had opened.
 *
 * Times are the probe's sample times (`t`): one probe's clock, never compared with another's. A
 * probe clock stepping back restarts the run it breaks. The episode also marks the probe as no
 * witness for another probe's all-failing check (probe-watch.ts) while it lasts.
 */

export interface Impairment {
  /** Start of the first impaired window (probe clock). */
  from: number;
  /** t of the latest impaired sample. */
  lastT: number;
  /** Start of the clean run since the last impaired sample, NaN when none. */
  cleanFrom: number;
  /** The latest impaired sample's reason (undefined for an episode restored without one). */
  reason: ProbeImpairment | undefined;
  /** The first impaired sample (incident evidence). */
  first: Sample | undefined;
  /** The incident is open. */
  open: boolean;
}

export type ImpairmentChange = 'open' | 'update' | 'clear';

/**
 * Folds one sample of the probe into its episode (`current`, undefined when none). Returns the
 * episode from now on and what happened to its incident. Call only for an impaired sample or
 * while an episode lasts: a clean probe costs one comparison on the hot path.
 */
export function noteSample(current: Impairment | undefined, s: Sample, settings: DetectorSettings): { episode: Impairment | undefined; change?: ImpairmentChange } {
  if (s.impaired !== undefined) {
    const ep: Impairment = current ?? { from: s.t - s.windowMs, lastT: s.t, cleanFrom: NaN, reason: s.impaired, first: s, open: false };
    if (s.t < ep.from) {
      // the probe clock stepped back: the run restarts here
      ep.from = s.t - s.windowMs;
      ep.lastT = s.t;
    } else if (s.t > ep.lastT) ep.lastT = s.t;
    ep.cleanFrom = NaN;
    const reasonChanged = ep.reason !== s.impaired;
    ep.reason = s.impaired;
    if (!ep.open && ep.lastT - ep.from >= settings.impairedOpenWindows * s.windowMs) {
      ep.open = true;
      return { episode: ep, change: 'open' };
    }
    return ep.open && reasonChanged ? { episode: ep, change: 'update' } : { episode: ep };
  }
  if (!current) return { episode: undefined };
  if (!(current.cleanFrom <= s.t)) {
    // A clean window counts from the end of the last impaired one (a line's sample of an earlier
    // window arriving after it is no evidence of "after"), unless the probe clock stepped back.
    const start = s.t - s.windowMs;
    current.cleanFrom = current.lastT - s.t > settings.clockStepMs ? start : Math.max(start, current.lastT);
  }
  if (s.t - current.cleanFrom < settings.impairedClearWindows * s.windowMs) return { episode: current };
  return current.open ? { episode: undefined, change: 'clear' } : { episode: undefined };
}

export function impairedKey(probe: string): string {
  return `probe/${probe}/impaired`;
}

/** The probe incident of an episode (at open, and its evidence at every later change). */
export function impairedIncident(probe: string, region: string, ep: Impairment, openMs: number, now: number, openedAt = now): ActiveIncident {
  const evidence: ActiveIncident['regions'][number] = {
    region,
    probe,
    level: 'degraded',
    onset: ep.from,
    seenAt: now,
    // metric: why the probe could not trust itself; value: for how long (ms of its windows), against the `openMs` that opens the incident
    reasons: ep.reason === undefined ? [] : [{ rule: 'impaired', metric: ep.reason, value: ep.lastT - ep.from, threshold: openMs, yields: 'degraded', since: ep.from }],
  };
  if (ep.first) evidence.sample = ep.first;
  return {
    key: impairedKey(probe),
    kind: 'impaired',
    probe,
    severity: 'P3',
    scope: 'probe',
    openedAt,
    onset: ep.from,
    regions: [evidence],
    firstSeen: { [region]: ep.from },
  };
}

/**
 * The episode of a restored `probe/<probe>/impaired` incident: open, waiting for clean windows
 * (or continued by impaired ones) from the probe's next samples.
 */
export function restoredImpairment(inc: ActiveIncident): Impairment {
  const reason = ProbeImpairmentSchema.safeParse(inc.regions[0]?.reasons[0]?.metric);
  return { from: inc.onset, lastT: -Infinity, cleanFrom: NaN, reason: reason.success ? reason.data : undefined, first: inc.regions[0]?.sample, open: true };
}
