import type Database from 'better-sqlite3';

/**
 * Durable tickets outbox on the hub's SQLite file (tables from migration 2).
 *
 * One row per idempotency key `incident/vendor/action`: enqueueing the same key twice is a no-op,
 * so replaying bus events after a restart never makes a second ticket. Rows of one (incident,
 * vendor) are delivered in order: a row is due only when no earlier row of the pair is pending
 * (an update never overtakes the ticket it updates). Every write is one statement or one
 * transaction and durable on return (WAL), so a `kill -9` loses nothing that was enqueued; a row
 * whose delivery was in flight at the kill is simply sent again (at-least-once, same key).
 */

export type OutboxStatus = 'pending' | 'delivered' | 'failed';

export interface OutboxRow {
  id: number;
  key: string;
  incidentId: string;
  vendor: string;
  action: string;
  payload: unknown;
  status: OutboxStatus;
  attempts: number;
  createdAt: number;
  nextAt: number;
  deliveredAt?: number;
  lastError?: string;
  ref?: string;
}

export interface NewOutboxRow {
  key: string;
  incidentId: string;
  vendor: string;
  action: string;
  payload: unknown;
  createdAt: number;
  /** First attempt not before (default createdAt). */
  nextAt?: number;
}

interface Row {
  id: number;
  key: string;
  incident_id: string;
  vendor: string;
  action: string;
  payload: string;
  status: OutboxStatus;
  attempts: number;
  created_at: number;
  next_at: number;
  delivered_at: number | null;
  last_error: string | null;
  ref: string | null;
}

export interface SlaRow {
  incidentId: string;
  done: boolean;
  data: unknown;
}

export class OutboxStore {
  private readonly stmts;

  constructor(private readonly db: Database.Database) {
    const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ticket_outbox'").get();
    if (!has) throw new Error('the store has no ticket_outbox table (migration 2 not applied)');
    this.stmts = {
      enqueue: db.prepare(
        `INSERT OR IGNORE INTO ticket_outbox (key, incident_id, vendor, action, payload, status, attempts, created_at, next_at)
         VALUES (@key, @incidentId, @vendor, @action, @payload, 'pending', 0, @createdAt, @nextAt)`,
      ),
      due: db.prepare(
        `SELECT * FROM ticket_outbox o WHERE o.status = 'pending' AND o.next_at <= ?
           AND NOT EXISTS (SELECT 1 FROM ticket_outbox p WHERE p.incident_id = o.incident_id AND p.vendor = o.vendor AND p.id < o.id AND p.status = 'pending')
         ORDER BY o.id LIMIT ?`,
      ),
      byKey: db.prepare('SELECT * FROM ticket_outbox WHERE key = ?'),
      byIncident: db.prepare('SELECT * FROM ticket_outbox WHERE incident_id = ? ORDER BY id'),
      all: db.prepare('SELECT * FROM ticket_outbox ORDER BY id DESC LIMIT ?'),
      pending: db.prepare("SELECT COUNT(*) AS n FROM ticket_outbox WHERE status = 'pending'"),
      incidentIds: db.prepare('SELECT DISTINCT incident_id FROM ticket_outbox WHERE created_at >= ?'),
      delivered: db.prepare("UPDATE ticket_outbox SET status = 'delivered', attempts = attempts + 1, delivered_at = ?, ref = ?, last_error = NULL WHERE id = ? AND status = 'pending'"),
      retry: db.prepare("UPDATE ticket_outbox SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ? AND status = 'pending'"),
      failed: db.prepare("UPDATE ticket_outbox SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ? AND status = 'pending'"),
      setRef: db.prepare('INSERT OR IGNORE INTO ticket_refs (incident_id, vendor, ref, opened_at) VALUES (?, ?, ?, ?)'),
      ref: db.prepare('SELECT ref FROM ticket_refs WHERE incident_id = ? AND vendor = ?'),
      saveSla: db.prepare('INSERT INTO ticket_sla (incident_id, done, data) VALUES (?, ?, ?) ON CONFLICT(incident_id) DO UPDATE SET done = excluded.done, data = excluded.data'),
      sla: db.prepare('SELECT incident_id, done, data FROM ticket_sla WHERE incident_id = ?'),
      activeSla: db.prepare('SELECT incident_id, done, data FROM ticket_sla WHERE done = 0'),
    };
  }

