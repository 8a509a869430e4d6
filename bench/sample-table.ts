/**
 * Raw-sample table layouts side by side: the same workload written into each layout in one run,
 * so the ratios between them hold even on a shared, noisy machine.
 *
 *   npx tsx bench/sample-table.ts [samples=500000] [history=1000000] [rounds=2]
 *
 * Workload: the uplink bench's — 50 probes (one per region) × 1,000 streams, one sample per
 * stream per second, arriving probe by probe in batches of 500, one transaction per batch (the
 * hub's group commit). Each layout's file first holds `history` samples, so its B-trees are not
 * empty. Each round writes `samples` more into every layout, in turn (rounds interleave the
 * layouts so drift in machine load hits all of them). Figures: µs of CPU per sample (process
 * CPU, which is what the hub's core pays) and wall samples/s; then the cost of one per-stream
 * query and of pruning one minute of raw samples, the two reads the layout must keep cheap.
 *
 * Layouts (same columns, same settings as src/store/sqlite.ts: WAL, synchronous=NORMAL, 64 MiB cache):
 *   by-probe   PRIMARY KEY (probe, seq) WITHOUT ROWID + index (stream, t) + index (t)   (migration 4)
 *   by-probe-1 the same without the (t) index
 *   by-stream  PRIMARY KEY (stream, t, region, line, probe, seq) WITHOUT ROWID, nothing else:
 *              rows clustered the way they are read; dedup on (probe, seq) kept by the hub, the
 *              per-probe high-water mark in a one-row-per-probe table
 * Insert: one `run()` per row (`row`) or 25 rows per statement (`multi`).
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const N = Number(process.argv[2] ?? 500_000);
const HISTORY = Number(process.argv[3] ?? 1_000_000);
const ROUNDS = Number(process.argv[4] ?? 2);
const PROBES = 50;
const STREAMS = 1000;
const BATCH = 500;
const ROWS_PER_STMT = 25;
const T0 = 1_700_000_000_000;

const COLUMNS = 'probe, seq, region, stream, line, t, window_ms, connected, startup_ms, latency_ms, fps, bitrate_bps, width, height, max_gap_ms, stall_ms, freeze_ms, av_skew_ms, av_sync_ms, error';
const TYPES = `probe TEXT NOT NULL, seq INTEGER NOT NULL, region TEXT NOT NULL, stream TEXT NOT NULL, line TEXT NOT NULL,
  t INTEGER NOT NULL, window_ms INTEGER NOT NULL, connected INTEGER NOT NULL, startup_ms REAL, latency_ms REAL,
  fps REAL NOT NULL, bitrate_bps REAL NOT NULL, width INTEGER, height INTEGER, max_gap_ms REAL NOT NULL,
  stall_ms REAL NOT NULL, freeze_ms REAL NOT NULL, av_skew_ms REAL, av_sync_ms REAL, error TEXT`;

interface Layout {
  name: string;
  ddl: string;
  /** Extra per-batch statement (the by-stream layout's per-probe high-water mark). */
  highWater: boolean;
  prune: string;
}

const LAYOUTS: Layout[] = [
  {
    name: 'by-probe',
    ddl: `CREATE TABLE samples (${TYPES}, PRIMARY KEY (probe, seq)) WITHOUT ROWID;
          CREATE INDEX samples_stream_t ON samples(stream, t); CREATE INDEX samples_t ON samples(t);`,
    highWater: false,
    prune: 'DELETE FROM samples WHERE t < @before',
  },
  {
    name: 'by-probe-1',
    ddl: `CREATE TABLE samples (${TYPES}, PRIMARY KEY (probe, seq)) WITHOUT ROWID;
          CREATE INDEX samples_stream_t ON samples(stream, t);`,
    highWater: false,
    prune: 'DELETE FROM samples WHERE t < @before',
  },
  {
    name: 'by-stream',
    ddl: `CREATE TABLE samples (${TYPES}, PRIMARY KEY (stream, t, region, line, probe, seq)) WITHOUT ROWID;
          CREATE TABLE probe_seqs (probe TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;`,
    highWater: true,
    // Per stream, a range delete on the clustered key (no full scan).
    prune: `DELETE FROM samples WHERE stream IN (SELECT DISTINCT stream FROM samples) AND t < @before`,
  },
];

type Row = unknown[];
const seqs = new Array<number>(PROBES).fill(0);
/** Window w, probe p: its 1,000 samples. */
function windowRows(w: number, p: number): Row[] {
  const rows: Row[] = [];
  for (let s = 0; s < STREAMS; s++) {
    rows.push([`p-r${p}`, ++seqs[p]!, `r${p}`, `s${s}`, 'primary', T0 + w * 1000 + p * 20, 1000, 1, null, 2100, 25, 1_500_000 + s, 1280, 720, 48, 0, 0, 12, null, null]);
  }
  return rows;
}

interface Db {
  layout: Layout;
  db: Database.Database;
  file: string;
  insertRow: Database.Statement;
  insertMulti: Database.Statement;
  highWater: Database.Statement | undefined;
  window: number;
}

