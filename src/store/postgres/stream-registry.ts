import type { StreamRegistry, StreamRegistryEntry } from '../ports.ts';
import { readRegistryEntry, registryDefinition, type RegistryRow } from '../stream-registry-record.ts';
import { json, type PostgresSession } from './session.ts';

/** The run-time streams (table `stream_registry`; rows: src/store/stream-registry-record.ts). */
export class PostgresStreamRegistry implements StreamRegistry {
  constructor(private readonly session: PostgresSession) {}

  async put(e: StreamRegistryEntry): Promise<void> {
    const stream = registryDefinition(e);
    await this.session.query(
      `INSERT INTO stream_registry (id, definition, by, at, reason, source) VALUES ($1, $2::jsonb, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, by = excluded.by, at = excluded.at, reason = excluded.reason, source = excluded.source`,
      [e.id, stream === null ? null : json(stream), e.by, e.at, e.reason, e.source ?? null],
    );
  }

  async forget(id: string): Promise<void> {
    await this.session.query('DELETE FROM stream_registry WHERE id = $1', [id]);
  }

  /**
   * The row count and the sum of the rows' xmin (the transaction that wrote each row version): a
   * put writes a new version under a new transaction id, a forget changes the count, so any change
   * moves the token; nothing but the tuple headers is read.
   */
  async version(): Promise<string> {
    const { rows } = await this.session.query<{ n: number; x: string }>('SELECT count(*) AS n, coalesce(sum(xmin::text::bigint), 0)::text AS x FROM stream_registry');
    return `${rows[0]!.n}:${rows[0]!.x}`;
  }

  async all(): Promise<StreamRegistryEntry[]> {
    const { rows } = await this.session.query<RegistryRow & { definition: unknown }>('SELECT id, definition, by, at, reason, source FROM stream_registry ORDER BY id');
    return rows.map(({ definition, ...r }) => readRegistryEntry(r, definition));
  }
}
