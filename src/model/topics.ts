import type { Incident, IncidentEvent, TimelineEntry } from './incident.ts';
import type { Sample } from './sample.ts';
import type { Level } from './severity.ts';

/** What changed on an incident: the incident after the change and the timeline entries it added. */
export interface IncidentChange {
  incident: Incident;
  entries: TimelineEntry[];
  /** The detector event behind it (absent for operator actions). */
  event?: IncidentEvent;
  /** For opened/reopened: hub time of detection − fault onset (ms), for detection_delay_seconds. */
  detectionDelayMs?: number;
}

/** Every incident topic, in lifecycle order: subscribers iterate this list instead of spelling it out. */
export const INCIDENT_TOPICS = ['incident.opened', 'incident.reopened', 'incident.raised', 'incident.lowered', 'incident.updated', 'incident.resolved'] as const;
export type IncidentTopic = (typeof INCIDENT_TOPICS)[number];

/** One probe's view of a line changed level (a line seen for the first time counts as a change). */
export interface LineLevelChange {
  stream: string;
  line: string;
  region: string;
  probe: string;
  /** Absent when the probe had no view of the line before. */
  from?: Level;
  to: Level;
  /** Hub time. */
  at: number;
}

/**
 * In-process event topics. The WebSocket API forwards them as `{type: "event", topic, data}`.
 *
 * - `sample`              every accepted (valid, stored) sample
 * - `detector.event`      every raw detector event (open/raise/lower/update/clear)
 * - `line.level`          a probe's view of a line changed level, incident or not (a console's grid follows it)
 * - `health.followed`     in a cluster: a stream another hub owns changed there (its line health or incidents)
 * - `incident.opened`     a new incident (id `${key}@${openedAt}`)
 * - `incident.reopened`   a resolved incident recurred within the reopen window
 * - `incident.raised`     severity became more severe (P2 → P1 …)
 * - `incident.lowered`    severity became less severe
 * - `incident.updated`    evidence changed (a region first seen, scope, related lines), same severity
 * - `incident.resolved`   resolved (detector clear after the clear time)
 * - `store.compacted`     background compaction ran
 */
export type HubEvents = {
  sample: Sample;
  'detector.event': IncidentEvent;
  'line.level': LineLevelChange;
  'health.followed': { stream: string; owner: string };
  'store.compacted': { at: number; rolledUp: number; prunedRollups: number; tookMs: number };
} & { [T in IncidentTopic]: IncidentChange };
export type Topic = keyof HubEvents;
