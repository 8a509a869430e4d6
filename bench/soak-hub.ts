/**
 * Soak: a real hub (`streamguard run`, its own process) probing the lab's 4 lines (2 streams ×
 * primary/backup, as `streamguard demo` has them: 3 regions, cn-east over HTTP-FLV, cn-south over
 * RTMP, sg over HLS, the call's primary decoded) with a /ws client subscribed to every topic,
 * sampled each minute: the hub's RSS, V8 heap (its /metrics), open fds (/proc/PID/fd), child
 * processes, CPU, the /ws events received, and the size of every data file (the three databases,
 * each -wal and -shm). Goal: flat after the warm-up, every WAL below its bound (WAL_BOUNDS).
 *
 *   npx tsx bench/soak-hub.ts [--minutes 60] [--warmup 5]
 *
 * Prints a row per minute as it goes, then a summary (first row after the warm-up vs the last, the
 * largest WAL per file against its bound, WAL warnings in the hub's log). SIGINT/SIGTERM stop it
 * early with the summary of what ran.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { startLab } from '../src/lab/index.ts';
import { WAL_BOUNDS, type StoreFileName } from '../src/store/sqlite/wal-guard.ts';
import { descendants } from '../test/helpers/descendants.ts';
import { until } from '../test/helpers/until.ts';
import { procCpuMs } from '../test/helpers/cpu-time.ts';

const { values: o } = parseArgs({ options: { minutes: { type: 'string', default: '60' }, warmup: { type: 'string', default: '5' } } });
const MINUTES = Number(o.minutes);
const WARMUP = Number(o.warmup);
if (!(MINUTES >= 1) || !(WARMUP >= 0)) throw new Error(`--minutes must be ≥ 1 and --warmup ≥ 0 (got ${o.minutes}, ${o.warmup})`);

const CLI = fileURLToPath(new URL('../bin/streamguard.js', import.meta.url));
const STREAMS = ['show1', 'call1'] as const;
const REGIONS = ['cn-east', 'cn-south', 'sg'] as const;
const FILES: Record<StoreFileName, string> = { hub: 'streamguard.db', inbox: 'streamguard.inbox.db', history: 'streamguard.samples.db' };
const MiB = 1024 * 1024;

const tmp = mkdtempSync(join(tmpdir(), 'sg-bench-soak-'));
const dataDir = join(tmp, 'data');
const lab = await startLab({ streams: STREAMS.map((id) => ({ id, protocols: ['rtmp', 'hls'] })) });
const line = (stream: string, name: 'primary' | 'backup') => ({
  url: lab.url(stream, name, 'http-flv'),
  regionUrls: { 'cn-south': lab.url(stream, name, 'rtmp'), sg: lab.url(stream, name, 'hls') },
});
const configFile = join(tmp, 'soak.yaml');
writeFileSync(
  configFile,
  JSON.stringify({
    hub: { listen: '127.0.0.1:0', dataDir },
    probe: { windowMs: 1000, regions: REGIONS },
    regions: REGIONS,
    streams: [
      { id: 'show1', kind: 'show-live', lines: { primary: line('show1', 'primary'), backup: line('show1', 'backup') } },
      { id: 'call1', kind: 'call', latencyBudgetMs: 3000, lines: { primary: { ...line('call1', 'primary'), decode: true }, backup: line('call1', 'backup') } },
    ],
  }),
);

const hub = spawn(process.execPath, [CLI, 'run', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, STREAMGUARD_LOG_FORMAT: 'json', STREAMGUARD_LOG_LEVEL: 'warn' } });
const hubPid = hub.pid!;
let hubOut = '';
const walWarnings: string[] = [];
hub.stdout.on('data', (d: Buffer) => (hubOut = (hubOut + d.toString()).slice(-8000)));
hub.stderr.on('data', (d: Buffer) => {
  for (const l of d.toString().split('\n')) if (/-wal is .* over its bound/.test(l)) walWarnings.push(l);
});
const hubExit = new Promise<number | null>((r) => hub.once('close', r));
let ws: WebSocket | undefined;

async function stop(): Promise<void> {
  ws?.close();
  if (hub.exitCode === null && hub.signalCode === null) process.kill(hubPid, 'SIGTERM');
  await hubExit;
  await lab.stop();
  rmSync(tmp, { recursive: true, force: true });
}

const url = await until('the hub listening', () => /listening on (http:\/\/\S+)/.exec(hubOut)?.[1], 30_000, 100).catch(async (err: Error) => {
  await stop();
  throw new Error(`${err.message}; hub output:\n${hubOut}`);
});

let events = 0;
ws = new WebSocket(`${url.replace('http', 'ws')}/ws`);
ws.on('message', () => events++);
await new Promise((resolve, reject) => (ws!.once('open', resolve), ws!.once('error', reject)));
ws.send(JSON.stringify({ id: 1, type: 'subscribe', topics: ['incidents', 'health', 'actions', ...STREAMS.map((s) => `samples:${s}`)] }));

const size = (f: string) => {
  try {
    return statSync(f).size;
  } catch {
    return 0;
  }
};

interface Row {
  minute: number;
  rssMiB: number;
  heapMiB: number;
  fds: number;
  children: number;
  cpuPct: number;
  wsEvents: number;
  samples: number;
  /** Bytes per file: db, -wal, -shm. */
  files: Record<StoreFileName, [number, number, number]>;
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  // Summed over label sets (samples_total has one per region).
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

