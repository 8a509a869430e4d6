import { describe, expect, it } from 'vitest';
import { IDLE_IN_TRANSACTION_MS, PostgresSession } from '../../src/store/postgres/session.ts';
import { postgresMissing, usePostgres } from '../helpers/postgres.ts';

/**
 * The store's one session against a real PostgreSQL: a transaction left idle past the server's
 * idle-in-transaction timeout (a hub stopped, or cut off from the store, in the middle of a write)
 * is ended by the server. That fails the transaction and nothing else: it used to be an 'error'
 * event on the checked-out client with no listener, which ended the hub (seen in the cluster test).
 */
const server = usePostgres();

describe.skipIf(postgresMissing !== undefined)(`PostgreSQL session${postgresMissing ? `: ${postgresMissing}` : ''}`, () => {
  it('a transaction idle past the timeout fails alone; the session carries on with a new connection', async () => {
    const url = await server().createDatabase();
    const poolErrors: Error[] = [];
    const session = new PostgresSession(url, (err) => poolErrors.push(err));
    try {
      await session.query('CREATE TABLE t (n INT)');
      const idle = session.transaction(async (sql) => {
        await sql.query('INSERT INTO t VALUES (1)');
        // Not a statement: the hub doing something else (or stopped) while its transaction is open.
        await new Promise((r) => setTimeout(r, IDLE_IN_TRANSACTION_MS + 1500));
        await sql.query('INSERT INTO t VALUES (2)');
      });
      await expect(idle).rejects.toThrow();
      await session.query('INSERT INTO t VALUES (3)');
      expect((await session.query<{ n: number }>('SELECT n FROM t ORDER BY n')).rows.map((r) => r.n)).toEqual([3]);
    } finally {
      await session.close();
    }
  });
});
