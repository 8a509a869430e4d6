import type Database from 'better-sqlite3';
import type { StreamRegistry, StreamRegistryEntry } from '../ports.ts';
import { readRegistryEntry, registryDefinition, type RegistryRow } from '../stream-registry-record.ts';
import { parseStored } from '../stored-record.ts';

/** The run-time streams on the hub's file (table `stream_registry`; rows: src/store/stream-registry-record.ts). */
export class SqliteStreamRegistry implements StreamRegistry {
  private readonly upsert: Database.Statement;
  private readonly del: Database.Statement;
  private readonly list: Database.Statement;

  constructor(db: Database.Database) {
    this.upsert = db.prepare('INSERT OR REPLACE INTO stream_registry (id, definition, by, at, reason, source) VALUES (?, ?, ?, ?, ?, ?)');
    this.del = db.prepare('DELETE FROM stream_registry WHERE id = ?');
    this.list = db.prepare('SELECT id, definition, by, at, reason, source FROM stream_registry ORDER BY id');
  }

  async put(e: StreamRegistryEntry): Promise<void> {
    const stream = registryDefinition(e);
    this.upsert.run(e.id, stream === null ? null : JSON.stringify(stream), e.by, e.at, e.reason, e.source ?? null);
  }

  async forget(id: string): Promise<void> {
    this.del.run(id);
  }

  async all(): Promise<StreamRegistryEntry[]> {
    return (this.list.all() as (RegistryRow & { definition: string | null })[]).map(({ definition, ...r }) =>
      readRegistryEntry(r, definition === null ? null : parseStored(definition, `run-time stream "${r.id}"`)),
    );
  }
}
