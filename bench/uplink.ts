/**
 * Uplink throughput: one hub process (`streamguard run`, SQLite store, detector, /probes) and N
 * simulated probes over loopback WebSocket, each reporting S streams once a second with
 * real-format Samples in the real protocol (hello → welcome → samples batches of 500 → acks).
 *
 *   npx tsx bench/uplink.ts [probes=50] [streams=1000] [seconds=20] [rate=1] [store=sqlite|null]
 *
 * `store=null` runs the hub (same startHub, same uplink, validation, detector, metrics) with a
 * store that discards samples, in a child process of this script: the uplink path's own cost
 * without SQLite's.
 * `rate` multiplies the offered load (windows per second per stream). Figures: accepted samples/s
 * (acked by the hub after its durable write), hub CPU (utime+stime of the hub process from
 * /proc over the measured interval), ack latency (send of a batch → ack covering it) p50/p99/max.
 * The first 5 s are warm-up and not counted. The simulated probes run in this process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import type { Sample } from '../src/model/sample.ts';
import { writeBenchHubConfig } from './helpers/hub-config.ts';

if (process.argv[2] === '--hub-child') {
  // The hub with a sample-discarding store (store=null).
  const { loadConfig } = await import('../src/config/load.ts');
  const { startHub } = await import('../src/app/start.ts');
  const empty = new Set(['openIncidents', 'timeline', 'auditLog', 'samples', 'rollups']);
  const store = new Proxy({}, { get: (_t, name) => (empty.has(String(name)) ? () => [] : name === 'compact' ? () => ({ rolledUp: 0, prunedRollups: 0 }) : () => undefined) });
  const h = await startHub(loadConfig(process.argv[3]!), { ...(process.argv[4] !== 'sqlite' && { store: store as never }), probes: false });
  if (process.env.LAG) {
    const { monitorEventLoopDelay, PerformanceObserver } = await import('node:perf_hooks');
    const m = monitorEventLoopDelay({ resolution: 10 });
    m.enable();
    let gcMax = 0;
    let gcMs = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        gcMax = Math.max(gcMax, e.duration);
        gcMs += e.duration;
      }
    }).observe({ entryTypes: ['gc'] });
    setInterval(() => {
      process.stderr.write(`loop delay max ${(m.max / 1e6).toFixed(0)} ms; GC ${gcMs.toFixed(0)} ms, longest ${gcMax.toFixed(1)} ms\n`);
      m.reset();
      gcMax = gcMs = 0;
    }, 1000);
  }
  process.stdout.write(`streamguard hub listening on ${h.url} (null store)\n`);
  process.on('SIGTERM', () => void h.stop().then(() => process.exit(0)));
  await new Promise(() => undefined);
}

const PROBES = Number(process.argv[2] ?? 50);
const STREAMS = Number(process.argv[3] ?? 1000);
const SECONDS = Number(process.argv[4] ?? 20);
const RATE = Number(process.argv[5] ?? 1);
const STORE = process.argv[6] ?? 'sqlite';
const WARMUP_S = 5;
const BATCH = 500;
const CLI = fileURLToPath(new URL('../bin/streamguard.js', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'sg-bench-uplink-'));
const { file: configFile, regions, tokens, tokenEnv } = writeBenchHubConfig(dir, PROBES, STREAMS);

// HUB_PROF=DIR writes a CPU profile of the hub there.
const prof = process.env.HUB_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.HUB_PROF}`] : [];
// store=sqlite-child: the same SQLite hub as `run`, in the child (LAG=1 prints the event-loop delay and GC pauses each second).
const hubArgs = STORE === 'sqlite' ? [...prof, CLI, 'run', '--config', configFile] : [...prof, '--import', 'tsx', fileURLToPath(import.meta.url), '--hub-child', configFile, STORE === 'null' ? 'null' : 'sqlite'];
const hub = spawn(process.execPath, hubArgs, {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, STREAMGUARD_LOG_LEVEL: 'warn', ...tokenEnv },
});
let hubOut = '';
const hubUrl = await new Promise<string>((resolve, reject) => {
  hub.stdout!.on('data', (d: Buffer) => {
    hubOut += d.toString();
    const m = /listening on (http:\/\/\S+)/.exec(hubOut);
    if (m) resolve(m[1]!);
  });
  hub.on('exit', (code) => reject(new Error(`hub exited ${code}: ${hubOut}`)));
});
const wsUrl = `${hubUrl.replace('http', 'ws')}/probes`;

function hubCpuMs(): number {
  const f = readFileSync(`/proc/${hub.pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime in clock ticks (100 Hz)
}

const latencies: number[] = [];
let measuring = false;
let acked = 0;
let sent = 0;

interface SimProbe {
  ws: WebSocket;
  seq: number;
  samples: Sample[];
  inflight: { last: number; at: number }[];
  acked: number;
}

async function connect(i: number): Promise<SimProbe> {
  const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${tokens[i]}` }, perMessageDeflate: false });
  const p: SimProbe = { ws, seq: Date.now() * 10, samples: [], inflight: [], acked: 0 };
  const region = regions[i]!;
  p.samples = Array.from({ length: STREAMS }, (_, s) => ({
    probe: `p-${region}`, region, stream: `s${s}`, line: 'primary', seq: 0, t: 0, windowMs: 1000, connected: true,
    fps: 25, bitrateBps: 1_500_000 + s, width: 1280, height: 720, maxGapMs: 48, stallMs: 0, freezeMs: 0, latencyMs: 2100, avSkewMs: 12,
  }));
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString()) as { type: string; seq?: number; id?: number; t0?: number };
    if (m.type === 'ack') {
      const now = performance.now();
      while (p.inflight.length > 0 && p.inflight[0]!.last <= m.seq!) {
        const b = p.inflight.shift()!;
        if (measuring) latencies.push(now - b.at);
      }
      if (measuring) acked += m.seq! - Math.max(p.acked, 0);
      p.acked = m.seq!;
    } else if (m.type === 'ping') {
      ws.send(JSON.stringify({ type: 'pong', id: m.id, t0: m.t0, t1: Date.now(), t2: Date.now() }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'hello', v: 1, region, agent: 'bench' }));
  p.acked = p.seq;
  return p;
}

/** One window: every stream's sample, in batches of BATCH. */
function sendWindow(p: SimProbe): void {
  const t = Date.now();
  for (let k = 0; k < p.samples.length; k += BATCH) {
    const batch = p.samples.slice(k, k + BATCH);
    for (const s of batch) {
      s.seq = ++p.seq;
      s.t = t;
    }
    p.ws.send(JSON.stringify({ type: 'samples', samples: batch }));
    p.inflight.push({ last: p.seq, at: performance.now() });
    if (measuring) sent += batch.length;
  }
}

