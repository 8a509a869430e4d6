/**
 * Raw-sample storage side by side, same workload, one run (ratios hold on a noisy machine):
 *
 *   npx tsx bench/sample-table.ts [samples=500000] [history=1000000] [rounds=2]
 *
 * Workload: the uplink bench's — 50 probes × 1,000 streams, one sample per stream per second,
 * arriving probe by probe in batches of 500, one transaction per batch (the hub's group commit).
 * Every variant's files first hold `history` samples. Rounds interleave the variants.
 *
 *   v4         the previous store: PRIMARY KEY (probe, seq) WITHOUT ROWID + index (stream, t) +
 *              index (t), on the hub's thread
 *   by-stream  one clustered key (stream, t, region, line, probe, seq), nothing else, on the hub's thread
 *   two-tier   the store now (src/store/sqlite/sample-history.ts): SampleInbox.append on the hub's
 *              thread; SampleMerger.merge every MERGE_EVERY samples — in the hub this runs in the
 *              history worker thread, so it is timed apart. Two-tier runs twice: merging 12,500
 *              (250 ms at 50k/s) and 50,000 (1 s, the default) rows at a time
 *
 * Figures: CPU µs per sample on the hub's thread and in the worker, and the longest single call
 * on the hub's thread (what an ack can wait behind). All variants: WAL, synchronous=NORMAL.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sample } from '../src/model/sample.ts';
import { attachSampleFiles, SampleInbox, SampleMerger } from '../src/store/sqlite/sample-history.ts';
import { SAMPLE_COLUMNS, sampleValues } from '../src/store/sample-row.ts';
import { SAMPLE_COLUMN_DEFS } from '../src/store/sqlite/sample-columns.ts';

const N = Number(process.argv[2] ?? 500_000);
const HISTORY = Number(process.argv[3] ?? 1_000_000);
const ROUNDS = Number(process.argv[4] ?? 2);
const PROBES = 50;
const STREAMS = 1000;
const BATCH = 500;
const T0 = 1_700_000_000_000;

interface Variant {
  name: string;
  /** One batch on the hub's thread. */
  write(batch: Sample[]): void;
  /** Worker-side work, every `mergeEvery` samples (two-tier only). */
  background?(): void;
  mergeEvery?: number;
}

const dir = mkdtempSync(join(tmpdir(), 'sg-bench-table-'));

function oneTable(name: string, ddl: string): Variant {
  const db = new Database(join(dir, `${name}.db`));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -65536');
  db.pragma('wal_autocheckpoint = 10000');
  db.exec(ddl);
  const insert = db.prepare(`INSERT OR IGNORE INTO samples (${SAMPLE_COLUMNS}) VALUES (${SAMPLE_COLUMNS.split(',').map(() => '?').join(', ')})`);
  const tx = db.transaction((batch: Sample[]) => {
    for (const s of batch) insert.run(sampleValues(s));
  });
  return { name, write: (b) => tx(b) };
}

function twoTier(mergeEvery: number): Variant {
  const hub = new Database(join(dir, `hub-${mergeEvery}.db`));
  hub.pragma('journal_mode = WAL');
  attachSampleFiles(hub, { history: join(dir, `two-${mergeEvery}.samples.db`), inbox: join(dir, `two-${mergeEvery}.inbox.db`) }, 16);
  hub.pragma('wal_autocheckpoint = 0'); // as SqliteStore: the worker checkpoints the inbox
  const inbox = new SampleInbox(hub);
  const worker = new Database(':memory:');
  attachSampleFiles(worker, { history: join(dir, `two-${mergeEvery}.samples.db`), inbox: join(dir, `two-${mergeEvery}.inbox.db`) }, 64);
  worker.pragma('wal_autocheckpoint = 10000');
  const merger = new SampleMerger(worker);
  let through = 0;
  return {
    name: `two-tier, merge ${mergeEvery.toLocaleString('en')}`,
    mergeEvery,
    write: (b) => {
      inbox.append(b);
      if (through > 0) {
        // The hub deletes what the worker reported merged (on the hub's thread, so timed there).
        inbox.dropMerged(through);
        through = 0;
      }
    },
    background: () => {
      through = merger.merge();
      worker.pragma('inbox.wal_checkpoint(PASSIVE)');
    },
  };
}

