/**
 * Store write throughput with sample history on (SQLite, WAL, synchronous=NORMAL, file on disk).
 *
 *   npx tsx bench/store.ts [samples=300000] [history=500000]
 *
 * Workload: 10,000 streams × 2 lines × 3 regions (60,000 samples per 1 s window), written through
 * the hub's real path — createIngest (queue) → SampleHistory.append (SQLite) — in transactions of the
 * given size (the hub flushes every 1000 samples and on every 1 s tick). The table first holds
 * `history` samples so the indexes are not empty. Figures:
 *   - write: trusted ingest (in-process probes), per batch size
 *   - validated: untrusted ingest (remote probes: zod validation + write), batch 1000
 *   - compact: rolling up the history into minute rollups
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIngest } from '../src/ingest/ingest.ts';
import type { Sample } from '../src/model/sample.ts';
import { SqliteStore } from '../src/store/sqlite/store.ts';

const N = Number(process.argv[2] ?? 300_000);
const HISTORY = Number(process.argv[3] ?? 500_000);
const STREAMS = 10_000;
const REGIONS = ['eu', 'us', 'ap'] as const;
const LINES = ['primary', 'backup'] as const;
const T0 = 1_700_000_000_000;

const seqs = new Map<string, number>();
let cursor = 0;
/** The next `n` samples of the round-robin 60,000-view workload (one window = 60,000 samples). */
function nextSamples(n: number): Sample[] {
  const out: Sample[] = [];
  for (let k = 0; k < n; k++, cursor++) {
    const w = Math.floor(cursor / 60_000);
    const i = cursor % 60_000;
    const region = REGIONS[i % 3]!;
    const line = LINES[Math.floor(i / 3) % 2]!;
    const stream = `s${Math.floor(i / 6)}`;
    const probe = `p-${region}`;
    const seq = (seqs.get(probe) ?? 0) + 1;
    seqs.set(probe, seq);
    out.push({ probe, region, stream, line, seq, t: T0 + w * 1000, windowMs: 1000, connected: true, fps: 25 + (i % 5), bitrateBps: 2_000_000 + i, width: 1280, height: 720, maxGapMs: 40, stallMs: 0, freezeMs: 0, latencyMs: 1800 });
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'sg-bench-store-'));
const file = join(dir, 'bench.db');
const store = new SqliteStore(file);

// History.
for (let done = 0; done < HISTORY; done += 10_000) store.samples.append(nextSamples(Math.min(10_000, HISTORY - done)));

async function run(label: string, batch: number, trusted: boolean): Promise<{ label: string; batch: number; perSec: number; txPerSec: number; p99BatchMs: number }> {
  const ingest = createIngest({ history: store.samples, onSample: () => undefined, maxBatch: batch });
  const samples = nextSamples(N);
  const batchMs: number[] = [];
  const start = performance.now();
  let last = start;
  for (let i = 0; i < samples.length; i++) {
    const r = ingest.ingest(samples[i], { trusted });
    if (!r.ok) throw new Error(r.error);
    // One awaited write per batch (ingest's own write of a full batch would run after this loop).
    if (ingest.pending >= batch) {
      await ingest.flush();
      const now = performance.now();
      batchMs.push(now - last);
      last = now;
    }
  }
  await ingest.flush();
  const s = (performance.now() - start) / 1000;
  batchMs.sort((a, b) => a - b);
  const p99 = batchMs[Math.min(batchMs.length - 1, Math.floor(batchMs.length * 0.99))] ?? 0;
  return { label, batch, perSec: Math.round(N / s), txPerSec: Math.round(N / batch / s), p99BatchMs: Math.round(p99 * 10) / 10 };
}

const results = [];
for (const [label, batch, trusted] of [['write (trusted)', 100, true], ['write (trusted)', 1000, true], ['write (trusted)', 5000, true], ['validated (untrusted)', 1000, false]] as const) results.push(await run(label, batch, trusted));
for (const r of results) {
  console.log(`${r.label.padEnd(22)} batch ${String(r.batch).padStart(5)}: ${r.perSec.toLocaleString('en-US').padStart(9)} samples/s  ${String(r.txPerSec).padStart(5)} tx/s  p99 batch ${r.p99BatchMs} ms`);
}
const rows = HISTORY + results.length * N;
const c0 = performance.now();
const c = await store.samples.compact(T0 + 10 * 60_000 * 60, 0);
const cs = (performance.now() - c0) / 1000;
console.log(`compact: rolled up ${c.rolledUp.toLocaleString('en-US')} raw samples in ${cs.toFixed(2)} s (${Math.round(c.rolledUp / cs).toLocaleString('en-US')} samples/s); table had ${rows.toLocaleString('en-US')} rows`);
// The hub's file plus the sample history's two (src/store/sqlite/sample-history.ts).
const bytes = [file, file.replace(/\.db$/, '.samples.db'), file.replace(/\.db$/, '.inbox.db')].reduce((n, f) => n + statSync(f).size, 0);
console.log(`db files ${(bytes / 1e6).toFixed(0)} MB (${Math.round(bytes / rows)} B/sample after compaction, WAL checkpointed pages included)`);
store.close();
rmSync(dir, { recursive: true, force: true });
const ok = results.find((r) => r.batch === 1000 && r.label.startsWith('write'))!.perSec >= 60_000;
console.log(ok ? 'ok: ≥ 60,000 samples/s (one 10k-stream window per second) at batch 1000' : 'MISSED: < 60,000 samples/s at batch 1000');
process.exitCode = ok ? 0 : 1;
