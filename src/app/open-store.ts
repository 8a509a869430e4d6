import { join } from 'node:path';
import type { Logger } from '../common/log.ts';
import type { Config } from '../config/schema.ts';
import { redactUrls } from '../model/redact-url.ts';
import { StoreOpenError } from '../store/open-error.ts';
import type { Store } from '../store/ports.ts';
import { PostgresStore } from '../store/postgres/store.ts';
import { SqliteStore } from '../store/sqlite/store.ts';

export const DB_FILE = 'streamguard.db';

export interface OpenedStore {
  store: Store;
  /** Where it is, for people: the SQLite file, or the PostgreSQL URL without its password. */
  location: string;
  /** The embedded store (its WAL sizes go to /metrics); undefined on PostgreSQL. */
  sqlite: SqliteStore | undefined;
  /** The shared store (its fenced refusals go to /metrics); undefined on SQLite. */
  postgres: PostgresStore | undefined;
}

/**
 * Opens the store the config chooses: the embedded SQLite files in the data dir (the default), or
 * the PostgreSQL server whose URL is in the environment variable `store.postgres.urlEnv` names.
 * Throws StoreOpenError naming the YAML path and the variable when it is unset or the server
 * refuses; the URL's password is in no message.
 */
export async function openStore(config: Config, opts: { dataDir: string; env: NodeJS.ProcessEnv; logger: Logger }): Promise<OpenedStore> {
  const pg = config.store.postgres;
  if (!pg) {
    const sqlite = new SqliteStore(join(opts.dataDir, DB_FILE), { logger: opts.logger });
    return { store: sqlite, location: sqlite.file, sqlite, postgres: undefined };
  }
  const source = `store.postgres.urlEnv (${pg.urlEnv})`;
  const url = opts.env[pg.urlEnv];
  if (!url) throw new StoreOpenError(`${source}: environment variable ${pg.urlEnv} is not set; it must hold the store's PostgreSQL URL (postgres://user:password@host:5432/db)`);
  const store = await PostgresStore.open(url, { logger: opts.logger, source, statementTimeoutMs: pg.statementTimeout });
  return { store, location: redactUrls(url), sqlite: undefined, postgres: store };
}
