/**
 * What one hub of a cluster keeps up with over NATS: a real nats-server (JetStream, file store), a
 * real PostgreSQL (test/helpers/postgres.ts: fsync off) as the hub's store, the hub in its own
 * process (startHub on PostgreSQL; NatsUplink consuming all 64 shards: gate, detector, group
 * commit, ack after the commit), and in this process a simulated probe fleet publishing through
 * NatsSamplePublisher over an UplinkBuffer (the code of `probe --nats`), paced by the clock.
 *
 *   npx tsx bench/cluster-throughput.ts [--rates 5000,10000,20000,50000] [--seconds 10] [--streams 1000]
 *                                       [--inflight 2000] [--baseline GIT-REV]
 *
 * `--baseline REV`: also runs the publisher of that commit (probes/uplink/nats-publisher.ts, read
 * with `git show` into a temporary file beside the current one), each rate with both, side by side.
 *
 * Per rate and publisher, a fresh nats-server, database and hub; 3 s warm-up, then measured:
 * - applied/s: samples ingested by the hub (fed to the detector), each acked after its commit;
 * - hub CPU: the hub process's CPU time / wall time (1.0 = one core busy), and applied/s per such core;
 * - nats-server and PostgreSQL CPU (all their processes, from /proc), same unit;
 * - latency from the probe's publish (the sample's `t`, stamped at enqueue) to the hub applying it;
 * - backlog: samples still unstored by JetStream in the probe's buffer at the end (a growing one = behind).
 * "Keeps up": applied ≥ 97 % of offered and p99 under 2 s.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { UplinkBuffer } from '../probes/uplink/buffer.ts';
import type { Sample } from '../src/model/sample.ts';
import { DEFAULT_SHARD_COUNT } from '../src/model/shard.ts';
import { procCpuMs } from '../test/helpers/cpu-time.ts';
import { descendants } from '../test/helpers/descendants.ts';
import { startNats } from '../test/helpers/nats.ts';
import { startPostgres } from '../test/helpers/postgres.ts';
import { until } from '../test/helpers/until.ts';
import { writeBenchHubConfig } from './helpers/hub-config.ts';

const PG_URL_ENV = 'BENCH_PG_URL';

interface HubReport {
  applied: number;
  elapsedMs: number;
  cpuMs: number;
  p50: number;
  p99: number;
  max: number;
  deferred: number;
  flushFailures: number;
}

type ToHub = { type: 'measure' } | { type: 'report' } | { type: 'stop' };
type FromHub = { type: 'ready' } | ({ type: 'report' } & HubReport);

if (process.argv[2] === '--hub-child') await hubChild(process.argv[3]!, process.argv[4]!);
else await main();

/** The hub process: startHub on PostgreSQL, and NatsUplink on all shards with its ingest timed. */
async function hubChild(configFile: string, natsUrl: string): Promise<void> {
  const { loadConfig } = await import('../src/config/load.ts');
  const { startHub } = await import('../src/app/start.ts');
  const { NatsUplink } = await import('../src/uplink/nats-consumer.ts');
  const config = loadConfig(configFile);
  config.store.postgres = { urlEnv: PG_URL_ENV };
  const hub = await startHub(config, { probes: false, listen: false });
  const natsConfig = { ...config, uplink: { ...config.uplink, nats: { url: natsUrl, shardCount: DEFAULT_SHARD_COUNT, shards: 'all' as const, ackWaitMs: 30_000 } } };
  let measuring = false;
  let applied = 0;
  let latencies: number[] = [];
  const uplink = new NatsUplink({
    hub: {
      clock: Date.now,
      ingest: (s, o) => {
        const r = hub.ingest(s, o);
        if (r.ok && measuring) {
          applied++;
          latencies.push(Date.now() - (s as Sample).t);
        }
        return r;
      },
      flush: () => hub.hub.flush(),
    },
    config: natsConfig,
  });
  await uplink.start();
  for (let shard = 0; shard < DEFAULT_SHARD_COUNT; shard++) await uplink.own(shard);
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  const send = (m: FromHub) => process.send!(m);
  process.on('message', (m: ToHub) => {
    if (m.type === 'measure') {
      measuring = true;
      applied = 0;
      latencies = [];
      cpu0 = process.cpuUsage();
      t0 = performance.now();
    } else if (m.type === 'report') {
      measuring = false;
      const cpu = process.cpuUsage(cpu0);
      latencies.sort((a, b) => a - b);
      const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
      send({ type: 'report', applied, elapsedMs: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, p50: pct(50), p99: pct(99), max: latencies.at(-1) ?? NaN, deferred: uplink.stats.samplesDeferred, flushFailures: uplink.stats.flushFailures });
    } else {
      void uplink
        .stop()
        .then(() => hub.stop())
        .then(() => process.exit(0));
    }
  });
  send({ type: 'ready' });
}

