import type { SharedHealthStore, StoredHealth } from '../cluster-ports.ts';
import type { PostgresSession } from './session.ts';

/** Table `stream_health`: one row per stream, replaced by its owner hub; `version` from one sequence. */
export class PostgresStreamHealth implements SharedHealthStore {
  constructor(private readonly session: PostgresSession) {}

  async write(hub: string, entries: readonly { stream: string; health: unknown }[]): Promise<void> {
    if (entries.length === 0) return;
    await this.session.query(
      `INSERT INTO stream_health (stream, hub, health, version)
       SELECT e.stream, $1, e.health, nextval('stream_health_version') FROM jsonb_to_recordset($2::jsonb) AS e(stream TEXT, health JSONB)
       ON CONFLICT (stream) DO UPDATE SET hub = excluded.hub, health = excluded.health, version = excluded.version`,
      [hub, JSON.stringify(entries)],
    );
  }

  async read(streams: readonly string[]): Promise<StoredHealth[]> {
    if (streams.length === 0) return [];
    const { rows } = await this.session.query<{ stream: string; hub: string; health: unknown; version: string }>('SELECT stream, hub, health, version FROM stream_health WHERE stream = ANY($1)', [streams]);
    return rows.map((r) => ({ stream: r.stream, hub: r.hub, health: r.health, version: Number(r.version) }));
  }

  async changedSince(version: number): Promise<{ rows: Omit<StoredHealth, 'health'>[]; version: number }> {
    const { rows } = await this.session.query<{ stream: string; hub: string; version: string }>('SELECT stream, hub, version FROM stream_health WHERE version > $1 ORDER BY version', [version]);
    const out = rows.map((r) => ({ stream: r.stream, hub: r.hub, version: Number(r.version) }));
    return { rows: out, version: out.at(-1)?.version ?? version };
  }
}
