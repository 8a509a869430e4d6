/**
 * Detector throughput and per-sample latency on one core.
 *
 *   npx tsx bench/detector.ts [streams=10000] [windows=30]
 *
 * 10,000 streams × 2 lines (primary, backup) × 3 regions (one probe each) = 60,000 samples per 1 s
 * window. Each window ~1 % of streams carry a fault so level changes, grading and incident events
 * are exercised, not just the quiet path: 0.5 % lose the primary in every region for 6 windows,
 * 0.5 % freeze in one region for 6 windows. A tick follows every window.
 * Samples are built before each timed window (ingest's cost, not the detector's).
 */
import type { StreamConfig } from '../src/model/stream.ts';
import { createDetector } from '../src/detect/detector.ts';
import type { Sample } from '../src/model/sample.ts';

const STREAMS = Number(process.argv[2] ?? 10_000);
const WINDOWS = Number(process.argv[3] ?? 30);
const WARMUP = 5;
const REGIONS = ['eu', 'us', 'ap'] as const;
const LINES = ['primary', 'backup'] as const;

const streams: StreamConfig[] = [];
for (let i = 0; i < STREAMS; i++) {
  streams.push({
    id: `s${i}`,
    kind: i % 3 === 0 ? 'call' : i % 3 === 1 ? 'co-host' : 'show-live',
    nominalFps: 30,
    lines: { primary: { url: `rtmp://origin/live/s${i}` }, backup: { url: `http://backup/live/s${i}.flv` } },
  });
}

const seq = new Map<string, number>();
function windowSamples(w: number): Sample[] {
  const out: Sample[] = [];
  const t = 1_700_000_000_000 + w * 1000;
  for (const region of REGIONS) {
    const probe = `p-${region}`;
    let s = seq.get(probe) ?? 0;
    for (let i = 0; i < STREAMS; i++) {
      // a fault episode every 40 windows, staggered per stream
      const phase = (w + i) % 40;
      const killed = i % 200 === 7 && phase < 6;
      const frozen = i % 200 === 99 && region === 'us' && phase < 6;
      for (const line of LINES) {
        const down = killed && line === 'primary';
        out.push({
          probe,
          region,
          stream: `s${i}`,
          line,
          seq: ++s,
          t: t + (region === 'us' ? 3_000 : region === 'ap' ? -2_000 : 0), // probe clock skew
          windowMs: 1000,
          connected: !down,
          fps: down ? 0 : 30,
          bitrateBps: down ? 0 : 2_000_000 + ((i * 7919) % 500_000),
          width: 1280,
          height: 720,
          maxGapMs: 40,
          stallMs: down ? 1000 : 0,
          freezeMs: frozen && line === 'primary' ? 1000 : 0,
          latencyMs: 300,
          ...(down ? { error: 'eof' as const } : {}),
        });
      }
    }
    seq.set(probe, s);
  }
  return out;
}

const det = createDetector({ streams });
let events = 0;
let samples = 0;
let busyNs = 0n;

// Pass 1: throughput (no per-sample timers).
for (let w = 0; w < WARMUP + WINDOWS; w++) {
  const batch = windowSamples(w);
  const now0 = 1_700_000_000_000 + w * 1000 + 200;
  const start = process.hrtime.bigint();
  for (let k = 0; k < batch.length; k++) events += det.step(batch[k]!, now0).length;
  events += det.step({ type: 'tick' }, now0 + 500).length;
  const ns = process.hrtime.bigint() - start;
  if (w >= WARMUP) {
    busyNs += ns;
    samples += batch.length;
  }
}
const throughput = samples / (Number(busyNs) / 1e9);

// Pass 2: per-sample latency (hrtime around each call; includes ~tens of ns timer overhead).
const lat: number[] = [];
for (let w = WARMUP + WINDOWS; w < WARMUP + WINDOWS + 10; w++) {
  const batch = windowSamples(w);
  const now0 = 1_700_000_000_000 + w * 1000 + 200;
  for (let k = 0; k < batch.length; k++) {
    const a = process.hrtime.bigint();
    events += det.step(batch[k]!, now0).length;
    lat.push(Number(process.hrtime.bigint() - a));
  }
  events += det.step({ type: 'tick' }, now0 + 500).length;
}
lat.sort((x, y) => x - y);
const pct = (p: number): number => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))]! / 1000;

const mem = process.memoryUsage();
const views = STREAMS * LINES.length * REGIONS.length;
console.log(`detector bench: ${STREAMS} streams × ${LINES.length} lines × ${REGIONS.length} regions = ${views} views, node ${process.version}`);
console.log(`throughput: ${Math.round(throughput).toLocaleString('en-US')} samples/s (${samples.toLocaleString('en-US')} samples in ${(Number(busyNs) / 1e9).toFixed(2)} s, ${WINDOWS} windows after ${WARMUP} warm-up)`);
console.log(`per sample: p50 ${pct(50).toFixed(2)} µs, p99 ${pct(99).toFixed(2)} µs, p99.9 ${pct(99.9).toFixed(2)} µs, max ${pct(100).toFixed(0)} µs (${lat.length.toLocaleString('en-US')} samples)`);
console.log(`incident events: ${events}; active incidents at end: ${det.activeIncidents().length}; heap used ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB`);
const ok = throughput >= 100_000 && pct(99) < 1000;
console.log(ok ? 'targets met: ≥ 100,000 samples/s and p99 < 1 ms' : 'TARGETS MISSED: ≥ 100,000 samples/s and p99 < 1 ms');
process.exitCode = ok ? 0 : 1;