interface Publisher {
  start(): Publisher;
  enqueue(s: Sample): void;
  stop(): Promise<void>;
  stats: { published: number };
}
type PublisherClass = new (opts: { url: string; buffer: UplinkBuffer; maxInFlight?: number }) => Publisher;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rates: { type: 'string', default: '5000,10000,20000,50000' }, seconds: { type: 'string', default: '10' }, streams: { type: 'string', default: '1000' }, inflight: { type: 'string', default: '2000' }, baseline: { type: 'string' } },
  });
  const rates = values.rates.split(',').map(Number);
  const seconds = Number(values.seconds);
  const streams = Number(values.streams);
  const inflight = Number(values.inflight);
  const publishers: { name: string; Publisher: PublisherClass }[] = [];
  const here = fileURLToPath(new URL('.', import.meta.url));
  const baselineFile = join(here, '../probes/uplink/nats-publisher.baseline.ts');
  if (values.baseline) {
    const rev = execFileSync('git', ['rev-parse', '--short', values.baseline], { encoding: 'utf8' }).trim();
    writeFileSync(baselineFile, execFileSync('git', ['show', `${rev}:probes/uplink/nats-publisher.ts`], { encoding: 'utf8' }));
    publishers.push({ name: `batch-and-wait (${rev})`, Publisher: ((await import(baselineFile)) as { NatsSamplePublisher: PublisherClass }).NatsSamplePublisher });
  }
  const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  publishers.push({ name: `sliding window (${head})`, Publisher: ((await import('../probes/uplink/nats-publisher.ts')) as { NatsSamplePublisher: PublisherClass }).NatsSamplePublisher });

  const dir = mkdtempSync(join(tmpdir(), 'sg-bench-cluster-'));
  const pg = await startPostgres();
  const postmaster = postmasterPid(pg.port);
  process.stdout.write(`uptime: ${execFileSync('uptime', { encoding: 'utf8' }).trim()}\n`);
  process.stdout.write(`${streams} streams, measured ${seconds} s after 3 s warm-up, publisher window ${inflight}\n\n`);
  process.stdout.write('| offered/s | publisher | applied/s | hub CPU (cores) | applied/s per hub core | nats-server CPU | PostgreSQL CPU | probe process CPU | latency p50 / p99 / max | backlog at end | keeps up |\n|---|---|---|---|---|---|---|---|---|---|---|\n');
  try {
    for (const rate of rates) {
      for (const { name, Publisher } of publishers) {
        const row = await step({ rate, seconds, streams, inflight, Publisher, dir, pgUrl: await pg.createDatabase(), postmaster });
        process.stdout.write(`| ${rate} | ${name} | ${row}\n`);
      }
    }
    process.stdout.write(`\nuptime: ${execFileSync('uptime', { encoding: 'utf8' }).trim()}\n`);
  } finally {
    rmSync(baselineFile, { force: true });
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function step(o: { rate: number; seconds: number; streams: number; inflight: number; Publisher: PublisherClass; dir: string; pgUrl: string; postmaster: number }): Promise<string> {
  const nats = await startNats();
  const natsPid = descendants(process.pid).find((pid) => comm(pid) === 'nats-server')!;
  const { file, tokenEnv } = writeBenchHubConfig(mkdtempSync(join(o.dir, 'hub-')), 1, o.streams);
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--hub-child', file, nats.url], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...tokenEnv, [PG_URL_ENV]: o.pgUrl, STREAMGUARD_LOG_LEVEL: 'warn' },
  });
  const messages: FromHub[] = [];
  child.on('message', (m: FromHub) => messages.push(m));
  const next = async <T extends FromHub['type']>(type: T) => {
    const m = await until(`the hub child's ${type}`, () => {
      if (child.exitCode !== null) throw new Error(`the hub child exited ${child.exitCode}`);
      const i = messages.findIndex((x) => x.type === type);
      return i >= 0 ? messages.splice(i, 1)[0] : undefined;
    }, 60_000, 20);
    return m as Extract<FromHub, { type: T }>;
  };
  await next('ready');
  const buffer = new UplinkBuffer({ seqStart: 1, maxInMemory: 10_000_000 });
  const publisher = new o.Publisher({ url: nats.url, buffer, maxInFlight: o.inflight }).start();
  const started = performance.now();
  let produced = 0;
  // Paced by the clock, not by the timer: a late tick makes up what is due.
  const tick = setInterval(() => {
    const due = Math.floor(((performance.now() - started) / 1000) * o.rate);
    while (produced < due) {
      const stream = `s${produced++ % o.streams}`;
      publisher.enqueue({ probe: 'p-r0', region: 'r0', stream, line: 'primary', seq: 0, t: Date.now(), windowMs: 1000, connected: true, fps: 25, bitrateBps: 2e6, maxGapMs: 40, stallMs: 0, freezeMs: 0 });
    }
  }, 5);
  await new Promise((r) => setTimeout(r, 3000));
  const others0 = { nats: procCpuMs(natsPid), pg: treeCpuMs(o.postmaster) };
  const cpu0 = process.cpuUsage();
  child.send({ type: 'measure' } satisfies ToHub);
  await new Promise((r) => setTimeout(r, o.seconds * 1000));
  child.send({ type: 'report' } satisfies ToHub);
  const r = await next('report');
  const cpu = process.cpuUsage(cpu0);
  const others = { nats: procCpuMs(natsPid) - others0.nats, pg: treeCpuMs(o.postmaster) - others0.pg };
  clearInterval(tick);
  const backlog = buffer.size;
  child.send({ type: 'stop' } satisfies ToHub);
  await until('the hub child to exit', () => child.exitCode !== null, 30_000);
  await publisher.stop();
  await nats.stop();

  const wallS = r.elapsedMs / 1000;
  const cores = (ms: number) => (ms / r.elapsedMs).toFixed(2);
  const applied = r.applied / wallS;
  const keepsUp = applied >= 0.97 * o.rate && r.p99 < 2000;
  const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${v.toFixed(0)} ms`);
  return `${applied.toFixed(0)} | ${cores(r.cpuMs)} | ${(applied / (r.cpuMs / r.elapsedMs)).toFixed(0)} | ${cores(others.nats)} | ${cores(others.pg)} | ${cores((cpu.user + cpu.system) / 1000)} | ${ms(r.p50)} / ${ms(r.p99)} / ${ms(r.max)} | ${backlog} | ${keepsUp ? 'yes' : 'no'}${r.deferred || r.flushFailures ? ` (deferred ${r.deferred}, failed commits ${r.flushFailures})` : ''} |`;
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** The postmaster listening on `port` (its command line carries `-p PORT`). */
function postmasterPid(port: number): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || comm(Number(entry)) !== 'postgres') continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const i = args.indexOf('-p');
      if (i >= 0 && args[i + 1] === String(port)) return Number(entry);
    } catch {
      // exited meanwhile
    }
  }
  throw new Error(`no postmaster found for port ${port}`);
}

/** CPU time of a process and every process below it now (the postmaster and its backends). */
function treeCpuMs(pid: number): number {
  let ms = 0;
  for (const p of [pid, ...descendants(pid)]) {
    try {
      ms += procCpuMs(p);
    } catch {
      // exited meanwhile
    }
  }
  return ms;
}
