import type { Sample } from '../model/sample.ts';

/** Health of one (stream, line, region, probe) view. */
export type Level = 'ok' | 'degraded' | 'down';
export const LEVEL_RANK: Readonly<Record<Level, number>> = { ok: 0, degraded: 1, down: 2 };

/** P0 total outage … P3 minor (ARCHITECTURE.md "Severity"). Lower number = more severe. */
export type Severity = 'P0' | 'P1' | 'P2' | 'P3';
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { P0: 0, P1: 1, P2: 2, P3: 3 };

export type IncidentKind = 'down' | 'degraded' | 'blind';

/**
 * How far an incident reaches:
 * stream = every line down in every region; line = one line in every region;
 * regional = some regions; single-probe = one probe disagrees with others in its region;
 * probe = the probe itself is blind.
 */
export type IncidentScope = 'stream' | 'line' | 'regional' | 'single-probe' | 'probe';

/** One active rule behind a level. */
export interface Reason {
  rule: string;
  metric: string;
  value: number;
  threshold: number;
  yields: Level;
  /** t (probe clock) of the first bad sample of the run that tripped the rule. */
  since: number;
}

/** What one region (through one probe) sees for an incident. */
export interface RegionEvidence {
  region: string;
  probe: string;
  level: Level;
  /** t of the first bad sample, probe clock (for probe incidents: hub time the probe went blind-worthy). */
  onset: number;
  /** Hub time at which this view changed to `level`. */
  seenAt: number;
  reasons: Reason[];
  /** The first bad sample of this view (the onset), when known. */
  sample?: Sample;
}

export type IncidentEventType = 'open' | 'raise' | 'lower' | 'update' | 'clear';

export interface IncidentEvent {
  type: IncidentEventType;
  /** Dedup key: `stream/line/down`, `stream/line/degraded` or `probe/<probe>/blind`. */
  key: string;
  kind: IncidentKind;
  severity: Severity;
  /** Severity before a raise/lower/clear. */
  previous?: Severity;
  scope: IncidentScope;
  stream?: string;
  line?: string;
  probe?: string;
  /** Earliest first-bad-sample t over the evidence (probe clocks; hub clock for probe incidents). */
  onset: number;
  /** Hub time of this event (the injected `now`). */
  at: number;
  /** Hub time the incident opened. */
  openedAt: number;
  /** Current evidence, one entry per region (for clear: the last evidence). */
  regions: RegionEvidence[];
  /** Why: 'blip' (cleared within blipMs, lowered to P3), 'probe-blind' (evidence withdrawn), 'stream-down' (P0 lead). */
  cause?: 'blip' | 'probe-blind' | 'stream-down';
  /** For a P0 lead: the other lines' down keys that are part of the same outage. */
  related?: string[];
}
