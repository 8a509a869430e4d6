import type Database from 'better-sqlite3';
import { StreamSchema } from '../../model/stream.ts';
import type { StreamRegistry, StreamRegistryEntry } from '../ports.ts';
import { checkStored, parseStored } from '../stored-record.ts';

interface RegistryRow {
  id: string;
  definition: string | null;
  by: string;
  at: number;
  reason: string;
  source: string | null;
}

/**
 * The run-time streams on the hub's file (table from the stream registry migration): one row per
 * stream id. Definitions are checked by the config's StreamSchema on the way in and on the way out,
 * so a row that does not describe a stream is refused where it is read, naming the stream.
 */
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
    const stream = e.stream === null ? null : checkStored(StreamSchema, e.stream, `stream "${e.id}"`);
    if (stream !== null && stream.id !== e.id) throw new Error(`stream registry: entry "${e.id}" holds the definition of "${stream.id}"`);
    this.upsert.run(e.id, stream === null ? null : JSON.stringify(stream), e.by, e.at, e.reason, e.source ?? null);
  }

  async forget(id: string): Promise<void> {
    this.del.run(id);
  }

  async all(): Promise<StreamRegistryEntry[]> {
    return (this.list.all() as RegistryRow[]).map((r) => {
      const what = `run-time stream "${r.id}"`;
      const stream = r.definition === null ? null : checkStored(StreamSchema, parseStored(r.definition, what), what);
      return { id: r.id, stream, by: r.by, at: r.at, reason: r.reason, ...(r.source !== null && { source: r.source }) };
    });
  }
}
