import { StoreOpenError } from '../open-error.ts';
import { MIGRATIONS } from './migrations.ts';
import type { PostgresSession } from './session.ts';

/** One key for every hub of a cluster: two hubs starting at once migrate one after the other. */
const MIGRATION_LOCK = 7_318_004_217;

/**
 * Brings the database to the newest schema this streamguard knows: each missing migration in its
 * own transaction with its row in `schema_migrations`, under an advisory lock (the version is
 * read again inside it, so a migration another hub applied meanwhile is not applied twice).
 * Refuses a database a newer streamguard migrated.
 */
export async function migrate(session: PostgresSession, where: string): Promise<void> {
  for (;;) {
    const applied = await session.transaction(async (sql) => {
      await sql.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      // Under the lock: two sessions creating it at once collide even with IF NOT EXISTS.
      await sql.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
      const { rows } = await sql.query<{ version: number | null }>('SELECT MAX(version) AS version FROM schema_migrations');
      const version = rows[0]?.version ?? 0;
      if (version > MIGRATIONS.length) {
        throw new StoreOpenError(`${where}: database schema v${version} is newer than this streamguard (v${MIGRATIONS.length}); upgrade streamguard`);
      }
      if (version === MIGRATIONS.length) return false;
      await sql.query(MIGRATIONS[version]!);
      await sql.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [version + 1, Date.now()]);
      return true;
    });
    if (!applied) return;
  }
}
