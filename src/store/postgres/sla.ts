import type { SlaRow, SlaTimers } from '../ports.ts';
import type { Fence } from '../fence.ts';
import { fencedQuery } from './fence.ts';
import { json, type PostgresSession } from './session.ts';

/** SLA and escalation state per incident (table `ticket_sla`). */
export class PostgresSlaTimers implements SlaTimers {
  constructor(private readonly session: PostgresSession) {}

  async save(incidentId: string, data: unknown, done: boolean, fence?: Fence): Promise<void> {
    await fencedQuery(this.session, fence, 'INSERT INTO ticket_sla (incident_id, done, data) VALUES ($1, $2, $3::jsonb) ON CONFLICT (incident_id) DO UPDATE SET done = excluded.done, data = excluded.data', [incidentId, done, json(data)]);
  }

  async get(incidentId: string): Promise<SlaRow | undefined> {
    return (await this.rows('SELECT incident_id, done, data FROM ticket_sla WHERE incident_id = $1', [incidentId]))[0];
  }

  async active(): Promise<SlaRow[]> {
    return this.rows('SELECT incident_id, done, data FROM ticket_sla WHERE NOT done ORDER BY incident_id', []);
  }

  private async rows(text: string, values: unknown[]): Promise<SlaRow[]> {
    const { rows } = await this.session.query<{ incident_id: string; done: boolean; data: unknown }>(text, values);
    return rows.map((r) => ({ incidentId: r.incident_id, done: r.done, data: r.data }));
  }
}
