import { MAX_ERROR_CHARS, toOutboxRow, type OutboxColumns } from '../outbox-record.ts';
import type { NewOutboxRow, OutboxRow, TicketOutbox } from '../ports.ts';
import type { Fence } from '../fence.ts';
import { checkFence, fencedQuery } from './fence.ts';
import { json, type PostgresSession } from './session.ts';

type Row = OutboxColumns & { payload: unknown };

/**
 * The tickets outbox (tables `ticket_outbox`, `ticket_refs`), see TicketOutbox: one row per
 * idempotency key, an update never due before the earlier rows of its (incident, vendor) settle.
 */
export class PostgresTicketOutbox implements TicketOutbox {
  constructor(private readonly session: PostgresSession) {}

  async enqueue(row: NewOutboxRow, fence?: Fence): Promise<boolean> {
    const r = await fencedQuery(
      this.session,
      fence,
      `INSERT INTO ticket_outbox (key, incident_id, vendor, action, payload, status, attempts, created_at, next_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, 'pending', 0, $6, $7) ON CONFLICT (key) DO NOTHING`,
      [row.key, row.incidentId, row.vendor, row.action, json(row.payload), row.createdAt, row.nextAt ?? row.createdAt],
    );
    return r.rowCount === 1;
  }

  async due(now: number, limit: number, afterId = 0): Promise<OutboxRow[]> {
    return this.rows(
      `SELECT * FROM ticket_outbox o WHERE o.status = 'pending' AND o.next_at <= $1 AND o.id > $3
         AND NOT EXISTS (SELECT 1 FROM ticket_outbox p WHERE p.incident_id = o.incident_id AND p.vendor = o.vendor AND p.id < o.id AND p.status = 'pending')
       ORDER BY o.id LIMIT $2`,
      [now, limit, afterId],
    );
  }

  async get(key: string): Promise<OutboxRow | undefined> {
    return (await this.rows('SELECT * FROM ticket_outbox WHERE key = $1', [key]))[0];
  }

  async forIncident(incidentId: string): Promise<OutboxRow[]> {
    return this.rows('SELECT * FROM ticket_outbox WHERE incident_id = $1 ORDER BY id', [incidentId]);
  }

  async recent(limit: number): Promise<OutboxRow[]> {
    return this.rows('SELECT * FROM ticket_outbox ORDER BY id DESC LIMIT $1', [limit]);
  }

  async incidentIds(since: number): Promise<string[]> {
    const { rows } = await this.session.query<{ incident_id: string }>('SELECT DISTINCT incident_id FROM ticket_outbox WHERE created_at >= $1', [since]);
    return rows.map((r) => r.incident_id);
  }

  async pendingByIncident(): Promise<Map<string, number>> {
    const { rows } = await this.session.query<{ incident_id: string; n: number }>("SELECT incident_id, COUNT(*)::int AS n FROM ticket_outbox WHERE status = 'pending' GROUP BY incident_id");
    return new Map(rows.map((r) => [r.incident_id, r.n]));
  }

  async markDelivered(row: Pick<OutboxRow, 'id' | 'incidentId' | 'vendor'>, now: number, ref?: string, fence?: Fence): Promise<void> {
    await this.session.transaction(async (sql) => {
      if (fence) await checkFence(sql, fence);
      const r = await sql.query("UPDATE ticket_outbox SET status = 'delivered', attempts = attempts + 1, delivered_at = $1, ref = $2, last_error = NULL WHERE id = $3 AND status = 'pending'", [now, ref ?? null, row.id]);
      // Only a row still pending counts: a settled one stays as it is, its reference too.
      if (r.rowCount === 0 || ref === undefined) return;
      await sql.query('INSERT INTO ticket_refs (incident_id, vendor, ref, opened_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [row.incidentId, row.vendor, ref, now]);
    });
  }

  async amend(key: string, change: { payload?: unknown; nextAt?: number }, now: number, fence?: Fence): Promise<boolean> {
    const r = await fencedQuery(
      this.session,
      fence,
      "UPDATE ticket_outbox SET payload = coalesce($1::jsonb, payload), next_at = coalesce($2, next_at) WHERE key = $3 AND status = 'pending' AND next_at > $4",
      [change.payload === undefined ? null : json(change.payload), change.nextAt ?? null, key, now],
    );
    return r.rowCount === 1;
  }

  async merge(key: string, now: number, fence?: Fence): Promise<boolean> {
    const r = await fencedQuery(this.session, fence, "UPDATE ticket_outbox SET status = 'merged' WHERE key = $1 AND status = 'pending' AND next_at > $2", [key, now]);
    return r.rowCount === 1;
  }

  async markRetry(id: number, nextAt: number, error: string, fence?: Fence): Promise<void> {
    await fencedQuery(this.session, fence, "UPDATE ticket_outbox SET attempts = attempts + 1, next_at = $1, last_error = $2 WHERE id = $3 AND status = 'pending'", [nextAt, error.slice(0, MAX_ERROR_CHARS), id]);
  }

  async markFailed(id: number, error: string, fence?: Fence): Promise<void> {
    await fencedQuery(this.session, fence, "UPDATE ticket_outbox SET status = 'failed', attempts = attempts + 1, last_error = $1 WHERE id = $2 AND status = 'pending'", [error.slice(0, MAX_ERROR_CHARS), id]);
  }

  async ref(incidentId: string, vendor: string): Promise<string | undefined> {
    const { rows } = await this.session.query<{ ref: string }>('SELECT ref FROM ticket_refs WHERE incident_id = $1 AND vendor = $2', [incidentId, vendor]);
    return rows[0]?.ref;
  }

  private async rows(text: string, values: unknown[]): Promise<OutboxRow[]> {
    const { rows } = await this.session.query<Row>(text, values);
    return rows.map((r) => toOutboxRow(r, r.payload));
  }
}
