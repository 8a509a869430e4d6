import type { Incident, TimelineEntry } from '../../model/incident.ts';
import { incidentColumns, readIncident, readTimelineEntry } from '../incident-record.ts';
import type { IncidentHistoryQuery, IncidentRepository } from '../ports.ts';
import type { Fence } from '../fence.ts';
import { checkFence } from './fence.ts';
import { json, type PostgresSession } from './session.ts';

/**
 * Incidents and their timelines (tables `incidents`, `timeline`): indexed columns beside the whole
 * incident as JSONB, checked against IncidentSchema when read back (src/store/incident-record.ts).
 */
export class PostgresIncidentRepository implements IncidentRepository {
  constructor(private readonly session: PostgresSession) {}

  async save(incident: Incident, entries: readonly TimelineEntry[], fence?: Fence): Promise<void> {
    const c = incidentColumns(incident);
    await this.session.transaction(async (sql) => {
      if (fence) await checkFence(sql, fence);
      await sql.query(
        `INSERT INTO incidents (id, key, status, severity, opened_at, resolved_at, data) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, severity = excluded.severity, resolved_at = excluded.resolved_at, data = excluded.data`,
        [c.id, c.key, c.status, c.severity, c.openedAt, c.resolvedAt, json(incident)],
      );
      for (const e of entries) await sql.query('INSERT INTO timeline (incident_id, t, type, data) VALUES ($1, $2, $3, $4::jsonb)', [e.incidentId, e.t, e.type, json(e.data)]);
    });
  }

  async open(): Promise<Incident[]> {
    return this.incidents("SELECT id, data FROM incidents WHERE status <> 'resolved' ORDER BY opened_at");
  }

  async get(id: string): Promise<Incident | undefined> {
    return (await this.incidents('SELECT id, data FROM incidents WHERE id = $1', [id]))[0];
  }

  async timeline(incidentId: string): Promise<TimelineEntry[]> {
    const { rows } = await this.session.query<{ id: number; incident_id: string; t: number; type: string; data: unknown }>('SELECT id, incident_id, t, type, data FROM timeline WHERE incident_id = $1 ORDER BY id', [incidentId]);
    return rows.map((r) => readTimelineEntry(r, r.data));
  }

  async history(q: IncidentHistoryQuery): Promise<Incident[]> {
    return this.incidents(
      `SELECT id, data FROM incidents
       WHERE opened_at < $1 AND (resolved_at IS NULL OR resolved_at >= $2) AND ($3::text IS NULL OR starts_with(key, $3 || '/'))
       ORDER BY opened_at DESC LIMIT $4`,
      [q.to, q.from, q.stream ?? null, q.limit],
    );
  }

  private async incidents(text: string, values?: unknown[]): Promise<Incident[]> {
    const { rows } = await this.session.query<{ id: string; data: unknown }>(text, values);
    return rows.map((r) => readIncident(r.id, r.data));
  }
}
