/**
 * The store's WAL files stay within their bounds (src/store/sqlite/wal-guard.ts, docs/operations.md
 * "Data files and their WAL bounds"): samples and audit rows written through the real store (the
 * history worker merging and checkpointing), each -wal file's size watched while they flow, with
 * and without a reader holding a read transaction open on the history file.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../../src/common/log.ts';
import type { Sample } from '../../src/model/sample.ts';
import { sampleFilesFor } from '../../src/store/sqlite/sample-history.ts';
import { SqliteStore, type SqliteStoreOptions } from '../../src/store/sqlite/store.ts';
import { WAL_BOUNDS, type StoreFileName } from '../../src/store/sqlite/wal-guard.ts';
import { until } from '../helpers/until.ts';

const dir = mkdtempSync(join(tmpdir(), 'sg-wal-bound-'));

function walSize(file: string): number {
  try {
    return statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
}

/** A store on a new file; `write()` appends one window of samples of `views` views and an audit row. */
function open(name: string, views: number, opts: SqliteStoreOptions = {}) {
  const file = join(dir, `${name}.db`);
  const store = new SqliteStore(file, { mergeEveryMs: 50, checkpointEveryMs: 50, ...opts });
  const tiers = sampleFilesFor(file) as { history: string; inbox: string };
  const files: Record<StoreFileName, string> = { hub: file, inbox: tiers.inbox, history: tiers.history };
  let seq = 0;
  let window = 0;
  const write = () => {
    const t = 1_700_000_000_000 + window++ * 1000;
    const samples: Sample[] = Array.from({ length: views }, (_, i) => ({ probe: 'p1', region: 'r1', stream: `s${i}`, line: 'primary', seq: ++seq, t, windowMs: 1000, connected: true, fps: 25, bitrateBps: 2e6, width: 1280, height: 720, maxGapMs: 40, stallMs: 0, freezeMs: 0 }));
    store.samples.append(samples);
    void store.audit.append({ t, actor: 'test', action: 'test.window', target: 'store', reason: `window ${window} ${'x'.repeat(500)}` });
  };
  const sizes = () => Object.fromEntries((Object.keys(files) as StoreFileName[]).map((f) => [f, walSize(files[f])])) as Record<StoreFileName, number>;
  return { store, files, write, sizes };
}

/** Writes a window every `everyMs` until `done()` is true, recording the largest size each WAL reached. */
async function writeUntil(s: ReturnType<typeof open>, everyMs: number, done: () => boolean, timeoutMs: number): Promise<Record<StoreFileName, number>> {
  const peak = s.sizes();
  await until(
    'the writes to end',
    async () => {
      s.write();
      for (const [f, n] of Object.entries(s.sizes()) as [StoreFileName, number][]) peak[f] = Math.max(peak[f], n);
      await new Promise((r) => setTimeout(r, everyMs));
      return done();
    },
    timeoutMs,
    0,
  );
  return peak;
}

function capture() {
  const lines: { level: string; msg: string }[] = [];
  const logger = {
    warn: (_: unknown, msg: string) => lines.push({ level: 'warn', msg }),
    info: (_: unknown, msg: string) => lines.push({ level: 'info', msg }),
    error: (_: unknown, msg: string) => lines.push({ level: 'error', msg }),
  } as unknown as Logger;
  return { lines, logger };
}

describe('WAL bounds', () => {
  it('every WAL stays below its documented bound under sustained writes, and is within its limit once they stop', async () => {
    const s = open('sustained', 2000);
    try {
      // 2000 views a window, as fast as the store takes them (600,000 samples in a few seconds), merged and
      // checkpointed every 50 ms. Before the bounds (a history checkpoint every 10,000 pages, the
      // inbox's checkpoint racing the hub's deletes), these WALs reached 65 and 75 MB and stayed.
      let windows = 0;
      const peak = await writeUntil(s, 10, () => ++windows >= 300, 60_000);
      for (const f of ['hub', 'inbox', 'history'] as const) expect(peak[f], `${f} WAL peak`).toBeLessThan(WAL_BOUNDS[f].boundBytes);
      await until('every WAL within its limit after the writes', () => (Object.entries(s.sizes()) as [StoreFileName, number][]).every(([f, n]) => n <= WAL_BOUNDS[f].limitBytes), 10_000);
    } finally {
      s.store.close();
    }
  });

  it('a reader holding the history makes its WAL grow over its bound (logged); it shrinks back when the reader goes away', async () => {
    const bounds = { history: { limitBytes: 64 * 1024, boundBytes: 512 * 1024 } };
    const { lines, logger } = capture();
    const s = open('reader', 200, { walBounds: bounds, logger });
    const reader = new Database(s.files.history, { readonly: true });
    try {
      await writeUntil(s, 10, () => s.sizes().history > 0, 10_000); // the history exists
      reader.exec('BEGIN');
      reader.prepare('SELECT COUNT(*) FROM samples').get(); // the read transaction holds its snapshot from here
      await writeUntil(s, 10, () => lines.some((l) => l.level === 'warn'), 30_000);
      expect(s.sizes().history).toBeGreaterThan(bounds.history.boundBytes);
      expect(lines.find((l) => l.level === 'warn')!.msg).toMatch(/reader\.samples\.db-wal is [\d.]+ MiB, over its bound of 0\.5 MiB: a reader holds an old snapshot/);

      reader.exec('COMMIT');
      await writeUntil(s, 10, () => lines.some((l) => l.level === 'info' && /back under its bound/.test(l.msg)), 10_000);
      await until('the history WAL back within its limit', () => s.sizes().history <= bounds.history.limitBytes, 10_000);
    } finally {
      reader.close();
      s.store.close();
    }
  });
});