  /** Inserts a row unless its key exists. Returns true when inserted. */
  enqueue(row: NewOutboxRow): boolean {
    const r = this.stmts.enqueue.run({ ...row, payload: JSON.stringify(row.payload), nextAt: row.nextAt ?? row.createdAt });
    return r.changes > 0;
  }

  /** Pending rows whose time has come and whose (incident, vendor) predecessors are all settled, oldest first. */
  due(now: number, limit = 100): OutboxRow[] {
    return (this.stmts.due.all(now, limit) as Row[]).map(toRow);
  }

  get(key: string): OutboxRow | undefined {
    const r = this.stmts.byKey.get(key) as Row | undefined;
    return r && toRow(r);
  }

  forIncident(incidentId: string): OutboxRow[] {
    return (this.stmts.byIncident.all(incidentId) as Row[]).map(toRow);
  }

  recent(limit = 100): OutboxRow[] {
    return (this.stmts.all.all(limit) as Row[]).map(toRow);
  }

  /** Incidents that got any row since `since` (restart catch-up: resolved while the hub was down?). */
  incidentIds(since: number): string[] {
    return (this.stmts.incidentIds.all(since) as { incident_id: string }[]).map((r) => r.incident_id);
  }

  pendingCount(): number {
    return (this.stmts.pending.get() as { n: number }).n;
  }

  /** Marks a row delivered and, for a ticket the vendor numbered, remembers the vendor's reference. */
  markDelivered(row: Pick<OutboxRow, 'id' | 'incidentId' | 'vendor'>, now: number, ref?: string): void {
    this.db.transaction(() => {
      this.stmts.delivered.run(now, ref ?? null, row.id);
      if (ref !== undefined) this.stmts.setRef.run(row.incidentId, row.vendor, ref, now);
    })();
  }

  markRetry(id: number, nextAt: number, error: string): void {
    this.stmts.retry.run(nextAt, error.slice(0, 500), id);
  }

  markFailed(id: number, error: string): void {
    this.stmts.failed.run(error.slice(0, 500), id);
  }

  /** The vendor's ticket reference (desk ticket id …) for an incident, once the ticket exists. */
  ref(incidentId: string, vendor: string): string | undefined {
    return (this.stmts.ref.get(incidentId, vendor) as { ref: string } | undefined)?.ref;
  }

  saveSla(incidentId: string, data: unknown, done: boolean): void {
    this.stmts.saveSla.run(incidentId, done ? 1 : 0, JSON.stringify(data));
  }

  sla(incidentId: string): SlaRow | undefined {
    const r = this.stmts.sla.get(incidentId) as { incident_id: string; done: number; data: string } | undefined;
    return r && { incidentId: r.incident_id, done: r.done === 1, data: JSON.parse(r.data) as unknown };
  }

  /** SLA states not yet finished (restart recovery). */
  activeSla(): SlaRow[] {
    return (this.stmts.activeSla.all() as { incident_id: string; done: number; data: string }[]).map((r) => ({
      incidentId: r.incident_id,
      done: false,
      data: JSON.parse(r.data) as unknown,
    }));
  }
}

function toRow(r: Row): OutboxRow {
  const row: OutboxRow = {
    id: r.id,
    key: r.key,
    incidentId: r.incident_id,
    vendor: r.vendor,
    action: r.action,
    payload: JSON.parse(r.payload) as unknown,
    status: r.status,
    attempts: r.attempts,
    createdAt: r.created_at,
    nextAt: r.next_at,
  };
  if (r.delivered_at !== null) row.deliveredAt = r.delivered_at;
  if (r.last_error !== null) row.lastError = r.last_error;
  if (r.ref !== null) row.ref = r.ref;
  return row;
}
