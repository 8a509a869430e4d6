import type { IncidentKind } from '../model/incident.ts';
import type { Level, Severity } from '../model/severity.ts';

/** Health of one line in one region: the best level among the region's non-blind probes, and since when (hub time). */
export interface RegionHealth {
  level: Level;
  since: number;
  /**
   * The level rests on content checks alone (black picture, silence, loudness: the source's
   * picture and sound), no delivery fault: set only then.
   */
  content?: true;
  /**
   * Its probes were impaired (starved: src/detect/impairment.ts) after `since`: the level is
   * trusted only from this time on. Absent when trusted for as long as it has held.
   */
  trustedSince?: number;
  /** Every probe of the region is impaired right now: the level is its last trusted one, not a current view. */
  impaired?: true;
}

/** region → health. A line with no region is "not yet seen". */
export type LineHealth = Record<string, RegionHealth>;

/** line → health, for one stream. */
export type StreamHealth = Record<string, LineHealth>;

/** An open incident of the stream, as the policies see it. */
export interface IncidentView {
  key: string;
  id?: string;
  line?: string;
  kind: IncidentKind;
  severity: Severity;
  /** Fault onset (first bad sample t). */
  onset: number;
  /** Detector rules behind it (`disconnected`, `latency`, …). */
  rules: string[];
}

export interface PolicyInput {
  stream: string;
  /** Configured lines, config order. */
  lines: readonly string[];
  health: StreamHealth;
  incidents: readonly IncidentView[];
  /** The stream is in its start-up grace and some configured line has not reported yet (unknown, not absent). */
  awaiting?: boolean;
}

/** An operator override with an expiry. */
export interface Pin<T> {
  value: T;
  until: number;
  reason: string;
  by: string;
  at: number;
}

export interface LineControlState {
  /** Line the policy decided on (in dry-run the served line stays where it was). */
  active: string;
  /** Hub time of the last switch (or the start). */
  since: number;
  /** Times of automatic switches within the last hour. */
  switches: number[];
  /** Times of failovers within the last hour (the failback hold-off grows with them). */
  failovers: number[];
  /** Held after too many switches: no automatic failback until released or the hour allows it. */
  hold?: { since: number; reason: string };
  /** Since when "active line unusable, no healthy line" has been reported. */
  noHealthySince?: number;
  /** Severity last reported for it (reported again when it gets worse: P1 → P0). */
  noHealthySeverity?: Severity;
  pin?: Pin<string>;
  /** The pinned line is unusable and this was reported. */
  pinWarned?: boolean;
}

export interface FeatureState {
  enabled: boolean;
  /** Who set the current state. */
  by: 'default' | 'policy' | 'operator';
  since: number;
  /** Incident keys (and the matching kind/rule) that disabled it. */
  triggers?: string[];
  /** Since when the triggers are gone (re-enable after the hold-off). */
  clearSince?: number;
  pin?: Pin<boolean>;
}

export interface StreamControlState {
  line: LineControlState;
  features: Record<string, FeatureState>;
}

interface DecisionBase {
  stream: string;
  /** Which policy decided: failover, failback, flap-damping, features, pin. */
  policy: 'failover' | 'failback' | 'flap-damping' | 'features' | 'pin';
  /** Human-readable why, for the audit log and the timeline. */
  why: string;
  /** Dedup key of the incident behind it, when there is one. */
  incidentKey?: string;
  /** Fault onset behind it (for action_delay_seconds). */
  onset?: number;
  /** Operator behind it (pins), else the policy. */
  by?: string;
}

export type SwitchReason = 'failover' | 'failback' | 'manual' | 'pin-expired';

export interface SwitchDecision extends DecisionBase {
  type: 'switch';
  from: string;
  to: string;
  reason: SwitchReason;
}

export interface FeatureDecision extends DecisionBase {
  type: 'feature';
  feature: string;
  enabled: boolean;
  reason: 'incident' | 'recovered' | 'manual' | 'pin-expired';
}

export interface EscalateDecision extends DecisionBase {
  type: 'escalate';
  reason: 'flapping' | 'no-healthy-line' | 'pinned-line-unusable';
  severity: Severity;
}

export interface NoteDecision extends DecisionBase {
  type: 'note';
  reason: 'hold-released' | 'line-usable-again' | 'pin-set' | 'pin-cleared' | 'pin-expired';
}

export type Decision = SwitchDecision | FeatureDecision | EscalateDecision | NoteDecision;

export interface PolicyResult<S> {
  state: S;
  decisions: Decision[];
}
