import type { z } from 'zod';

/**
 * A record read back from storage is not what was written (damage, a foreign writer, a newer
 * streamguard): the message names the record and what is wrong.
 */
export class StoredRecordError extends Error {
  override name = 'StoredRecordError';
}

/** The JSON document of a stored record; `what` names the record, e.g. `incident "s1/primary/down@1700000000000"`. */
export function parseStored(json: string, what: string): unknown {
  try {
    return JSON.parse(json);
  } catch (err) {
    throw new StoredRecordError(`${what} in the store is not valid JSON (${(err as Error).message}); restore a backup or remove the record`);
  }
}

/**
 * Checks a record read back against the schema it was written by, so a bad one is refused where it
 * is read, not deep inside whoever uses it.
 */
export function checkStored<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || '(record)'}: ${i.message}`)
    .join('; ');
  throw new StoredRecordError(`${what} in the store does not match its schema: ${issues}; restore a backup or remove the record`);
}