function open(dir: string, layout: Layout, multi: boolean): Db {
  const file = join(dir, `${layout.name}-${multi ? 'multi' : 'row'}.db`);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -65536');
  db.pragma('wal_autocheckpoint = 10000');
  db.exec(layout.ddl);
  const one = `(${COLUMNS.split(',').map(() => '?').join(',')})`;
  return {
    layout,
    db,
    file,
    insertRow: db.prepare(`INSERT OR IGNORE INTO samples (${COLUMNS}) VALUES ${one}`),
    insertMulti: db.prepare(`INSERT OR IGNORE INTO samples (${COLUMNS}) VALUES ${Array.from({ length: ROWS_PER_STMT }, () => one).join(',')}`),
    highWater: layout.highWater ? db.prepare('INSERT INTO probe_seqs (probe, seq) VALUES (?, ?) ON CONFLICT(probe) DO UPDATE SET seq = excluded.seq') : undefined,
    window: 0,
  };
}

function writeBatch(d: Db, rows: Row[], multi: boolean): void {
  d.db.transaction(() => {
    if (multi) {
      let k = 0;
      for (; k + ROWS_PER_STMT <= rows.length; k += ROWS_PER_STMT) d.insertMulti.run(rows.slice(k, k + ROWS_PER_STMT).flat());
      for (; k < rows.length; k++) d.insertRow.run(rows[k]!);
    } else {
      for (const r of rows) d.insertRow.run(r);
    }
    const last = rows.at(-1)!;
    d.highWater?.run(last[0], last[1]);
  })();
}

/** Writes `n` samples of consecutive windows; returns CPU µs per sample and wall samples/s. */
function write(d: Db, n: number, multi: boolean): { cpuUsPerSample: number; perSec: number } {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let done = 0;
  while (done < n) {
    for (let p = 0; p < PROBES && done < n; p++) {
      const rows = windowRows(d.window, p);
      for (let k = 0; k < rows.length; k += BATCH) writeBatch(d, rows.slice(k, k + BATCH), multi);
      done += rows.length;
    }
    d.window++;
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { cpuUsPerSample: (cpu.user + cpu.system) / done, perSec: (done / wall) * 1000 };
}

const dir = mkdtempSync(join(tmpdir(), 'sg-bench-table-'));
const variants = LAYOUTS.flatMap((l) => [false, true].map((multi) => ({ d: open(dir, l, multi), multi })));
for (const v of variants) write(v.d, HISTORY, v.multi);

const results = new Map<string, { cpu: number[]; rate: number[] }>();
for (let r = 0; r < ROUNDS; r++) {
  for (const v of variants) {
    const key = `${v.d.layout.name} ${v.multi ? 'multi' : 'row'}`;
    const m = write(v.d, N, v.multi);
    const e = results.get(key) ?? { cpu: [], rate: [] };
    e.cpu.push(m.cpuUsPerSample);
    e.rate.push(m.perSec);
    results.set(key, e);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(results.get('by-probe row')!.cpu);
console.log(`${HISTORY.toLocaleString('en')} history + ${ROUNDS} × ${N.toLocaleString('en')} samples per variant, ${PROBES} probes × ${STREAMS} streams, batches of ${BATCH}`);
console.log('| layout, insert | CPU µs/sample (median of rounds) | vs by-probe row | wall samples/s | file MB |');
console.log('|---|---|---|---|---|');
for (const v of variants) {
  const key = `${v.d.layout.name} ${v.multi ? 'multi' : 'row'}`;
  const e = results.get(key)!;
  v.d.db.pragma('wal_checkpoint(TRUNCATE)');
  console.log(`| ${key} | ${median(e.cpu).toFixed(2)} | ${(median(e.cpu) / base).toFixed(2)} | ${Math.round(median(e.rate)).toLocaleString('en')} | ${(statSync(v.d.file).size / 1e6).toFixed(0)} |`);
}

// The two reads: one stream's last minute in all regions (evidence, history API), and pruning the oldest minute.
console.log('\n| layout | query: one stream, 60 s, all regions (ms, rows) | prune oldest 60 s (ms, rows) |');
console.log('|---|---|---|');
for (const v of variants.filter((x) => !x.multi)) {
  const { db, layout } = v.d;
  const to = T0 + v.d.window * 1000;
  const q = db.prepare('SELECT * FROM samples WHERE stream = ? AND t >= ? AND t < ? ORDER BY t');
  let t = performance.now();
  const rows = q.all('s500', to - 60_000, to).length;
  const queryMs = performance.now() - t;
  t = performance.now();
  const pruned = db.prepare(layout.prune).run({ before: T0 + 60_000 }).changes;
  const pruneMs = performance.now() - t;
  console.log(`| ${layout.name} | ${queryMs.toFixed(1)} ms, ${rows} | ${pruneMs.toFixed(0)} ms, ${pruned.toLocaleString('en')} |`);
}
for (const v of variants) v.d.db.close();
rmSync(dir, { recursive: true, force: true });