const variants: Variant[] = [
  oneTable('v4', `CREATE TABLE samples (${SAMPLE_COLUMN_DEFS}, PRIMARY KEY (probe, seq)) WITHOUT ROWID;
    CREATE INDEX samples_stream_t ON samples(stream, t); CREATE INDEX samples_t ON samples(t);`),
  oneTable('by-stream', `CREATE TABLE samples (${SAMPLE_COLUMN_DEFS}, PRIMARY KEY (stream, t, region, line, probe, seq)) WITHOUT ROWID;`),
  twoTier(12_500),
  twoTier(50_000),
];

/** Probe p's batches of window w (seq follows from w: every variant gets identical rows). */
function windowBatches(w: number, p: number): Sample[][] {
  const out: Sample[][] = [];
  for (let k = 0; k < STREAMS; k += BATCH) {
    const batch: Sample[] = [];
    for (let s = k; s < Math.min(STREAMS, k + BATCH); s++) {
      batch.push({ probe: `p-r${p}`, region: `r${p}`, stream: `s${s}`, line: 'primary', seq: w * STREAMS + s + 1, t: T0 + w * 1000 + p * 20, windowMs: 1000, connected: true, fps: 25, bitrateBps: 1_500_000 + s, width: 1280, height: 720, maxGapMs: 48, stallMs: 0, freezeMs: 0, latencyMs: 2100, avSkewMs: 12 });
    }
    out.push(batch);
  }
  return out;
}

function window(w: number): Sample[][] {
  return Array.from({ length: PROBES }, (_, p) => windowBatches(w, p)).flat();
}

interface Run {
  hubUs: number;
  workerUs: number;
  maxCallMs: number;
}
const cursor = new Map<string, number>();
function write(v: Variant, n: number): Run {
  let hub = 0;
  let worker = 0;
  let maxCall = 0;
  let done = 0;
  let sinceMerge = 0;
  let w = cursor.get(v.name) ?? 0;
  while (done < n) {
    for (const batch of window(w)) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      v.write(batch);
      maxCall = Math.max(maxCall, performance.now() - t0);
      const c = process.cpuUsage(c0);
      hub += c.user + c.system;
      done += batch.length;
      sinceMerge += batch.length;
      if (v.background && sinceMerge >= v.mergeEvery!) {
        const b0 = process.cpuUsage();
        v.background();
        const b = process.cpuUsage(b0);
        worker += b.user + b.system;
        sinceMerge = 0;
      }
    }
    w++;
  }
  cursor.set(v.name, w);
  return { hubUs: hub / done, workerUs: worker / done, maxCallMs: maxCall };
}

for (const v of variants) write(v, HISTORY);
const runs = new Map<string, Run[]>();
for (let r = 0; r < ROUNDS; r++) for (const v of variants) runs.set(v.name, [...(runs.get(v.name) ?? []), write(v, N)]);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(runs.get('v4')!.map((r) => r.hubUs + r.workerUs));
console.log(`${HISTORY.toLocaleString('en')} samples of history, then ${ROUNDS} × ${N.toLocaleString('en')} per variant; ${PROBES} probes × ${STREAMS} streams, batches of ${BATCH}`);
console.log('| variant | hub thread µs/sample | worker µs/sample | total vs v4 | longest hub-thread call (ms) |');
console.log('|---|---|---|---|---|');
for (const v of variants) {
  const rs = runs.get(v.name)!;
  const hub = median(rs.map((r) => r.hubUs));
  const worker = median(rs.map((r) => r.workerUs));
  console.log(`| ${v.name} | ${hub.toFixed(2)} | ${worker.toFixed(2)} | ${((hub + worker) / base).toFixed(2)} | ${Math.max(...rs.map((r) => r.maxCallMs)).toFixed(1)} |`);
}
rmSync(dir, { recursive: true, force: true });
