import type { HubHeartbeats } from '../cluster-ports.ts';
import type { PostgresSession } from './session.ts';

/** Hubs alive (table `hub_heartbeats`), expired by the database's clock as the leases are. */
export class PostgresHubHeartbeats implements HubHeartbeats {
  constructor(
    private readonly session: PostgresSession,
    private readonly expireMs: number,
  ) {}

  async beat(hub: string): Promise<void> {
    await this.session.query(
      `INSERT INTO hub_heartbeats (hub, expires_at) VALUES ($1, now() + $2 * interval '1 millisecond')
       ON CONFLICT (hub) DO UPDATE SET expires_at = excluded.expires_at`,
      [hub, this.expireMs],
    );
  }

  async live(): Promise<string[]> {
    const { rows } = await this.session.query<{ hub: string }>('SELECT hub FROM hub_heartbeats WHERE expires_at > now() ORDER BY hub');
    return rows.map((r) => r.hub);
  }

  async leave(hub: string): Promise<void> {
    await this.session.query('DELETE FROM hub_heartbeats WHERE hub = $1', [hub]);
  }
}
