import type { IncidentManager } from '../incidents/manager.ts';
import type { IncidentChange, IncidentTopic } from '../model/topics.ts';
import type { StreamHealth } from './types.ts';

/**
 * What the controller needs from the rest of the hub, and nothing more: the wiring (src/app)
 * hands it these instead of the whole hub. The audit log is the store's port (src/store/ports.ts).
 */

/** The incident manager's in-memory, synchronous calls the controller makes. */
export type IncidentSource = Pick<IncidentManager, 'open' | 'leadOf' | 'byDedupKey' | 'act'>;

/** Per (line, region) health of the streams, as the detector sees it. */
export interface LineHealthSource {
  health(stream: string): StreamHealth;
  /** End of the stream's start-up grace (hub time); undefined when it has none. */
  graceUntil(stream: string): number | undefined;
}

/** Subscription to incident changes (the hub's event bus). */
export interface EventSource {
  /** Returns the unsubscribe function. */
  on(topic: IncidentTopic, fn: (change: IncidentChange) => void): () => void;
}

/** Hub time, unix ms. */
export type Clock = () => number;