let lastCpu = procCpuMs(hubPid);
let lastAt = Date.now();
async function sample(minute: number): Promise<Row> {
  const status = readFileSync(`/proc/${hubPid}/status`, 'utf8');
  const cpu = procCpuMs(hubPid);
  const now = Date.now();
  const row: Row = {
    minute,
    rssMiB: Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024,
    heapMiB: (await metric('nodejs_heap_size_used_bytes')) / MiB,
    fds: readdirSync(`/proc/${hubPid}/fd`).length,
    children: descendants(hubPid).length,
    cpuPct: ((cpu - lastCpu) / (now - lastAt)) * 100,
    wsEvents: events,
    samples: await metric('streamguard_samples_total'),
    files: Object.fromEntries((Object.entries(FILES) as [StoreFileName, string][]).map(([k, f]) => [k, ['', '-wal', '-shm'].map((x) => size(join(dataDir, f + x)))])) as Row['files'],
  };
  lastCpu = cpu;
  lastAt = now;
  events = 0;
  return row;
}

const kb = (n: number) => (n / 1024).toFixed(0);
const fileCols = (Object.keys(FILES) as StoreFileName[]).flatMap((f) => [`${f} db KiB`, `${f} wal KiB`, `${f} shm KiB`]);
console.log(`soak: hub PID ${hubPid} ${url}, ${STREAMS.length * 2} lines × ${REGIONS.length} regions, ${MINUTES} min (warm-up ${WARMUP}), data ${dataDir}, started ${new Date().toISOString()}`);
console.log(`| min | RSS MiB | heap MiB | fds | children | CPU % | /ws events | samples | ${fileCols.join(' | ')} |`);
console.log(`|${' --- |'.repeat(8 + fileCols.length)}`);

// Between the minute rows, every 5 s: the largest size each WAL reached.
const walPeak: Record<StoreFileName, number> = { hub: 0, inbox: 0, history: 0 };
const peaks = setInterval(() => {
  for (const f of Object.keys(FILES) as StoreFileName[]) walPeak[f] = Math.max(walPeak[f], size(join(dataDir, `${FILES[f]}-wal`)));
}, 5000);

const rows: Row[] = [];
let stopping = false;
// `on`, not `once`: see bench/helpers/stop-signal.ts. The loop ends at the next look and the run still reports.
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => (stopping = true));
const began = Date.now();
for (let minute = 1; minute <= MINUTES && !stopping; minute++) {
  await until('the next minute, or a stop', () => stopping || Date.now() - began >= minute * 60_000, 61_000 * minute, 250);
  if (stopping || hub.exitCode !== null) break;
  const r = await sample(minute);
  rows.push(r);
  const f = (Object.keys(FILES) as StoreFileName[]).flatMap((k) => r.files[k].map(kb));
  console.log(`| ${r.minute} | ${r.rssMiB.toFixed(1)} | ${r.heapMiB.toFixed(1)} | ${r.fds} | ${r.children} | ${r.cpuPct.toFixed(1)} | ${r.wsEvents} | ${r.samples} | ${f.join(' | ')} |`);
}
const hubDied = hub.exitCode !== null;
clearInterval(peaks);
await stop();

const after = rows.filter((r) => r.minute > WARMUP);
const first = after[0];
const last = after.at(-1);
console.log(`\nran ${rows.length} of ${MINUTES} min${stopping ? ' (stopped early by a signal)' : ''}${hubDied ? ' (THE HUB EXITED)' : ''}, ended ${new Date().toISOString()}`);
if (first && last && first !== last) {
  const d = (k: 'rssMiB' | 'heapMiB' | 'fds' | 'children') => `${k} ${first[k].toFixed(1)} → ${last[k].toFixed(1)}`;
  console.log(`after the warm-up (minute ${first.minute} → ${last.minute}): ${d('rssMiB')}, ${d('heapMiB')}, ${d('fds')}, ${d('children')}`);
}
for (const f of Object.keys(FILES) as StoreFileName[]) {
  const peak = Math.max(walPeak[f], ...rows.map((r) => r.files[f][1]));
  console.log(`${FILES[f]}-wal: largest ${kb(peak)} KiB (looked at every 5 s), bound ${WAL_BOUNDS[f].boundBytes / MiB} MiB: ${peak < WAL_BOUNDS[f].boundBytes ? 'below' : 'OVER'}`);
}
console.log(`WAL warnings in the hub's log: ${walWarnings.length}${walWarnings.length ? `\n${walWarnings.join('\n')}` : ''}`);
