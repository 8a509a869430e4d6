import { log, type Logger } from '../../common/log.ts';
import { redactUrls } from '../../model/redact-url.ts';
import { StoreOpenError } from '../open-error.ts';
import type { Store } from '../ports.ts';
import { PostgresAuditLog } from './audit.ts';
import { PostgresControlStateRepository } from './control-state.ts';
import { PostgresIncidentRepository } from './incidents.ts';
import { migrate } from './migrate.ts';
import { PostgresTicketOutbox } from './outbox.ts';
import { PostgresSampleHistory } from './samples.ts';
import { PostgresSession } from './session.ts';
import { PostgresSilenceRepository } from './silences.ts';
import { PostgresStreamHealth } from './stream-health.ts';
import { PostgresStreamRegistry } from './stream-registry.ts';
import { PostgresSlaTimers } from './sla.ts';

export interface PostgresStoreOptions {
  /** Default: the root logger. */
  logger?: Logger;
  /** The server cancels a statement running longer (default DEFAULT_STATEMENT_TIMEOUT_MS, src/store/postgres/session.ts). */
  statementTimeoutMs?: number;
  /**
   * Where the URL came from, named in every error (e.g. `store.postgres.urlEnv (SG_DATABASE_URL)`);
   * default: the URL without its password.
   */
  source?: string;
}

/**
 * The store on a PostgreSQL server: the shared store of a cluster of hubs. Every repository of
 * src/store/ports.ts on one session (src/store/postgres/session.ts), the schema brought up to date
 * by versioned migrations when opened (src/store/postgres/migrations.ts). The URL carries the
 * credentials; it is never logged nor put in an error with its password.
 */
export class PostgresStore implements Store {
  readonly incidents: PostgresIncidentRepository;
  readonly audit: PostgresAuditLog;
  readonly samples: PostgresSampleHistory;
  readonly outbox: PostgresTicketOutbox;
  readonly sla: PostgresSlaTimers;
  readonly silences: PostgresSilenceRepository;
  readonly control: PostgresControlStateRepository;
  readonly streams: PostgresStreamRegistry;
  /** A cluster's shared line health (src/store/cluster-ports.ts): not a port of every store, a lone hub keeps it in memory. */
  readonly health: PostgresStreamHealth;
  private closing: Promise<void> | undefined;

  private constructor(private readonly session: PostgresSession) {
    this.incidents = new PostgresIncidentRepository(session);
    this.audit = new PostgresAuditLog(session);
    this.samples = new PostgresSampleHistory(session);
    this.outbox = new PostgresTicketOutbox(session);
    this.sla = new PostgresSlaTimers(session);
    this.silences = new PostgresSilenceRepository(session);
    this.control = new PostgresControlStateRepository(session);
    this.streams = new PostgresStreamRegistry(session);
    this.health = new PostgresStreamHealth(session);
  }

  /** Writes this store refused because their fence was stale (another hub had taken the shard), since open. */
  get fencedRefusals(): number {
    return this.session.fencedRefusals;
  }

  /** Connects and migrates; throws StoreOpenError naming `source` when the server refuses or is not there. */
  static async open(url: string, opts: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const logger = opts.logger ?? log;
    const where = opts.source ?? redactUrls(url);
    const session = new PostgresSession(url, (err) => logger.error({ err: new Error(redactUrls(err.message)) }, `PostgreSQL store (${where}): the connection failed; the next statement reconnects`), opts.statementTimeoutMs);
    try {
      await session.query('SELECT 1');
    } catch (err) {
      await session.close().catch(() => undefined);
      throw new StoreOpenError(`${where}: cannot connect to PostgreSQL at ${redactUrls(url)}: ${redactUrls((err as Error).message)}`);
    }
    try {
      await migrate(session, where);
    } catch (err) {
      await session.close().catch(() => undefined);
      if (err instanceof StoreOpenError) throw err;
      throw new StoreOpenError(`${where}: migrating the PostgreSQL schema failed: ${redactUrls((err as Error).message)}`);
    }
    return new PostgresStore(session);
  }

  /** Waits for the statements in flight, then closes the connection. Idempotent. */
  close(): Promise<void> {
    return (this.closing ??= this.session.close());
  }
}
