import type pg from 'pg';
import { FencedError, type Fence } from '../fence.ts';
import type { PostgresSession, Sql } from './session.ts';

/**
 * Checks a fence inside the transaction of the write it guards, or throws FencedError (the
 * transaction then rolls back: nothing is written). FOR SHARE locks the lease row until the
 * write commits, so a takeover (an UPDATE of that row) waits for it: the write is either before
 * the takeover or refused, never after it with the old epoch.
 */
export async function checkFence(sql: Sql, fence: Fence): Promise<void> {
  const { rows } = await sql.query<{ owner: string; epoch: number }>('SELECT owner, epoch FROM shard_leases WHERE shard = $1 FOR SHARE', [fence.shard]);
  const holder = rows[0];
  if (holder?.owner === fence.owner && holder.epoch === fence.epoch) return;
  throw new FencedError(fence, holder);
}

/** One write statement, behind `fence` when there is one (in one transaction with its check), else as it is. */
export function fencedQuery(session: PostgresSession, fence: Fence | undefined, text: string, values: unknown[]): Promise<pg.QueryResult> {
  if (fence === undefined) return session.query(text, values);
  return session.transaction(async (sql) => {
    await checkFence(sql, fence);
    return sql.query(text, values);
  });
}
