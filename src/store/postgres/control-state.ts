import type { ControlStateRepository, StoredControlState } from '../ports.ts';
import type { Fence } from '../fence.ts';
import { fencedQuery } from './fence.ts';
import { json, type PostgresSession } from './session.ts';

/** The controller's state per stream (table `control_state`). */
export class PostgresControlStateRepository implements ControlStateRepository {
  constructor(private readonly session: PostgresSession) {}

  async save(stream: string, data: unknown, at: number, fence?: Fence): Promise<void> {
    await fencedQuery(this.session, fence, 'INSERT INTO control_state (stream, updated_at, data) VALUES ($1, $2, $3::jsonb) ON CONFLICT (stream) DO UPDATE SET updated_at = excluded.updated_at, data = excluded.data', [stream, at, json(data)]);
  }

  async all(): Promise<StoredControlState[]> {
    const { rows } = await this.session.query<{ stream: string; updated_at: number; data: unknown }>('SELECT stream, updated_at, data FROM control_state ORDER BY stream');
    return rows.map((r) => ({ stream: r.stream, updatedAt: r.updated_at, data: r.data }));
  }

  async remove(stream: string): Promise<void> {
    await this.session.query('DELETE FROM control_state WHERE stream = $1', [stream]);
  }
}
