import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/store/ports.ts';
import { MIGRATIONS as POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { MIGRATIONS as SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { postgresMissing, usePostgres } from '../helpers/postgres.ts';

/**
 * The audit log's `stream` column (SQLite migration 10, PostgreSQL migration 5): the controller's
 * rows an older hub wrote are found by stream after the upgrade, so a restart right after it still
 * resumes what the old hub left unfinished.
 */

const rows: AuditEntry[] = [
  { t: 1, actor: 'policy:failover', action: 'control.switch', target: 'stream:s1 line:primary>backup', reason: 'primary down', data: { action: { id: 'a1' } } },
  { t: 2, actor: 'policy:failover', action: 'control.feature.disable', target: 'stream:s1 feature:ads', reason: 'ads break it' },
  { t: 3, actor: 'policy:failover', action: 'control.switch', target: 'stream:s2', reason: 'primary down' },
  { t: 4, actor: 'alice', action: 'ws.pin', target: 's1', reason: 'hold it' },
];
const picked = (entries: AuditEntry[]) => entries.map((e) => `${e.t} ${e.action}`);

describe('the audit log names its stream, also in rows written before it did', () => {
  it('SQLite: a version 9 file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sg-audit-stream-')), 'hub.sqlite');
    const old = new Database(file);
    old.pragma('journal_mode = WAL');
    for (const sql of SQLITE_MIGRATIONS.slice(0, 9)) old.exec(sql);
    old.pragma('user_version = 9');
    const insert = old.prepare('INSERT INTO audit (t, actor, action, target, reason, data) VALUES (?, ?, ?, ?, ?, ?)');
    for (const e of rows) insert.run(e.t, e.actor, e.action, e.target, e.reason, e.data === undefined ? null : JSON.stringify(e.data));
    old.close();
    const store = new SqliteStore(file);
    try {
      expect(picked(await store.audit.controlOf(['s1'], 10))).toEqual(['2 control.feature.disable', '1 control.switch']);
      expect(picked(await store.audit.controlOf(['s2'], 10))).toEqual(['3 control.switch']);
      expect((await store.audit.controlOf(['s1'], 10))[1]).toEqual(rows[0]);
    } finally {
      store.close();
    }
  });

  const server = usePostgres();
  it.skipIf(postgresMissing !== undefined)(`PostgreSQL: a version 4 database${postgresMissing ? `: ${postgresMissing}` : ''}`, async () => {
    const url = await server().createDatabase();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // A database as version 4 left it: migrated to the end, then migration 5 taken back.
      await (await PostgresStore.open(url)).close();
      await client.query('ALTER TABLE audit DROP COLUMN stream');
      await client.query('DELETE FROM schema_migrations WHERE version = $1', [POSTGRES_MIGRATIONS.length]);
      for (const e of rows) await client.query('INSERT INTO audit (t, actor, action, target, reason, data) VALUES ($1, $2, $3, $4, $5, $6)', [e.t, e.actor, e.action, e.target, e.reason, e.data === undefined ? null : JSON.stringify(e.data)]);
    } finally {
      await client.end();
    }
    const store = await PostgresStore.open(url);
    try {
      expect(picked(await store.audit.controlOf(['s1', 's2'], 10))).toEqual(['3 control.switch', '2 control.feature.disable', '1 control.switch']);
      expect((await store.audit.controlOf(['s1'], 10))[1]).toEqual(rows[0]);
    } finally {
      await store.close();
    }
  });
});