const probes = await Promise.all(regions.map((_, i) => connect(i)));
process.stdout.write(`hub ${hubUrl}: ${PROBES} probes × ${STREAMS} streams connected; offering ${(PROBES * STREAMS * RATE).toLocaleString('en')} samples/s\n`);

// Each probe sends its window at its own phase within the period, like real probes would.
const periodMs = 1000 / RATE;
const timers = probes.map((p, i) =>
  setTimeout(() => {
    sendWindow(p);
    timers[i] = setInterval(() => sendWindow(p), periodMs) as unknown as NodeJS.Timeout;
  }, (i * periodMs) / PROBES),
);
const ping = setInterval(() => {
  for (const p of probes) p.ws.send(JSON.stringify({ type: 'ping', id: 1, t0: Date.now() }));
}, 1000);

await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
measuring = true;
const cpu0 = hubCpuMs();
const self0 = process.cpuUsage();
const t0 = performance.now();
await new Promise((r) => setTimeout(r, SECONDS * 1000));
measuring = false;
const wall = performance.now() - t0;
const cpu = hubCpuMs() - cpu0;
const self = process.cpuUsage(self0);
for (const t of timers) clearInterval(t);
clearInterval(ping);

const health = (await (await fetch(`${hubUrl}/healthz`)).json()) as { samples: Record<string, number>; uplink: { stats: Record<string, number> } };
latencies.sort((a, b) => a - b);
const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
const rate = (acked / wall) * 1000;
const result = {
  probes: PROBES,
  streams: STREAMS,
  store: STORE,
  offered: Math.round((sent / wall) * 1000),
  acceptedPerS: Math.round(rate),
  hubCpuPct: Math.round((cpu / wall) * 1000) / 10,
  samplesPerCoreS: Math.round(acked / (cpu / 1000)),
  ackP50Ms: Math.round(q(0.5) * 10) / 10,
  ackP99Ms: Math.round(q(0.99) * 10) / 10,
  ackMaxMs: Math.round((latencies.at(-1) ?? NaN) * 10) / 10,
  benchCpuPct: Math.round(((self.user + self.system) / 1000 / wall) * 1000) / 10,
  loadAvg1m: Number((await import('node:os')).loadavg()[0]!.toFixed(1)),
  hubSamplesWritten: health.samples.written,
  hubDuplicates: health.uplink.stats.samplesDuplicate,
  hubRejected: health.uplink.stats.samplesRejected,
};
console.log(JSON.stringify(result, null, 2));
console.log(
  // Timers drift a little below the nominal rate: "sustained" = ≥ 99 % of 50,000/s acked.
  `${rate >= 49_500 ? 'MET' : 'MISSED'} 50,000 samples/s (acked ${Math.round(rate).toLocaleString('en')}/s); ${result.ackP99Ms < 50 ? 'MET' : 'MISSED'} ack p99 < 50 ms (hub used ${result.hubCpuPct} % of a core)`,
);
for (const p of probes) p.ws.close();
hub.kill('SIGTERM');
await new Promise((r) => hub.once('exit', r));
rmSync(dir, { recursive: true, force: true });
