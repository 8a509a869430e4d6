/**
 * How big the store's WAL files get: samples written through the real store (SqliteStore: the
 * inbox on this thread, the history worker merging into the history file), plus an audit row per
 * window on the hub's file, with the size of each file and its -wal printed every second.
 * Optionally a reader holds one read transaction open on a file for a while, as a sqlite3 shell
 * left in a transaction or a long `streamguard backup` does, so its effect on checkpoints shows.
 *
 *   npx tsx bench/wal-growth.ts [--views 12] [--windows-per-s 1] [--seconds 60] [--merge-ms 1000]
 *                               [--reader history|inbox|hub --reader-from S --reader-for S]
 *
 * `--views` is streams × lines × regions (the demo: 2 × 2 × 3 = 12); `--windows-per-s` writes that
 * many 1 s windows of samples per second (time compressed: the same rows, sooner).
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Logger } from '../src/common/log.ts';
import type { Sample } from '../src/model/sample.ts';
import { sampleFilesFor } from '../src/store/sqlite/sample-history.ts';
import { SqliteStore } from '../src/store/sqlite/store.ts';

const { values: o } = parseArgs({
  options: {
    views: { type: 'string', default: '12' },
    'windows-per-s': { type: 'string', default: '1' },
    seconds: { type: 'string', default: '60' },
    'merge-ms': { type: 'string', default: '1000' },
    reader: { type: 'string' },
    'reader-from': { type: 'string', default: '10' },
    'reader-for': { type: 'string', default: '20' },
  },
});
const VIEWS = Number(o.views);
const WINDOWS_PER_S = Number(o['windows-per-s']);
const SECONDS = Number(o.seconds);
const T0 = 1_700_000_000_000;

const dir = mkdtempSync(join(tmpdir(), 'sg-bench-wal-'));
const file = join(dir, 'streamguard.db');
const tiers = sampleFilesFor(file) as { history: string; inbox: string };
const FILES = { hub: file, inbox: tiers.inbox, history: tiers.history } as const;
type FileName = keyof typeof FILES;

const logged: string[] = [];
const logger = {
  info: () => undefined,
  debug: () => undefined,
  warn: (obj: unknown, msg?: string) => logged.push(`WARN ${msg ?? ''} ${JSON.stringify(obj)}`),
  error: (obj: unknown, msg?: string) => logged.push(`ERROR ${msg ?? ''} ${JSON.stringify(obj)}`),
  child: () => logger,
} as unknown as Logger;
const store = new SqliteStore(file, { mergeEveryMs: Number(o['merge-ms']), logger });

const size = (f: string) => {
  try {
    return statSync(f).size;
  } catch {
    return 0;
  }
};
const mb = (n: number) => (n / 1048576).toFixed(2);

let window = 0;
let seq = 0;
let longestAppendMs = 0;
function writeWindow(): void {
  const t = T0 + window++ * 1000;
  const samples: Sample[] = Array.from({ length: VIEWS }, (_, i) => ({
    probe: `p-r${i % 3}`,
    region: `r${i % 3}`,
    stream: `s${Math.floor(i / 6)}`,
    line: Math.floor(i / 3) % 2 ? 'backup' : 'primary',
    seq: ++seq,
    t,
    windowMs: 1000,
    connected: true,
    fps: 25,
    bitrateBps: 2_000_000 + i,
    width: 1280,
    height: 720,
    maxGapMs: 40,
    stallMs: 0,
    freezeMs: 0,
    latencyMs: 1800,
  }));
  const started = performance.now();
  store.samples.append(samples);
  longestAppendMs = Math.max(longestAppendMs, performance.now() - started);
  void store.audit.append({ t, actor: 'bench', action: 'bench.window', target: 'store', reason: `window ${window}` });
}

let reader: Database.Database | undefined;
function readerTick(second: number): string {
  if (!o.reader) return '';
  const from = Number(o['reader-from']);
  const until = from + Number(o['reader-for']);
  if (second === from) {
    reader = new Database(FILES[o.reader as FileName], { readonly: true });
    reader.exec('BEGIN');
    reader.prepare('SELECT COUNT(*) FROM sqlite_schema').get(); // the read transaction starts at the first read
  } else if (second === until && reader) {
    reader.exec('COMMIT');
    reader.close();
    reader = undefined;
  }
  return reader ? `reader on ${o.reader}` : '';
}

console.log(`views ${VIEWS}, ${WINDOWS_PER_S} window(s)/s (${VIEWS * WINDOWS_PER_S} samples/s), merge every ${o['merge-ms']} ms, ${SECONDS} s, dir ${dir}`);
console.log('s\thub db\thub wal\tinbox db\tinbox wal\thistory db\thistory wal\tlongest append ms\tnote');
let due = 0;
const writer = setInterval(() => {
  for (due += WINDOWS_PER_S / 10; due >= 1; due--) writeWindow();
}, 100);
let second = 0;
await new Promise<void>((resolve) => {
  const meter = setInterval(() => {
    second++;
    const note = readerTick(second);
    const row = (['hub', 'inbox', 'history'] as const).flatMap((f) => [mb(size(FILES[f])), mb(size(`${FILES[f]}-wal`))]);
    console.log([second, ...row, longestAppendMs.toFixed(1), note].join('\t'));
    longestAppendMs = 0;
    if (second >= SECONDS) {
      clearInterval(meter);
      resolve();
    }
  }, 1000);
});
clearInterval(writer);
reader?.close();
store.close();
for (const l of logged) console.log(l);
rmSync(dir, { recursive: true, force: true });
