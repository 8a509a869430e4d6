/**
 * What one hub of a cluster keeps up with over NATS: a real nats-server (JetStream, file store), a
 * real PostgreSQL (test/helpers/postgres.ts: fsync off) as the hub's store, the hub in its own
 * process (startHub on PostgreSQL; NatsUplink consuming all 64 shards: gate, detector, group
 * commit, ack after the commit), and in this process a simulated probe fleet publishing through
 * NatsSamplePublisher over an UplinkBuffer (the code of `probe --nats`), paced by the clock.
 *
 *   npx tsx bench/cluster-throughput.ts [--rates 5000,10000,20000,50000] [--seconds 10] [--streams 1000]
 *                                       [--inflight 2000] [--baseline GIT-REV] [--drain N]
 *                                       [--batches 64] [--rounds 1] [--fleet 40x500,80x250] [--pin]
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
 *
 * HUB_PROF=DIR: a CPU profile of each hub process in DIR.
 *
 * `--drain N`: then N samples published while the hub does not consume, and the time the hub takes
 * to consume them all: its ceiling, whatever the probe side manages (`--rates ''` for this alone).
 * `--batches 1,8,64`: the drain once per publisher batch size (samples per NATS message at most),
 * side by side, `--rounds` times interleaved (this machine is shared: one round is noise).
 *
 * `--pin`: the hub process (every thread) alone on CPU 0, everything else (this process, nats-server,
 * PostgreSQL) on CPU 1 (`taskset`): the hub's own ceiling per core, not its share of a contended box.
 *
 * `--fleet PxL`: P probes (each its own region, buffer and publisher) of L lines each, every probe
 * sending its L samples in one burst a second at its own phase, as a probe whose lines close
 * their windows on one grid does (probes/line-prober.ts): offered P × L samples/s, about L / 64
 * samples per message. The paced rows' fleet is one publisher fed every 5 ms.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { UplinkBuffer } from '../probes/uplink/buffer.ts';
import type { Sample } from '../src/model/sample.ts';
import { DEFAULT_SHARD_COUNT, SAMPLE_STREAM } from '../src/model/shard.ts';
import { PostgresStore } from '../src/store/postgres/store.ts';
import { procCpuMs } from '../test/helpers/cpu-time.ts';
import { descendants } from '../test/helpers/descendants.ts';
import { startNats } from '../test/helpers/nats.ts';
import { startPostgres } from '../test/helpers/postgres.ts';
import { until } from '../test/helpers/until.ts';
import { writeBenchHubConfig } from './helpers/hub-config.ts';
import { NatsUplinkSchema } from '../src/config/schema.ts';

const PG_URL_ENV = 'BENCH_PG_URL';

interface HubReport {
  applied: number;
  elapsedMs: number;
  cpuMs: number;
  p50: number;
  p99: number;
  max: number;
  deferred: number;
  /** Messages acked since the hub started (each once its samples were durable). */
  acks: number;
  flushFailures: number;
}

type ToHub = { type: 'consume' } | { type: 'measure' } | { type: 'report'; latency: boolean } | { type: 'stop' };
type FromHub = { type: 'ready' } | { type: 'consuming' } | ({ type: 'report' } & HubReport);

