import { StreamSchema, type StreamConfig } from '../model/stream.ts';
import type { StreamRegistryEntry } from './ports.ts';
import { checkStored } from './stored-record.ts';

/**
 * Run-time streams as every engine stores them: one row per stream id, its definition checked by
 * the config's StreamSchema on the way in and on the way out (a row that does not describe a
 * stream is refused where it is read, naming the stream). `document` is the stored JSON already
 * decoded (text in SQLite, JSONB in PostgreSQL); null is a config-file stream removed.
 */

/** The definition to write for an entry; throws when it is not a stream or not the entry's. */
export function registryDefinition(e: StreamRegistryEntry): StreamConfig | null {
  const stream = e.stream === null ? null : checkStored(StreamSchema, e.stream, `stream "${e.id}"`);
  if (stream !== null && stream.id !== e.id) throw new Error(`stream registry: entry "${e.id}" holds the definition of "${stream.id}"`);
  return stream;
}

export interface RegistryRow {
  id: string;
  by: string;
  at: number;
  reason: string;
  source: string | null;
}

export function readRegistryEntry(r: RegistryRow, document: unknown): StreamRegistryEntry {
  const what = `run-time stream "${r.id}"`;
  const stream = document === null ? null : checkStored(StreamSchema, document, what);
  return { id: r.id, stream, by: r.by, at: r.at, reason: r.reason, ...(r.source !== null && { source: r.source }) };
}
