import type Database from 'better-sqlite3';
import { MAX_ERROR_CHARS, outboxWhat, toOutboxRow, type OutboxColumns } from '../outbox-record.ts';
import type { NewOutboxRow, OutboxRow, TicketOutbox } from '../ports.ts';
import { parseStored } from '../stored-record.ts';

interface Row extends OutboxColumns {
  payload: string;
}

/**
 * The tickets outbox on the hub's file (tables from migration 2), see TicketOutbox. Every write is
 * one statement or one transaction and durable on return (WAL), so a `kill -9` loses nothing that
 * was enqueued; a row whose delivery was in flight at the kill is simply sent again (at-least-once,
 * same key).
 */
export class SqliteTicketOutbox implements TicketOutbox {
  private readonly stmts;

  constructor(private readonly db: Database.Database) {
    this.stmts = {
      enqueue: db.prepare(
        `INSERT OR IGNORE INTO ticket_outbox (key, incident_id, vendor, action, payload, status, attempts, created_at, next_at)
         VALUES (@key, @incidentId, @vendor, @action, @payload, 'pending', 0, @createdAt, @nextAt)`,
      ),
      // A row is due only when no earlier row of its (incident, vendor) is pending: an update never overtakes its ticket.
      due: db.prepare(
        `SELECT * FROM ticket_outbox o WHERE o.status = 'pending' AND o.next_at <= ? AND o.id > ?
           AND NOT EXISTS (SELECT 1 FROM ticket_outbox p WHERE p.incident_id = o.incident_id AND p.vendor = o.vendor AND p.id < o.id AND p.status = 'pending')
         ORDER BY o.id LIMIT ?`,
      ),
      byKey: db.prepare('SELECT * FROM ticket_outbox WHERE key = ?'),
      byIncident: db.prepare('SELECT * FROM ticket_outbox WHERE incident_id = ? ORDER BY id'),
      recent: db.prepare('SELECT * FROM ticket_outbox ORDER BY id DESC LIMIT ?'),
      pending: db.prepare("SELECT incident_id, COUNT(*) AS n FROM ticket_outbox WHERE status = 'pending' GROUP BY incident_id"),
      incidentIds: db.prepare('SELECT DISTINCT incident_id FROM ticket_outbox WHERE created_at >= ?'),
      delivered: db.prepare("UPDATE ticket_outbox SET status = 'delivered', attempts = attempts + 1, delivered_at = ?, ref = ?, last_error = NULL WHERE id = ? AND status = 'pending'"),
      retry: db.prepare("UPDATE ticket_outbox SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ? AND status = 'pending'"),
      amend: db.prepare("UPDATE ticket_outbox SET payload = coalesce(@payload, payload), next_at = coalesce(@nextAt, next_at) WHERE key = @key AND status = 'pending' AND next_at > @now"),
      failed: db.prepare("UPDATE ticket_outbox SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ? AND status = 'pending'"),
      merge: db.prepare("UPDATE ticket_outbox SET status = 'merged' WHERE key = ? AND status = 'pending' AND next_at > ?"),
      setRef: db.prepare('INSERT OR IGNORE INTO ticket_refs (incident_id, vendor, ref, opened_at) VALUES (?, ?, ?, ?)'),
      ref: db.prepare('SELECT ref FROM ticket_refs WHERE incident_id = ? AND vendor = ?'),
    };
  }

  async enqueue(row: NewOutboxRow): Promise<boolean> {
    const r = this.stmts.enqueue.run({ ...row, payload: JSON.stringify(row.payload), nextAt: row.nextAt ?? row.createdAt });
    return r.changes > 0;
  }

  async due(now: number, limit: number, afterId = 0): Promise<OutboxRow[]> {
    return (this.stmts.due.all(now, afterId, limit) as Row[]).map(toRow);
  }

  async get(key: string): Promise<OutboxRow | undefined> {
    const r = this.stmts.byKey.get(key) as Row | undefined;
    return r && toRow(r);
  }

  async forIncident(incidentId: string): Promise<OutboxRow[]> {
    return (this.stmts.byIncident.all(incidentId) as Row[]).map(toRow);
  }

  async recent(limit: number): Promise<OutboxRow[]> {
    return (this.stmts.recent.all(limit) as Row[]).map(toRow);
  }

  async incidentIds(since: number): Promise<string[]> {
    return (this.stmts.incidentIds.all(since) as { incident_id: string }[]).map((r) => r.incident_id);
  }

  async pendingByIncident(): Promise<Map<string, number>> {
    return new Map((this.stmts.pending.all() as { incident_id: string; n: number }[]).map((r) => [r.incident_id, r.n]));
  }

  async markDelivered(row: Pick<OutboxRow, 'id' | 'incidentId' | 'vendor'>, now: number, ref?: string): Promise<void> {
    this.db.transaction(() => {
      // Only a row still pending counts: a settled one stays as it is, its reference too.
      if (this.stmts.delivered.run(now, ref ?? null, row.id).changes === 0 || ref === undefined) return;
      this.stmts.setRef.run(row.incidentId, row.vendor, ref, now);
    })();
  }

  async amend(key: string, change: { payload?: unknown; nextAt?: number }, now: number): Promise<boolean> {
    const payload = change.payload === undefined ? null : JSON.stringify(change.payload);
    return this.stmts.amend.run({ key, payload, nextAt: change.nextAt ?? null, now }).changes > 0;
  }

  async merge(key: string, now: number): Promise<boolean> {
    return this.stmts.merge.run(key, now).changes === 1;
  }

  async markRetry(id: number, nextAt: number, error: string): Promise<void> {
    this.stmts.retry.run(nextAt, error.slice(0, MAX_ERROR_CHARS), id);
  }

  async markFailed(id: number, error: string): Promise<void> {
    this.stmts.failed.run(error.slice(0, MAX_ERROR_CHARS), id);
  }

  async ref(incidentId: string, vendor: string): Promise<string | undefined> {
    return (this.stmts.ref.get(incidentId, vendor) as { ref: string } | undefined)?.ref;
  }
}

function toRow(r: Row): OutboxRow {
  return toOutboxRow(r, parseStored(r.payload, outboxWhat(r.key)));
}
