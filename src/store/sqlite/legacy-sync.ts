import type Database from 'better-sqlite3';
import { IncidentSchema, type Incident, type TimelineEntry } from '../../model/incident.ts';
import type { Sample } from '../../model/sample.ts';
import { OutboxStore } from '../outbox.ts';
import type { AuditEntry, SampleQuery, SampleRollup } from '../ports.ts';
import { checkStored, parseStored } from '../stored-record.ts';
import type { SampleInbox } from './sample-history.ts';

/**
 * Transitional, to be deleted: the synchronous store that the tickets service and the controller
 * were written against (`hub.store.audit`, `auditLog`, `incident`, `upsertIncident`, `timeline`,
 * `samples`, `rollups`, and the tickets outbox of src/store/outbox.ts). They are being moved onto the async ports of
 * src/store/ports.ts; until then the wiring hands them this view of the same connection. Nothing
 * else may use it: a PostgreSQL store will not have one.
 */
export interface LegacySyncStore {
  audit(entry: AuditEntry): void;
  auditLog(limit: number): AuditEntry[];
  incident(id: string): LegacyStoredIncident | undefined;
  upsertIncident(incident: LegacyStoredIncident, timeline: TimelineEntry[]): void;
  timeline(incidentId: string): TimelineEntry[];
  samples(query: SampleQuery): Sample[];
  rollups(query: SampleQuery): SampleRollup[];
  readonly outbox: OutboxStore;
}

/** An incident row as those callers know it: the whole incident in `data`. */
export interface LegacyStoredIncident {
  id: string;
  data: Incident;
}

export function legacySyncStore(db: Database.Database, inbox: SampleInbox): LegacySyncStore {
  const incident = db.prepare('SELECT id, data FROM incidents WHERE id = ?');
  const updateIncident = db.prepare('UPDATE incidents SET status = ?, severity = ?, resolved_at = ?, data = ? WHERE id = ?');
  const appendTimeline = db.prepare('INSERT INTO timeline (incident_id, t, type, data) VALUES (?, ?, ?, ?)');
  const insertAudit = db.prepare('INSERT INTO audit (t, actor, action, target, reason, data) VALUES (?, ?, ?, ?, ?, ?)');
  const newestAudit = db.prepare('SELECT t, actor, action, target, reason, data FROM audit ORDER BY id DESC LIMIT ?');
  const timeline = db.prepare('SELECT incident_id, t, type, data FROM timeline WHERE incident_id = ? ORDER BY id');
  return {
    incident: (id) => {
      const row = incident.get(id) as { id: string; data: string } | undefined;
      const what = `incident "${id}"`;
      return row && { id: row.id, data: checkStored(IncidentSchema, parseStored(row.data, what), what) };
    },
    // Only ever given an incident read with incident() above: it exists.
    upsertIncident: ({ data: inc }, entries) =>
      db.transaction(() => {
        updateIncident.run(inc.status, inc.severity, inc.resolvedAt ?? null, JSON.stringify(inc), inc.id);
        for (const e of entries) appendTimeline.run(e.incidentId, e.t, e.type, JSON.stringify(e.data));
      })(),
    audit: (e) => void insertAudit.run(e.t, e.actor, e.action, e.target, e.reason, e.data === undefined ? null : JSON.stringify(e.data)),
    auditLog: (limit) =>
      (newestAudit.all(limit) as (Omit<AuditEntry, 'data'> & { data: string | null })[]).map((r) => ({ ...r, data: r.data === null ? undefined : (JSON.parse(r.data) as unknown) })),
    timeline: (incidentId) =>
      (timeline.all(incidentId) as { incident_id: string; t: number; type: string; data: string }[]).map((r) => ({
        incidentId: r.incident_id,
        t: r.t,
        type: r.type,
        data: JSON.parse(r.data) as TimelineEntry['data'],
      })),
    samples: (q) => inbox.samples(q),
    rollups: (q) => inbox.rollups(q),
    outbox: new OutboxStore(db),
  };
}
