import type { IncidentEvent } from '../detect/types.ts';
import type { Incident, TimelineEntry } from '../incidents/lifecycle.ts';
import type { Logger } from '../shared/log.ts';
import type { Sample } from '../model/sample.ts';

/** What changed on an incident: the incident after the change and the timeline entries it added. */
export interface IncidentChange {
  incident: Incident;
  entries: TimelineEntry[];
  /** The detector event behind it (absent for operator actions). */
  event?: IncidentEvent;
  /** For opened/reopened: hub time of detection − fault onset (ms), for detection_delay_seconds. */
  detectionDelayMs?: number;
}

/**
 * In-process event bus topics. The WebSocket API forwards them as `{type: "event", topic, data}`.
 *
 * - `sample`              every accepted (valid, stored) sample
 * - `detector.event`      every raw detector event (open/raise/lower/update/clear)
 * - `incident.opened`     a new incident (id `${key}@${openedAt}`)
 * - `incident.reopened`   a resolved incident recurred within the reopen window
 * - `incident.raised`     severity became more severe (P2 → P1 …)
 * - `incident.lowered`    severity became less severe
 * - `incident.updated`    evidence changed (a region first seen, scope, related lines), same severity
 * - `incident.resolved`   resolved (detector clear after the clear time)
 * - `store.compacted`     background compaction ran
 */
export interface HubEvents {
  sample: Sample;
  'detector.event': IncidentEvent;
  'incident.opened': IncidentChange;
  'incident.reopened': IncidentChange;
  'incident.raised': IncidentChange;
  'incident.lowered': IncidentChange;
  'incident.updated': IncidentChange;
  'incident.resolved': IncidentChange;
  'store.compacted': { at: number; rolledUp: number; prunedRollups: number; tookMs: number };
}
export type Topic = keyof HubEvents;

type Listener<T extends Topic> = (data: HubEvents[T], topic: T) => void;
type AnyListener = <T extends Topic>(topic: T, data: HubEvents[T]) => void;

/**
 * Synchronous, typed publish/subscribe. A throwing listener is logged and does not stop the others
 * or the publisher: the hub must keep detecting whatever a subscriber does.
 */
export class EventBus {
  private readonly listeners = new Map<Topic, Set<Listener<Topic>>>();
  private readonly any = new Set<AnyListener>();

  constructor(private readonly logger?: Logger) {}

  /** Subscribes to one topic; returns the unsubscribe function. */
  on<T extends Topic>(topic: T, fn: Listener<T>): () => void {
    let set = this.listeners.get(topic);
    if (!set) this.listeners.set(topic, (set = new Set()));
    set.add(fn as Listener<Topic>);
    return () => void set.delete(fn as Listener<Topic>);
  }

  /** Subscribes to every topic (e.g. to forward them over WebSocket); returns the unsubscribe function. */
  onAny(fn: AnyListener): () => void {
    this.any.add(fn);
    return () => void this.any.delete(fn);
  }

  /** True when somebody listens to `topic` (lets hot paths skip building payloads). */
  has(topic: Topic): boolean {
    return this.any.size > 0 || (this.listeners.get(topic)?.size ?? 0) > 0;
  }

  publish<T extends Topic>(topic: T, data: HubEvents[T]): void {
    const set = this.listeners.get(topic);
    if (set) {
      for (const fn of set) {
        try {
          fn(data, topic);
        } catch (err) {
          this.logger?.error({ err, topic }, 'event bus listener failed');
        }
      }
    }
    for (const fn of this.any) {
      try {
        fn(topic, data);
      } catch (err) {
        this.logger?.error({ err, topic }, 'event bus listener failed');
      }
    }
  }
}
