import type { Hub } from '../../src/app/hub.ts';
import type { Incident, TimelineEntry } from '../../src/model/incident.ts';
import { OutboxStore } from '../../src/store/outbox.ts';
import type { SqliteStore } from '../../src/store/sqlite.ts';
import type { Muter } from '../../src/tickets/mute.ts';
import type { TicketHub, TicketStorage } from '../../src/tickets/ports.ts';

/**
 * The tickets' ports on a hub and its SQLite store, for tests. Until the SQLite store implements
 * TicketOutbox, SlaTimers, IncidentRepository and AuditLog itself, its synchronous methods are
 * wrapped here (the hub's wiring does the same in src/app/start.ts): each write is durable when the
 * call returns, as the ports promise.
 */
export function ticketPorts(hub: Hub, sqlite: SqliteStore): { hub: TicketHub; storage: TicketStorage } {
  const outbox = new OutboxStore(sqlite.database);
  return {
    hub: {
      bus: hub.bus,
      incidents: hub.incidents,
      stored: {
        get: async (id) => sqlite.incident(id)?.data as Incident | undefined,
        timeline: async (id) => sqlite.timeline(id) as TimelineEntry[],
        save: async (inc, entries) =>
          sqlite.upsertIncident({ id: inc.id, key: inc.key, status: inc.status, severity: inc.severity, openedAt: inc.openedAt, ...(inc.resolvedAt !== undefined && { resolvedAt: inc.resolvedAt }), data: inc }, [...entries]),
      },
      audit: { append: async (entry) => sqlite.audit(entry) },
      evidence: sqlite,
    },
    storage: {
      outbox: {
        enqueue: async (row) => outbox.enqueue(row),
        due: async (now, limit) => outbox.due(now, limit),
        get: async (key) => outbox.get(key),
        forIncident: async (incidentId) => outbox.forIncident(incidentId),
        recent: async (limit) => outbox.recent(limit),
        incidentIds: async (since) => outbox.incidentIds(since),
        pendingCount: async () => outbox.pendingCount(),
        markDelivered: async (row, now, ref) => outbox.markDelivered(row, now, ref),
        markRetry: async (id, nextAt, error) => outbox.markRetry(id, nextAt, error),
        markFailed: async (id, error) => outbox.markFailed(id, error),
        ref: async (incidentId, vendor) => outbox.ref(incidentId, vendor),
      },
      sla: {
        save: async (incidentId, data, done) => outbox.saveSla(incidentId, data, done),
        get: async (incidentId) => outbox.sla(incidentId),
        active: async () => outbox.activeSla(),
      },
    },
  };
}

/** A maintenance silence the test switches: `silence()` names the one holding every incident now, if any. */
export function silenceSwitch(silence: () => string | undefined): Muter {
  return {
    holding: () => {
      const id = silence();
      return id === undefined ? undefined : { id };
    },
  };
}
