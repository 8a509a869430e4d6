import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Sample } from '../../src/model/sample.ts';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';

const dir = mkdtempSync(join(tmpdir(), 'sg-sample-rows-'));

const full: Sample = {
  probe: 'p1', region: 'r1', stream: 's1', line: 'backup', seq: 7, t: 7000, windowMs: 500, connected: false, startupMs: 850, latencyMs: -12.5,
  fps: 24.5, bitrateBps: 1.5e6, width: 1280, height: 720, maxGapMs: 300, stallMs: 120, freezeMs: 40, avSkewMs: -8, avSyncMs: 33, error: 'timeout',
  impaired: 'time-jump',
};
/** What a file an older hub wrote can hold: the fields Sample had before `impaired`. */
const { impaired: _, ...older } = full;
const bare: Sample = { probe: 'p1', region: 'r1', stream: 's1', line: 'primary', seq: 8, t: 8000, windowMs: 1000, connected: true, fps: 25, bitrateBps: 1e6, maxGapMs: 40, stallMs: 0, freezeMs: 0 };

describe('raw sample rows (typed columns, migration 4)', () => {
  it('reads back every field written, and leaves absent optional fields absent', async () => {
    const s = new SqliteStore(join(dir, 'roundtrip.sqlite'));
    s.samples.append([full, bare]);
    expect(await s.samples.samples({ stream: 's1', from: 0, to: 10_000 })).toEqual([full, bare]);
    s.close();
  });

  it('migrates a v3 database file: its samples keep every field, dedup and lastSeq still hold', async () => {
    const file = join(dir, 'v3.sqlite');
    const old = new Database(file);
    old.pragma('journal_mode = WAL');
    for (const sql of MIGRATIONS.slice(0, 3)) old.exec(sql);
    old.pragma('user_version = 3');
    const insert = old.prepare(
      `INSERT INTO samples (probe, seq, region, stream, line, t, connected, fps, bitrate_bps, stall_ms, freeze_ms, max_gap_ms, latency_ms, data)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const x of [older, bare]) insert.run(x.probe, x.seq, x.region, x.stream, x.line, x.t, x.connected ? 1 : 0, x.fps, x.bitrateBps, x.stallMs, x.freezeMs, x.maxGapMs, x.latencyMs ?? null, JSON.stringify(x));
    old.close();

    const s = new SqliteStore(file);
    expect(await s.samples.samples({ stream: 's1', from: 0, to: 10_000 })).toEqual([older, bare]);
    expect(await s.samples.lastSeq('p1')).toBe(8);
    s.samples.append([bare, { ...bare, seq: 9, t: 9000 }]);
    expect((await s.samples.samples({ stream: 's1', from: 0, to: 10_000 })).map((x) => x.seq)).toEqual([7, 8, 9]);
    s.close();
    const migrated = new Database(file, { readonly: true });
    expect(migrated.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    // The samples left the hub's file for the sample history (migration 5), as typed columns only.
    expect(migrated.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'samples'").get()).toEqual({ n: 0 });
    migrated.close();
    const history = new Database(join(dir, 'v3.samples.sqlite'), { readonly: true });
    expect(history.prepare("SELECT COUNT(*) AS n FROM pragma_table_info('samples') WHERE name = 'data'").get()).toEqual({ n: 0 });
    expect(history.prepare("SELECT COUNT(*) AS n FROM pragma_table_info('samples') WHERE name = 'fps'").get()).toEqual({ n: 1 });
    history.close();
  });

  it('adds the columns of newer Sample fields to sample files an older hub wrote, keeping their rows', async () => {
    const file = join(dir, 'older.sqlite');
    new SqliteStore(file).close();
    for (const tier of ['older.samples.sqlite', 'older.inbox.sqlite']) {
      const db = new Database(join(dir, tier));
      const table = tier.includes('inbox') ? 'sample_inbox' : 'samples';
      for (const column of ['impaired', 'black_ms', 'silence_ms', 'loudness_lufs', 'true_peak_dbtp']) db.exec(`ALTER TABLE ${table} DROP COLUMN ${column}`);
      db.close();
    }
    const old = new Database(join(dir, 'older.inbox.sqlite'));
    const cols = (old.prepare(`SELECT name FROM pragma_table_info('sample_inbox') WHERE name <> 'id'`).pluck().all() as string[]).join(', ');
    old.prepare(`INSERT INTO sample_inbox (${cols}) VALUES (${cols.split(', ').map(() => '?').join(', ')})`).run(
      older.probe, older.seq, older.region, older.stream, older.line, older.t, older.windowMs, 0, older.startupMs, older.latencyMs,
      older.fps, older.bitrateBps, older.width, older.height, older.maxGapMs, older.stallMs, older.freezeMs, older.avSkewMs, older.avSyncMs, older.error,
    );
    old.close();

    const s = new SqliteStore(file);
    const newer = { ...bare, impaired: 'cpu-pressure' as const, blackMs: 400, silenceMs: 1000, loudnessLufs: -23.5, truePeakDbtp: -1.2 };
    s.samples.append([newer]);
    expect(await s.samples.samples({ stream: 's1', from: 0, to: 10_000 })).toEqual([older, newer]);
    s.close();
  });
});
