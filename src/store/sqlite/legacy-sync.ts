import type Database from 'better-sqlite3';
import type { TimelineEntry } from '../../model/incident.ts';
import type { Sample } from '../../model/sample.ts';
import { OutboxStore } from '../outbox.ts';
import type { AuditEntry, SampleQuery, SampleRollup } from '../ports.ts';
import type { SampleInbox } from './sample-history.ts';

/**
 * Transitional, to be deleted: the synchronous store that the tickets service and the controller
 * were written against (`hub.store.audit`, `auditLog`, `timeline`, `samples`, `rollups`, and the
 * tickets outbox of src/store/outbox.ts). They are being moved onto the async ports of
 * src/store/ports.ts; until then the wiring hands them this view of the same connection. Nothing
 * else may use it: a PostgreSQL store will not have one.
 */
export interface LegacySyncStore {
  audit(entry: AuditEntry): void;
  auditLog(limit: number): AuditEntry[];
  timeline(incidentId: string): TimelineEntry[];
  samples(query: SampleQuery): Sample[];
  rollups(query: SampleQuery): SampleRollup[];
  readonly outbox: OutboxStore;
}

export function legacySyncStore(db: Database.Database, inbox: SampleInbox): LegacySyncStore {
  const insertAudit = db.prepare('INSERT INTO audit (t, actor, action, target, reason, data) VALUES (?, ?, ?, ?, ?, ?)');
  const newestAudit = db.prepare('SELECT t, actor, action, target, reason, data FROM audit ORDER BY id DESC LIMIT ?');
  const timeline = db.prepare('SELECT incident_id, t, type, data FROM timeline WHERE incident_id = ? ORDER BY id');
  return {
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
