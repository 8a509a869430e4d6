import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Worker } from 'node:worker_threads';
import type { Logger } from '../../src/common/log.ts';
import type { Sample } from '../../src/model/sample.ts';
import { attachSampleFiles, SampleInbox, SampleMerger, sampleFilesFor } from '../../src/store/sqlite/sample-history.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { until } from '../helpers/until.ts';

const dir = mkdtempSync(join(tmpdir(), 'sg-sample-history-'));

function sample(seq: number, over: Partial<Sample> = {}): Sample {
  return { probe: 'p1', region: 'r1', stream: `s${seq % 3}`, line: 'primary', seq, t: seq * 1000, windowMs: 1000, connected: true, fps: 25, bitrateBps: 1e6, maxGapMs: 40, stallMs: 0, freezeMs: 0, ...over };
}

/** One connection with both tiers in memory: the pure SQL of the two sides, no worker. */
function tiers() {
  const db = new Database(':memory:');
  attachSampleFiles(db, 'memory', 1);
  const count = (table: string) => db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
  return { db, inbox: new SampleInbox(db), count };
}

describe('sample history (inbox → merge → history)', () => {
  it('reads both tiers as one: before a merge, after it, and while merged rows still sit in the inbox', () => {
    const { inbox, db, count } = tiers();
    const merger = new SampleMerger(db);
    inbox.append([sample(1), sample(2), sample(3), sample(4)]);
    const s1 = () => inbox.samples({ stream: 's1', from: 0, to: 1e9 }).map((s) => s.seq);
    expect(s1()).toEqual([1, 4]); // in the inbox only

    const through = merger.merge();
    expect(count('history.samples')).toBe(4);
    expect(s1()).toEqual([1, 4]); // in both tiers: once
    inbox.dropMerged(through);
    expect(count('inbox.sample_inbox')).toBe(0);
    expect(s1()).toEqual([1, 4]);

    inbox.append([sample(7)]); // ids go on after the emptied inbox (AUTOINCREMENT), or the merge would skip it
    expect(merger.merge()).toBeGreaterThan(through);
    expect(s1()).toEqual([1, 4, 7]);
  });

  it('finds every row of a large batch in the inbox before any merge (rows written 25 per statement)', () => {
    const { inbox } = tiers();
    inbox.append(Array.from({ length: 61 }, (_, i) => sample(i + 1)));
    inbox.append([sample(62)]);
    for (const k of [0, 1, 2]) {
      const want = Array.from({ length: 62 }, (_, i) => i + 1).filter((seq) => seq % 3 === k);
      expect(inbox.samples({ stream: `s${k}`, from: 0, to: 1e9 }).map((s) => s.seq)).toEqual(want);
    }
    expect(inbox.pending).toBe(62);
  });

  it('drops merged rows a slice at a time, and only merged ones', () => {
    const { inbox, db, count } = tiers();
    const merger = new SampleMerger(db);
    inbox.append([1, 2, 3, 4, 5].map((k) => sample(k)));
    const through = merger.merge();
    inbox.append([sample(6)]); // after the merge: stays
    expect(inbox.dropMerged(through, 2)).toBe(true);
    expect(count('inbox.sample_inbox')).toBe(4);
    expect(inbox.dropMerged(through, 2)).toBe(true);
    expect(inbox.dropMerged(through, 2)).toBe(false);
    expect(count('inbox.sample_inbox')).toBe(1);
    expect(inbox.pending).toBe(1);
    expect(inbox.samples({ stream: 's0', from: 0, to: 1e9 }).map((s) => s.seq)).toEqual([3, 6]);
  });

  it('a merge repeated after a crash (before the inbox delete) stores nothing twice', () => {
    const { inbox, db, count } = tiers();
    inbox.append([sample(1), sample(2), sample(3)]);
    new SampleMerger(db).merge();
    // A new worker starts from scratch and sees the same inbox rows.
    new SampleMerger(db).merge();
    expect(count('history.samples')).toBe(3);
    expect(inbox.samples({ stream: 's0', from: 0, to: 1e9 }).map((s) => s.seq)).toEqual([3]);
  });

  it("remembers each probe's highest seq across merges, deletes and compaction", async () => {
    const { inbox, db } = tiers();
    const merger = new SampleMerger(db);
    inbox.append([sample(5), sample(9, { probe: 'p2' }), sample(6)]);
    inbox.dropMerged(merger.merge());
    merger.compact(1e9, 0);
    expect(inbox.samples({ stream: 's0', from: 0, to: 1e9 })).toEqual([]); // rolled up
    expect(inbox.lastSeq('p1')).toBe(6);
    expect(inbox.lastSeq('p2')).toBe(9);
    expect(inbox.lastSeq('p3')).toBeUndefined();
  });

  it('files beside the hub database: a.db → a.samples.db, a.inbox.db', () => {
    expect(sampleFilesFor('/x/streamguard.db')).toEqual({ history: '/x/streamguard.samples.db', inbox: '/x/streamguard.inbox.db' });
    expect(sampleFilesFor('/x.y/data')).toEqual({ history: '/x.y/data.samples', inbox: '/x.y/data.inbox' });
    expect(sampleFilesFor(':memory:')).toBe('memory');
  });

  it('the history worker merges into the history file, off the calling thread', async () => {
    const file = join(dir, 'worker.db');
    const store = new SqliteStore(file, { mergeEveryMs: 20 });
    try {
      store.samples.append(Array.from({ length: 300 }, (_, i) => sample(i + 1)));
      const history = new Database(join(dir, 'worker.samples.db'), { readonly: true });
      await until('300 rows in the history file', () => (history.prepare('SELECT COUNT(*) FROM samples').pluck().get() as number) === 300);
      await until('the merged inbox rows deleted', () => store.samples.unmerged() === 0);
      history.close();
      expect(await store.samples.samples({ stream: 's2', from: 0, to: 1e9 })).toHaveLength(100);
    } finally {
      store.close();
    }
  });

  it('a history worker that dies is replaced, and merging goes on from the inbox', async () => {
    const file = join(dir, 'respawn.db');
    const errors: unknown[] = [];
    const logger = { error: (o: unknown) => errors.push(o), warn: () => undefined, info: () => undefined } as unknown as Logger;
    const store = new SqliteStore(file, { mergeEveryMs: 20, logger });
    try {
      store.samples.append([sample(1), sample(2)]);
      await until('first merge', () => store.samples.unmerged() === 0);
      // Kill the thread as a crash would (its handle is private to the sample history).
      const client = (store.samples as unknown as { worker: { worker: Worker } }).worker;
      await client.worker.terminate();
      store.samples.append([sample(3), sample(4)]);
      expect(store.samples.unmerged()).toBe(2); // durable in the inbox meanwhile
      expect((await store.samples.samples({ stream: 's0', from: 0, to: 1e9 })).map((s) => s.seq)).toEqual([3]);
      await until('merged by the new worker', () => store.samples.unmerged() === 0, 10_000);
      const history = new Database(join(dir, 'respawn.samples.db'), { readonly: true });
      expect(history.prepare('SELECT seq FROM samples ORDER BY seq').pluck().all()).toEqual([1, 2, 3, 4]);
      history.close();
      expect(errors.length).toBeGreaterThan(0); // the exit was logged
    } finally {
      store.close();
    }
  });

  it("the hub's own file is checkpointed on a timer, so its WAL stays bounded with no samples flowing", async () => {
    const file = join(dir, 'checkpoint.db');
    const store = new SqliteStore(file, { checkpointEveryMs: 50 });
    const round = async () => {
      for (let i = 0; i < 300; i++) await store.audit.append({ t: i, actor: 'a', action: 'x', target: 'y', reason: 'r'.repeat(200) });
      return statSync(`${file}-wal`).size;
    };
    try {
      const first = await round();
      for (let r = 0; r < 3; r++) {
        await new Promise((resolve) => setTimeout(resolve, 200)); // a checkpoint ran: the WAL is reused from its start
        await round();
      }
      expect(statSync(`${file}-wal`).size).toBeLessThanOrEqual(first * 1.5);
    } finally {
      store.close();
    }
  });

  it('samples acked just before a kill -9 are all there after a restart, once', async () => {
    const file = join(dir, 'killed.db');
    const storeModule = JSON.stringify(new URL('../../src/store/sqlite/store.ts', import.meta.url).pathname);
    // The child appends 10 batches (each durable on return), says how many, and is killed at once.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import { SqliteStore } from ${storeModule};
         const s = new SqliteStore(${JSON.stringify(file)}, { mergeEveryMs: 5 });
         let seq = 0;
         for (let b = 0; b < 10; b++) s.samples.append(Array.from({ length: 500 }, () => ({ probe: 'p1', region: 'r1', stream: 's' + (seq % 7), line: 'primary', seq: ++seq, t: seq, windowMs: 1000, connected: true, fps: 25, bitrateBps: 1, maxGapMs: 40, stallMs: 0, freezeMs: 0 })));
         console.log('acked ' + seq);
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const acked = await new Promise<number>((resolve) => child.stdout.on('data', (d: Buffer) => /acked (\d+)/.test(d.toString()) && resolve(Number(/acked (\d+)/.exec(d.toString())![1]))));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(acked).toBe(5000);

    const store = new SqliteStore(file, { mergeEveryMs: 20 });
    try {
      const seqs = async () => (await Promise.all(Array.from({ length: 7 }, (_, k) => store.samples.samples({ stream: `s${k}`, from: 0, to: 1e9 })))).flat().map((s) => s.seq);
      expect(new Set(await seqs()).size).toBe(5000);
      expect(await seqs()).toHaveLength(5000);
      expect(await store.samples.lastSeq('p1')).toBe(5000);
      // After the new worker's merge: still exactly once.
      await until('the inbox merged', () => store.samples.unmerged() === 0);
      expect(await seqs()).toHaveLength(5000);
    } finally {
      store.close();
    }
  });
});
