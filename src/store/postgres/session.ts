import pg from 'pg';
import { FencedError } from '../fence.ts';

/** BIGINT (times in unix ms, ids, counts) as a JS number: every value streamguard stores fits in 2^53. */
const INT8_OID = 20;
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser,
};

/** How long a statement may run before the server cancels it (store.postgres.statementTimeout). */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 15_000;

/**
 * How long the server lets a transaction wait for its client before it ends the session (and so
 * the transaction and its locks). A fenced write holds its lease row FOR SHARE until it commits
 * (src/store/postgres/fence.ts): a hub stopped between the statements of one (SIGSTOP, a VM
 * pause, a long GC) blocked every other hub's takeover of that shard, and their lease rounds with
 * it, for as long as it stood still — 10 s in the cluster test. Our transactions are a few
 * statements sent back to back, so a second idle is never ours working; the write fails and is
 * retried, on a new connection, behind the fence.
 */
export const IDLE_IN_TRANSACTION_MS = 1_000;

export type Sql = Pick<pg.PoolClient, 'query'>;

/**
 * The store's one session with the server. Every statement of every repository runs on it, one
 * after another in call order, as the embedded store's one connection does: writes commit in the
 * order they were called, and a read sees every write called before it, awaited or not (the
 * ports' promise, src/store/ports.ts). A pool of one (not a bare client) so that a connection
 * the server dropped is replaced on the next statement instead of failing every later one.
 */
export class PostgresSession {
  private readonly pool: pg.Pool;
  /** Fenced writes refused (FencedError) on this session: the hub's cluster metrics count them. */
  fencedRefusals = 0;
  /** Statements and transactions called and not settled: closing waits for them. */
  private readonly inFlight = new Set<Promise<unknown>>();

  /**
   * `statementTimeoutMs`: the server cancels a statement running longer (a lock never granted, a
   * server that stalls): every later statement queues behind one on this session, so without a
   * bound one hung statement would stop the whole store. Connecting is bounded the same way.
   */
  constructor(url: string, onError: (err: Error) => void, statementTimeoutMs = DEFAULT_STATEMENT_TIMEOUT_MS) {
    this.pool = new pg.Pool({
      connectionString: url,
      max: 1,
      types: TYPES,
      application_name: 'streamguard',
      statement_timeout: statementTimeoutMs,
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
      connectionTimeoutMillis: statementTimeoutMs,
    });
    // An idle connection the server ends emits here; unhandled it would end the process.
    this.pool.on('error', onError);
  }

  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    return this.track(this.pool.query<R>(text, values));
  }

  /** Runs `fn` in one transaction on the session (the statements called meanwhile wait for it). */
  transaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    return this.track(
      (async () => {
        const client = await this.pool.connect();
        let broken: Error | undefined;
        // A checked-out client is not the pool's to watch: the server ending the session between two
        // statements (idle in transaction past the timeout: a hub stopped or cut off mid-write) emits
        // 'error' here, and unhandled that ended the process. The next statement then fails.
        const ended = (err: Error) => (broken = err);
        client.on('error', ended);
        try {
          await client.query('BEGIN');
          const result = await fn(client);
          await client.query('COMMIT');
          return result;
        } catch (err) {
          await client.query('ROLLBACK').catch((e: Error) => (broken = e));
          if (err instanceof FencedError) this.fencedRefusals++;
          throw err;
        } finally {
          client.off('error', ended);
          client.release(broken);
        }
      })(),
    );
  }

  /** Waits for the statements in flight, then closes the connection. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    await this.pool.end();
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    const done = () => this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }
}

/** A JSON document as a statement parameter (cast `::jsonb` in the SQL): stringified here, so arrays stay JSON arrays and `null` stays JSON null. */
export function json(value: unknown): string {
  return JSON.stringify(value);
}
