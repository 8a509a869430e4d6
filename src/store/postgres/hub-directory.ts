import type { HubDirectory } from '../cluster-ports.ts';
import type { PostgresSession } from './session.ts';

/** The hubs' advertise URLs (table `hub_directory`), one row per hub, replaced at every start. */
export class PostgresHubDirectory implements HubDirectory {
  constructor(private readonly session: PostgresSession) {}

  async advertise(hub: string, url: string): Promise<void> {
    await this.session.query(
      `INSERT INTO hub_directory (hub, url, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (hub) DO UPDATE SET url = excluded.url, updated_at = excluded.updated_at`,
      [hub, url],
    );
  }

  async urls(): Promise<Map<string, string>> {
    const { rows } = await this.session.query<{ hub: string; url: string }>('SELECT hub, url FROM hub_directory');
    return new Map(rows.map((r) => [r.hub, r.url]));
  }
}
