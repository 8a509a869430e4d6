import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { StoreOpenError } from '../../src/store/open-error.ts';
import { MIGRATIONS } from '../../src/store/postgres/migrations.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { closedPort, until } from '../helpers/processes.ts';
import { postgresMissing, usePostgres } from '../helpers/postgres.ts';

/** Opening the PostgreSQL store: migrations applied once (also by hubs starting together), a newer schema and an absent server refused by name. */
const server = usePostgres();

async function versions(url: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => r.version);
  } finally {
    await client.end();
  }
}

describe.skipIf(postgresMissing !== undefined)(`PostgreSQL store: opening${postgresMissing ? `: ${postgresMissing}` : ''}`, () => {
  it('applies every migration once, also when two hubs open an empty database at the same time', async () => {
    const url = await server().createDatabase();
    const both = await Promise.all([PostgresStore.open(url), PostgresStore.open(url)]);
    expect(await versions(url)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    for (const s of both) await s.close();
    const again = await PostgresStore.open(url);
    await again.close();
    expect(await versions(url)).toEqual(MIGRATIONS.map((_, i) => i + 1));
  });

  it('refuses a database a newer streamguard migrated, naming where its URL came from', async () => {
    const url = await server().createDatabase();
    await (await PostgresStore.open(url)).close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 0)', [MIGRATIONS.length + 1]);
    await client.end();
    const err = await PostgresStore.open(url, { source: 'store.postgres.urlEnv (SG_DB)' }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(StoreOpenError);
    expect((err as Error).message).toBe(`store.postgres.urlEnv (SG_DB): database schema v${MIGRATIONS.length + 1} is newer than this streamguard (v${MIGRATIONS.length}); upgrade streamguard`);
  });

  it('a statement stuck behind a lock is cancelled after statementTimeout, and the store goes on', async () => {
    const url = await server().createDatabase();
    const store = await PostgresStore.open(url, { statementTimeoutMs: 300 });
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE audit IN ACCESS EXCLUSIVE MODE');
      const stuck = await store.audit.append({ t: 1, actor: 'alice', action: 'api.note', target: 'i1', reason: 'stuck' }).catch((e: unknown) => e as Error);
      expect(String(stuck)).toMatch(/statement timeout/);
      await locker.query('ROLLBACK');
      await store.audit.append({ t: 2, actor: 'alice', action: 'api.note', target: 'i1', reason: 'after' });
      expect((await store.audit.recent(5)).map((e) => e.reason)).toEqual(['after']);
    } finally {
      await locker.end();
      await store.close();
    }
  });

  it('takes up again after the server ended its connection: the next statement reconnects', async () => {
    const url = await server().createDatabase();
    const store = await PostgresStore.open(url);
    try {
      await store.audit.append({ t: 1, actor: 'alice', action: 'api.note', target: 'i1', reason: 'before' });
      const admin = new pg.Client({ connectionString: server().url });
      await admin.connect();
      const ended = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'streamguard' AND datname = $1", [new URL(url).pathname.slice(1)]);
      await admin.end();
      expect(ended.rowCount).toBe(1);
      await until('the store answering again', () => store.audit.recent(5).then((rows) => rows.length === 1, () => false));
      await store.audit.append({ t: 2, actor: 'alice', action: 'api.note', target: 'i1', reason: 'after' });
      expect((await store.audit.recent(5)).map((e) => e.reason)).toEqual(['after', 'before']);
    } finally {
      await store.close();
    }
  });

  it('a server that is not there: the error names the source and the URL without its password', async () => {
    const port = await closedPort();
    const err = await PostgresStore.open(`postgres://sg:hunter2-secret@127.0.0.1:${port}/sg`).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(StoreOpenError);
    expect((err as Error).message).toMatch(new RegExp(`^postgres://sg:\\*\\*\\*@127\\.0\\.0\\.1:${port}/sg: cannot connect to PostgreSQL at postgres://sg:\\*\\*\\*@127\\.0\\.0\\.1:${port}/sg: .*ECONNREFUSED`));
    expect((err as Error).message).not.toContain('hunter2');
  });
});
