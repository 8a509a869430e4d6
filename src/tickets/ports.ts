import type { ActionInput } from '../incidents/manager.ts';
import type { Incident } from '../model/incident.ts';
import type { EventBus } from '../common/event-bus.ts';
import type { AuditLog, IncidentRepository, SlaTimers, TicketOutbox } from '../store/ports.ts';
import type { EvidenceSource } from './evidence.ts';

/**
 * What the tickets module needs from the hub, and nothing more. The hub's wiring hands these in;
 * the tickets never see the hub itself or a storage engine.
 */
export interface TicketHub {
  /** The incident topics. */
  bus: Pick<EventBus, 'on'>;
  /** The hub's live incidents: ticket steps go on their timelines through them. */
  incidents: LiveIncidents;
  /** Every stored incident with its timeline, the resolved ones the hub has forgotten too. */
  stored: Pick<IncidentRepository, 'get' | 'timeline' | 'save'>;
  /** Drills are audited. */
  audit: Pick<AuditLog, 'append'>;
  /** Samples and timelines for the evidence bundle sent with a ticket. */
  evidence: EvidenceSource;
}

/** The incident manager's side the tickets use (synchronous, in memory). */
export interface LiveIncidents {
  /** Incidents not resolved. */
  open(): Incident[];
  /** The current incident of a dedup key (a later one may have replaced the one a ticket is about). */
  byDedupKey(key: string): Incident | undefined;
  /** Applies an action to an incident by id (`stored`: as read from the store, for one resolved and no longer held): written to the store and published. */
  act(id: string, input: ActionInput, now: number, stored?: Incident): unknown;
}

/** Where the ticket state lives: the durable outbox and the SLA timers. */
export interface TicketStorage {
  outbox: TicketOutbox;
  sla: SlaTimers;
}
