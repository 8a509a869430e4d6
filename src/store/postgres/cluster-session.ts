import { log, type Logger } from '../../common/log.ts';
import { redactUrls } from '../../model/redact-url.ts';
import { StoreOpenError } from '../open-error.ts';
import { PostgresHubDirectory } from './hub-directory.ts';
import { PostgresHubHeartbeats } from './hub-heartbeats.ts';
import { migrate } from './migrate.ts';
import { PostgresSession } from './session.ts';
import { PostgresShardLeases } from './shard-leases.ts';

export interface PostgresClusterOptions {
  /** How long a lease or a heartbeat lasts after it was written, in the database's clock. */
  expireMs: number;
  /** Default: the root logger. */
  logger?: Logger;
  /** Where the URL came from, named in errors (as PostgresStore's); default: the URL without its password. */
  source?: string;
}

/**
 * A hub's leases, heartbeat and advertised URL on a session of their own, not the store's: the store runs its
 * statements one after another, and a renewal queued behind a slow batch of samples would miss
 * its deadline on a healthy hub.
 */
export class PostgresClusterSession {
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly session: PostgresSession,
    readonly leases: PostgresShardLeases,
    readonly heartbeats: PostgresHubHeartbeats,
    readonly directory: PostgresHubDirectory,
  ) {}

  /** Connects and migrates (as PostgresStore.open; either may come first); throws StoreOpenError naming `source`. */
  static async open(url: string, opts: PostgresClusterOptions): Promise<PostgresClusterSession> {
    const logger = opts.logger ?? log;
    const where = opts.source ?? redactUrls(url);
    const session = new PostgresSession(url, (err) => logger.error({ err: new Error(redactUrls(err.message)) }, `PostgreSQL leases (${where}): the connection failed; the next statement reconnects`));
    try {
      await migrate(session, where);
    } catch (err) {
      await session.close().catch(() => undefined);
      if (err instanceof StoreOpenError) throw err;
      throw new StoreOpenError(`${where}: opening the PostgreSQL leases failed: ${redactUrls((err as Error).message)}`);
    }
    return new PostgresClusterSession(session, new PostgresShardLeases(session, opts.expireMs), new PostgresHubHeartbeats(session, opts.expireMs), new PostgresHubDirectory(session));
  }

  /** Waits for the statements in flight, then closes the connection. Idempotent. */
  close(): Promise<void> {
    return (this.closing ??= this.session.close());
  }
}