/** The hub process: startHub on PostgreSQL, and NatsUplink on all shards with its ingest timed. */
async function hubChild(configFile: string, natsUrl: string): Promise<void> {
  const { loadConfig } = await import('../src/config/load.ts');
  const { startHub } = await import('../src/app/start.ts');
  const { NatsUplink } = await import('../src/uplink/nats-consumer.ts');
  const config = loadConfig(configFile);
  config.store.postgres = { urlEnv: PG_URL_ENV, statementTimeout: 15_000 };
  const hub = await startHub(config, { probes: false, listen: false });
  const natsConfig = { ...config, uplink: { ...config.uplink, nats: NatsUplinkSchema.parse({ url: natsUrl, shardCount: DEFAULT_SHARD_COUNT }) } };
  let measuring = false;
  let applied = 0;
  let latencies: number[] = [];
  const uplink = new NatsUplink({
    hub: {
      clock: Date.now,
      heartbeat: (p, r, i) => hub.hub.heartbeat(p, r, i),
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
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  const send = (m: FromHub) => process.send!(m);
  process.on('message', (m: ToHub) => {
    if (m.type === 'consume') {
      void (async () => {
        for (let shard = 0; shard < DEFAULT_SHARD_COUNT; shard++) await uplink.own(shard);
        send({ type: 'consuming' });
      })();
    } else if (m.type === 'measure') {
      measuring = true;
      applied = 0;
      latencies = [];
      cpu0 = process.cpuUsage();
      t0 = performance.now();
    } else if (m.type === 'report') {
      // The figures so far; measuring goes on. The latency percentiles only when asked: sorting every
      // latency so far at each poll of a drain cost the hub process 4 % of its CPU.
      const cpu = process.cpuUsage(cpu0);
      const sorted = m.latency ? [...latencies].sort((a, b) => a - b) : [];
      const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
      send({ type: 'report', applied, elapsedMs: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, p50: pct(50), p99: pct(99), max: sorted.at(-1) ?? NaN, deferred: uplink.stats.samplesDeferred, flushFailures: uplink.stats.flushFailures, acks: uplink.stats.acks });
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
  stats: { published: number; messages?: number };
}
type PublisherClass = new (opts: { url: string; buffer: UplinkBuffer; maxInFlight?: number; maxBatch?: number }) => Publisher;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rates: { type: 'string', default: '5000,10000,20000,50000' },
      seconds: { type: 'string', default: '10' },
      streams: { type: 'string', default: '1000' },
      inflight: { type: 'string', default: '2000' },
      baseline: { type: 'string' },
      drain: { type: 'string', default: '0' },
      batches: { type: 'string', default: '64' },
      rounds: { type: 'string', default: '1' },
      fleet: { type: 'string', default: '' },
      pin: { type: 'boolean', default: false },
    },
  });
  const rates = values.rates.split(',').filter(Boolean).map(Number);
  const seconds = Number(values.seconds);
  const streams = Number(values.streams);
  const inflight = Number(values.inflight);
  const drain = Number(values.drain);
  const batches = values.batches.split(',').filter(Boolean).map(Number);
  const rounds = Number(values.rounds);
  const fleets = values.fleet.split(',').filter(Boolean).map((f) => {
    const [probes, lines] = f.split('x').map(Number);
    if (!Number.isSafeInteger(probes) || !Number.isSafeInteger(lines) || probes! < 1 || lines! < 1 || lines! > streams) throw new Error(`--fleet ${f}: expected PROBESxLINES, lines at most --streams (${streams})`);
    return { probes: probes!, lines: lines! };
  });
  const publishers: { name: string; Publisher: PublisherClass }[] = [];
  const baselineFile = fileURLToPath(new URL('../probes/uplink/nats-publisher.baseline.ts', import.meta.url));
  if (values.baseline) {
    const rev = execFileSync('git', ['rev-parse', '--short', values.baseline], { encoding: 'utf8' }).trim();
    writeFileSync(baselineFile, execFileSync('git', ['show', `${rev}:probes/uplink/nats-publisher.ts`], { encoding: 'utf8' }));
    publishers.push({ name: `batch-and-wait (${rev})`, Publisher: ((await import(baselineFile)) as { NatsSamplePublisher: PublisherClass }).NatsSamplePublisher });
  }
  const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const current = { name: `sliding window (${head})`, Publisher: ((await import('../probes/uplink/nats-publisher.ts')) as { NatsSamplePublisher: PublisherClass }).NatsSamplePublisher };
  publishers.push(current);

  const dir = mkdtempSync(join(tmpdir(), 'sg-bench-cluster-'));
  const pg = await startPostgres();
  const postmaster = postmasterPid(pg.port);
  const env = { dir, postmaster, streams, inflight, pin: values.pin, createDatabase: () => pg.createDatabase() };
  if (env.pin) {
    // Backends forked later inherit the postmaster's CPU.
    for (const pid of [process.pid, postmaster, ...descendants(postmaster)]) pinTo(pid, OTHERS_CPU);
  }
  const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim();
  process.stdout.write(`commit ${head}; uptime: ${uptime()}\n${streams} streams; CPU in cores (CPU time / wall time)${env.pin ? `; the hub alone on CPU ${HUB_CPU}, every other process on CPU ${OTHERS_CPU}` : ''}\n\n`);
  try {
    if (rates.length > 0) {
      process.stdout.write(`Paced: measured ${seconds} s after 3 s warm-up, publisher window ${inflight}\n\n`);
      process.stdout.write('| offered/s | publisher | applied/s | hub CPU | applied/s per hub core | nats-server CPU | PostgreSQL CPU | probe process CPU | latency p50 / p99 / max | backlog at end | keeps up |\n|---|---|---|---|---|---|---|---|---|---|---|\n');
      for (const rate of rates) {
        for (const { name, Publisher } of publishers) process.stdout.write(`| ${rate} | ${name} | ${await paced(env, { rate, seconds, Publisher })}\n`);
      }
    }
    if (fleets.length > 0) {
      process.stdout.write(`\nFleet: probes sending each second's samples in one burst, measured ${seconds} s after 3 s warm-up\n\n`);
      process.stdout.write('| probes × lines | offered/s | samples per message | applied/s | hub CPU | applied/s per hub core | nats-server CPU | PostgreSQL CPU | probe processes CPU | latency p50 / p99 / max | backlog at end | keeps up |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n');
      for (let round = 1; round <= rounds; round++) {
        for (const f of fleets) process.stdout.write(`| ${f.probes} × ${f.lines} | ${f.probes * f.lines} | ${await fleetRun(env, { ...f, seconds, Publisher: current.Publisher })}\n`);
      }
    }
    if (drain > 0) {
      process.stdout.write(`\nDrain: ${drain} samples already in JetStream, the hub starts consuming: its ceiling\n\n`);
      process.stdout.write('| round | batch at most | samples per message | drained in | applied/s | hub CPU | applied/s per hub core | nats-server CPU | PostgreSQL CPU |\n|---|---|---|---|---|---|---|---|---|\n');
      const storage: string[] = [];
      for (let round = 1; round <= rounds; round++) {
        for (const maxBatch of batches) {
          const r = await drained(env, drain, current.Publisher, maxBatch);
          process.stdout.write(`| ${round} | ${maxBatch} | ${r.row}\n`);
          storage.push(`batch at most ${maxBatch}, round ${round}:\n${r.storage}`);
        }
      }
      process.stdout.write(`\n${storage.join('\n\n')}\n`);
    }
    process.stdout.write(`\nuptime: ${uptime()}\n`);
  } finally {
    rmSync(baselineFile, { force: true });
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface BenchEnv {
  dir: string;
  postmaster: number;
  streams: number;
  inflight: number;
  /** The hub alone on HUB_CPU, the rest on OTHERS_CPU. */
  pin: boolean;
  createDatabase(): Promise<string>;
}

/** A fresh nats-server and database, and the hub process on them (the samples stream declared, not consuming yet). */
async function hubOnFreshServers(env: BenchEnv, probes = 1) {
  const nats = await startNats();
  const natsPid = descendants(process.pid).find((pid) => comm(pid) === 'nats-server')!;
  if (env.pin) pinTo(natsPid, OTHERS_CPU);
  const { file, tokenEnv } = writeBenchHubConfig(mkdtempSync(join(env.dir, 'hub-')), probes, env.streams);
  const pgUrl = await env.createDatabase();
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--hub-child', file, nats.url], {
    // HUB_PROF=DIR writes a CPU profile of the hub process there.
    execArgv: ['--import', 'tsx', ...(process.env.HUB_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.HUB_PROF}`] : [])],
    env: { ...process.env, ...tokenEnv, [PG_URL_ENV]: pgUrl, STREAMGUARD_LOG_LEVEL: 'warn' },
  });
  if (env.pin) pinTo(child.pid!, HUB_CPU);
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
  const others = () => ({ nats: procCpuMs(natsPid), pg: treeCpuMs(env.postmaster) });
  return {
    nats,
    pgUrl,
    send: (m: ToHub) => child.send(m),
    consume: async () => {
      child.send({ type: 'consume' } satisfies ToHub);
      await next('consuming');
    },
    report: async (latency = true) => {
      child.send({ type: 'report', latency } satisfies ToHub);
      return next('report');
    },
    others,
    /** Stops the hub (killed by its PID when it takes over a minute: a deep backlog to settle), then nats-server. */
    stop: async () => {
      try {
        child.send({ type: 'stop' } satisfies ToHub);
        await until('the hub child to exit', () => child.exitCode !== null, 60_000).catch(() => child.kill('SIGKILL'));
      } finally {
        await nats.stop();
      }
    },
  };
}

function sampleOf(n: number, streams: number): Sample {
  return { probe: 'p-r0', region: 'r0', stream: `s${n % streams}`, line: 'primary', seq: 0, t: Date.now(), windowMs: 1000, connected: true, fps: 25, bitrateBps: 2e6, maxGapMs: 40, stallMs: 0, freezeMs: 0 };
}

const cores = (ms: number, elapsedMs: number) => (ms / elapsedMs).toFixed(2);

/** `rate` samples/s offered for 3 s + `seconds`; one table row after the first two cells. */
async function paced(env: BenchEnv, o: { rate: number; seconds: number; Publisher: PublisherClass }): Promise<string> {
  const hub = await hubOnFreshServers(env);
  await hub.consume();
  const buffer = new UplinkBuffer({ seqStart: 1, maxInMemory: 10_000_000 });
  const publisher = new o.Publisher({ url: hub.nats.url, buffer, maxInFlight: env.inflight }).start();
  const started = performance.now();
  let produced = 0;
  // Paced by the clock, not by the timer: a late tick makes up what is due.
  const tick = setInterval(() => {
    const due = Math.floor(((performance.now() - started) / 1000) * o.rate);
    while (produced < due) publisher.enqueue(sampleOf(produced++, env.streams));
  }, 5);
  const { r, nats, pg, probeCpuMs } = await measured(hub, o.seconds);
  clearInterval(tick);
  const backlog = buffer.size;
  await publisher.stop();
  await hub.stop();

  return pacedRow(r, { rate: o.rate, nats, pg, probeCpuMs, backlog });
}

/** After a 3 s warm-up, `seconds` measured: the hub's report and the CPU time of nats-server, PostgreSQL and this process (the probes). */
async function measured(hub: Awaited<ReturnType<typeof hubOnFreshServers>>, seconds: number): Promise<{ r: HubReport; nats: number; pg: number; probeCpuMs: number }> {
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const others0 = hub.others();
  const cpu0 = process.cpuUsage();
  hub.send({ type: 'measure' });
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const r = await hub.report();
  const cpu = process.cpuUsage(cpu0);
  const others1 = hub.others();
  return { r, nats: others1.nats - others0.nats, pg: others1.pg - others0.pg, probeCpuMs: (cpu.user + cpu.system) / 1000 };
}

/** A paced run's cells after the offered rate: applied/s, CPU by process, latency, backlog, keeps up. */
function pacedRow(r: HubReport, o: { rate: number; nats: number; pg: number; probeCpuMs: number; backlog: number }): string {
  const applied = r.applied / (r.elapsedMs / 1000);
  const keepsUp = applied >= 0.97 * o.rate && r.p99 < 2000;
  const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${v.toFixed(0)} ms`);
  const problems = r.deferred || r.flushFailures ? ` (deferred ${r.deferred}, failed commits ${r.flushFailures})` : '';
  return [
    applied.toFixed(0),
    cores(r.cpuMs, r.elapsedMs),
    (applied / (r.cpuMs / r.elapsedMs)).toFixed(0),
    cores(o.nats, r.elapsedMs),
    cores(o.pg, r.elapsedMs),
    cores(o.probeCpuMs, r.elapsedMs),
    `${ms(r.p50)} / ${ms(r.p99)} / ${ms(r.max)}`,
    String(o.backlog),
    `${keepsUp ? 'yes' : 'no'}${problems} |`,
  ].join(' | ');
}

/** `probes` × `lines` samples/s, each probe's in one burst a second at its own phase; one table row after the first two cells. */
async function fleetRun(env: BenchEnv, o: { probes: number; lines: number; seconds: number; Publisher: PublisherClass }): Promise<string> {
  const hub = await hubOnFreshServers(env, o.probes);
  await hub.consume();
  const fleet = Array.from({ length: o.probes }, (_, i) => {
    const buffer = new UplinkBuffer({ seqStart: 1, maxInMemory: 10_000_000 });
    return { region: `r${i}`, buffer, publisher: new o.Publisher({ url: hub.nats.url, buffer, maxInFlight: env.inflight }).start(), bursts: 0 };
  });
  const started = performance.now();
  // Paced by the clock: a late tick sends every burst that is due.
  const tick = setInterval(() => {
    const elapsed = performance.now() - started;
    fleet.forEach((p, i) => {
      for (; p.bursts * 1000 + (i * 1000) / o.probes <= elapsed; p.bursts++) {
        for (let line = 0; line < o.lines; line++) p.publisher.enqueue({ ...sampleOf(line, env.streams), probe: `p-${p.region}`, region: p.region });
      }
    });
  }, 5);
  const { r, nats, pg, probeCpuMs } = await measured(hub, o.seconds);
  clearInterval(tick);
  const backlog = fleet.reduce((n, p) => n + p.buffer.size, 0);
  const published = fleet.reduce((n, p) => n + p.publisher.stats.published, 0);
  const messages = fleet.reduce((n, p) => n + (p.publisher.stats.messages ?? p.publisher.stats.published), 0);
  await Promise.all(fleet.map((p) => p.publisher.stop()));
  await hub.stop();
  const row = pacedRow(r, { rate: o.probes * o.lines, nats, pg, probeCpuMs, backlog });
  return `${(published / Math.max(1, messages)).toFixed(1)} | ${row}`;
}

/**
 * `count` samples published while the hub does not consume, then consumed as fast as the hub can:
 * its ceiling. Also what they take: JetStream bytes per message, PostgreSQL WAL per sample, the
 * samples table (with its indexes) per row, and, once rolled up, the rollups table per row.
 */
async function drained(env: BenchEnv, count: number, Publisher: PublisherClass, maxBatch: number): Promise<{ row: string; storage: string }> {
  const hub = await hubOnFreshServers(env);
  const buffer = new UplinkBuffer({ seqStart: 1, maxInMemory: 10_000_000 });
  const publisher = new Publisher({ url: hub.nats.url, buffer, maxInFlight: env.inflight, maxBatch }).start();
  for (let n = 0; n < count; n++) publisher.enqueue(sampleOf(n, env.streams));
  await until('the backlog stored by JetStream', () => buffer.size === 0, 600_000, 100);
  await publisher.stop();
  const nc = await connect({ servers: hub.nats.url });
  const stream = await (await jetstreamManager(nc)).streams.info(SAMPLE_STREAM);
  await nc.close();
  const db = new pg.Client({ connectionString: hub.pgUrl });
  await db.connect();
  const lsn = async () => (await db.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn;
  const wal0 = await lsn();
  const others0 = hub.others();
  hub.send({ type: 'measure' });
  await hub.consume();
  let r = await hub.report(false);
  // Drained = every message acked, i.e. every sample durable in PostgreSQL, not merely applied.
  while (r.applied < count || r.acks < stream.state.messages) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    r = await hub.report(false);
  }
  const others1 = hub.others();
  await hub.stop();
  const walBytes = Number((await db.query<{ d: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1)::bigint AS d', [wal0])).rows[0]!.d);
  const perRow = async (table: string) => {
    await db.query(`VACUUM ANALYZE ${table}`);
    const { rows } = await db.query<{ bytes: string; n: string }>(`SELECT pg_total_relation_size('${table}')::bigint AS bytes, (SELECT count(*) FROM ${table})::bigint AS n`);
    return { bytes: Number(rows[0]!.bytes), rows: Number(rows[0]!.n) };
  };
  const samples = await perRow('samples');
  // The hub's compaction, on everything: every raw sample rolled up into its minute.
  const store = await PostgresStore.open(hub.pgUrl, { source: 'bench' });
  await store.samples.compact(Date.now() + 120_000, 0);
  await store.close();
  const rollups = await perRow('sample_rollups');
  await db.end();
  const applied = r.applied / (r.elapsedMs / 1000);
  const row = [(count / stream.state.messages).toFixed(1), `${(r.elapsedMs / 1000).toFixed(1)} s`, applied.toFixed(0), cores(r.cpuMs, r.elapsedMs), (applied / (r.cpuMs / r.elapsedMs)).toFixed(0), cores(others1.nats - others0.nats, r.elapsedMs), `${cores(others1.pg - others0.pg, r.elapsedMs)} |`].join(' | ');
  const storage = [
    `JetStream: ${(stream.state.bytes / count).toFixed(0)} bytes per sample (${stream.state.messages} messages, file store)`,
    `PostgreSQL WAL: ${(walBytes / count).toFixed(0)} bytes per sample written (fsync and full_page_writes off here: a production server writes more)`,
    `PostgreSQL samples table + its 3 indexes: ${(samples.bytes / samples.rows).toFixed(0)} bytes per row (${samples.rows} rows)`,
    `PostgreSQL sample_rollups table + its 2 indexes: ${(rollups.bytes / rollups.rows).toFixed(0)} bytes per row (${rollups.rows} rows: stream × line × region × minute)`,
  ].join('\n');
  return { row, storage };
}

const HUB_CPU = 0;
const OTHERS_CPU = 1;

/** Every thread of `pid` onto one CPU (threads it starts later inherit it). */
function pinTo(pid: number, cpu: number): void {
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
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

if (process.argv[2] === '--hub-child') await hubChild(process.argv[3]!, process.argv[4]!);
else await main();
