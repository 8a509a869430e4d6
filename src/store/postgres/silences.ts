import type { SilenceRepository } from '../ports.ts';
import { json, type PostgresSession } from './session.ts';

/** Operator silences (table `silences`): written when set, deleted when removed, pruned once expired. */
export class PostgresSilenceRepository implements SilenceRepository {
  constructor(private readonly session: PostgresSession) {}

  async save(s: { id: string; until: number }): Promise<void> {
    await this.session.query('INSERT INTO silences (id, until, data) VALUES ($1, $2, $3::jsonb) ON CONFLICT (id) DO UPDATE SET until = excluded.until, data = excluded.data', [s.id, s.until, json(s)]);
  }

  async remove(id: string): Promise<void> {
    await this.session.query('DELETE FROM silences WHERE id = $1', [id]);
  }

  async active(now: number): Promise<unknown[]> {
    await this.session.query('DELETE FROM silences WHERE until <= $1', [now]);
    const { rows } = await this.session.query<{ data: unknown }>('SELECT data FROM silences ORDER BY until');
    return rows.map((r) => r.data);
  }
}
