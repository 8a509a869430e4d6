import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { FaultProxy } from '../../src/lab/fault-proxy.ts';
import { startLab, VendorDesk, type Lab, type LineName } from '../../src/lab/index.ts';
import { LINES } from '../../src/lab/fault-schema.ts';
import { freePort } from '../../src/lab/ports.ts';
import { shardOf } from '../../src/model/shard.ts';
import { gone } from './gone.ts';
import { natsMissing, startNats, type ThrowawayNats } from './nats.ts';
import { postgresMissing, startPostgres, type ThrowawayPostgres } from './postgres.ts';
import { startStreamguard, type StreamguardProcess } from './streamguard-process.ts';
import { until } from './until.ts';

/**
 * A whole cluster on 127.0.0.1, every part a real process, for the end-to-end cluster tests and
 * the takeover bench: a throwaway PostgreSQL (the shared store and the shard leases), a nats-server
 * with JetStream (the samples), the lab's streams (ffmpeg publishers, each with a primary and a
 * backup line), the lab's vendor desk (tickets, and the edge's switch webhook), N hub processes
 * (`streamguard run`, each its own config file, each reaching PostgreSQL through a fault proxy of
 * its own, which can cut it off) and one remote probe process per region
 * (`streamguard probe --hub … --nats …`) publishing over NATS. Everything is stopped by PID.
 *
 * The leases are short (renew 500 ms, expire 2.5 s) so that a takeover takes seconds, not the
 * production defaults' ten.
 */

/** Why the cluster cannot run here (no PostgreSQL or no nats-server), or undefined. */
export const clusterMissing: string | undefined = postgresMissing ?? natsMissing;

export const REGIONS = ['eu', 'us'] as const;
export type Region = (typeof REGIONS)[number];
const PROBE_TOKENS: Record<Region, { env: string; token: string }> = {
  eu: { env: 'SG_CLUSTER_TOKEN_EU', token: 'eu-cluster-token-0123456789' },
  us: { env: 'SG_CLUSTER_TOKEN_US', token: 'us-cluster-token-0123456789' },
};
const STORE_URL_ENV = 'SG_CLUSTER_PG_URL';
/** Short leases: a takeover within expireMs + a renewal. */
export const TEST_LEASE = { renewMs: 500, expireMs: 2500, driftMarginMs: 500 };
/** Few shards: every hub gets some with three streams' worth of hashing, and leases stay cheap. */
export const TEST_SHARDS = 8;
/** The failback hold-off: short, so a restored primary is served again soon. */
const HOLD_OFF = '2s';

export interface ClusterOptions {
  /** How many hubs (hub-1 … hub-N). */
  hubs: number;
  /** The lab's streams; each is also a stream of every hub's config, with its primary and backup line. */
  streams: readonly string[];
}

export interface ClusterHub {
  readonly name: string;
  /** http://127.0.0.1:PORT: its listen address and its advertise URL. */
  readonly url: string;
  /** Undefined while it is not running (killed and not restarted). */
  readonly pid: number | undefined;
  /** Everything it logged (stderr, JSON lines) since its first start, restarts included. */
  log(): string;
}

/** An incident as the shared store has it. */
export interface IncidentRow {
  id: string;
  key: string;
  status: string;
  reopenCount: number;
  openedAt: number;
  resolvedAt: number | null;
}

export interface SwitchAudit {
  /** The action id (what an actuator is told). */
  id: string;
  t: number;
  actor: string;
  reason: string;
  from: string;
  to: string;
}

export interface LeaseHolder {
  shard: number;
  owner: string;
  epoch: number;
}

export interface Cluster {
  readonly lab: Lab;
  readonly desk: VendorDesk;
  readonly nats: ThrowawayNats;
  readonly hubs: readonly ClusterHub[];
  readonly shards: number;
  hub(name: string): ClusterHub;
  /** Starts one remote probe per region, its WebSocket (assignment, heartbeats) to `hub`, its samples over NATS. */
  startProbes(hub: string): Promise<void>;
  /** A query on the shared store. */
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  /** Every shard's live lease (expired ones left out), by shard. */
  liveLeases(): Promise<LeaseHolder[]>;
  /** Who holds the live lease of `stream`'s shard now, or undefined. */
  ownerOf(stream: string): Promise<LeaseHolder | undefined>;
  /** Waits until every shard has a live lease held by a running hub; resolves the leases. */
  settled(timeoutMs?: number): Promise<LeaseHolder[]>;
  /** Waits until, besides, every running hub holds its fair share (shards ÷ hubs, rounded down or up); resolves the leases. */
  balanced(timeoutMs?: number): Promise<LeaseHolder[]>;
  /** Resolves the new holder of `stream`'s shard once a running hub other than `from`'s holds it under a later epoch. */
  takenOver(stream: string, from: LeaseHolder, timeoutMs?: number): Promise<LeaseHolder>;
  /** Waits until both lines of `stream` were heard connected from both regions a few times (since `since`): the controller knows where to fail over. */
  bothLinesUp(stream: string, since?: number): Promise<void>;
  /** Kills `stream`'s primary publisher; resolves once its incident is open, the switch to the backup audited and the desk holds its ticket. */
  faultPrimary(stream: string): Promise<{ incidentId: string }>;
  /**
   * Cuts `hub` off from PostgreSQL (its store and its leases) or lets it through again: while cut,
   * what it sends is held (TCP stays up), and arrives once let through, as after a partition.
   */
  cutStore(hub: string, cut: boolean): Promise<void>;
  /** SIGKILL (a crash): the hub and its process group; resolves once it is gone. */
  kill(name: string): Promise<void>;
  /** SIGSTOP: the process freezes, its sockets stay open. */
  pause(name: string): void;
  /** SIGCONT. */
  resume(name: string): void;
  /** Starts a killed hub again, same name, port and config. */
  restart(name: string): Promise<void>;
  /** The incidents of `key` (e.g. `s1/primary/down`), oldest first. */
  incidents(key: string): Promise<IncidentRow[]>;
  /** The timeline entry types of an incident, in order. */
  timeline(incidentId: string): Promise<string[]>;
  /** The acted (not dry-run) switch decisions of `stream` in the audit log, oldest first. */
  switches(stream: string): Promise<SwitchAudit[]>;
  /** Which line `hub` serves for `stream` (GET /play). */
  playing(hub: string, stream: string): Promise<string>;
  /** `hub`'s grade of each line of `stream` per region (GET /api/v1/state); undefined when it does not list the stream. */
  levels(hub: string, stream: string): Promise<Record<string, Record<string, string>> | undefined>;
  /** How many connected samples of each line × region of `stream` the store holds (`line/region` → count). */
  connectedSamples(stream: string, since?: number): Promise<Map<string, number>>;
  /** Each probe's stored seqs: the lowest, the highest and how many (no gap: count = max − min + 1). */
  seqRanges(): Promise<{ probe: string; min: number; max: number; count: number }[]>;
  /** A command over REST (POST /api/v1/commands/:type) on `hub`; resolves its result. */
  command(hub: string, type: string, body: Record<string, unknown>): Promise<unknown>;
  /** The lab fault that kills or restarts a line's publisher. */
  publisher(stream: string, line: LineName, action: 'kill' | 'start'): Promise<number>;
  /** Stops every process (probes, hubs, lab, desk, NATS, PostgreSQL) by PID and removes the temp dir. */
  stop(): Promise<void>;
}

interface HubSlot {
  name: string;
  port: number;
  config: string;
  logFile: string;
  logStream: WriteStream | undefined;
  process: StreamguardProcess | undefined;
  /** Between the hub and PostgreSQL. */
  storeProxy: FaultProxy;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  if (clusterMissing) throw new Error(clusterMissing);
  const dir = mkdtempSync(join(tmpdir(), 'sg-cluster-'));
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
    // SG_KEEP_CLUSTER_DIR=1 keeps the hubs' logs and configs for a post-mortem.
    if (process.env.SG_KEEP_CLUSTER_DIR) console.log(`cluster dir kept: ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  };
  try {
    const postgres: ThrowawayPostgres = await startPostgres();
    stops.push(() => postgres.stop());
    const storeUrl = await postgres.createDatabase();
    const pool = new pg.Pool({ connectionString: storeUrl, max: 2 });
    stops.push(() => pool.end());
    const nats = await startNats();
    stops.push(() => nats.stop());
    const lab = await startLab({ streams: options.streams.map((id) => ({ id, protocols: ['rtmp'] })) });
    stops.push(() => lab.stop());
    const desk = new VendorDesk();
    const deskPort = await desk.start();
    stops.push(() => desk.stop());

    const slots: HubSlot[] = [];
    for (let i = 1; i <= options.hubs; i++) {
      const name = `hub-${i}`;
      const port = await freePort();
      const config = join(dir, `${name}.yaml`);
      writeFileSync(config, hubConfig({ name, port, dir, natsUrl: nats.url, deskPort, lab, streams: options.streams }));
      const storeProxy = new FaultProxy(Number(new URL(storeUrl).port));
      await storeProxy.start();
      stops.push(() => storeProxy.close());
      slots.push({ name, port, config, logFile: join(dir, `${name}.log`), logStream: undefined, process: undefined, storeProxy });
    }
    const env = Object.fromEntries(REGIONS.map((r) => [PROBE_TOKENS[r].env, PROBE_TOKENS[r].token]));
    /** A hub's store URL: its own proxy's port. */
    const storeUrlOf = (s: HubSlot) => {
      const url = new URL(storeUrl);
      url.port = String(s.storeProxy.port);
      return url.toString();
    };
    const slot = (name: string) => {
      const s = slots.find((h) => h.name === name);
      if (!s) throw new Error(`no hub "${name}" in this cluster (${slots.map((h) => h.name).join(', ')})`);
      return s;
    };
    const launch = async (s: HubSlot) => {
      // At info: a failure shows what each hub decided and when (control, leases, takeovers).
      const p = startStreamguard(s.name, ['run', '--config', s.config], { ...env, STREAMGUARD_LOG_LEVEL: 'info', [STORE_URL_ENV]: storeUrlOf(s) });
      s.process = p;
      s.logStream ??= createWriteStream(s.logFile, { flags: 'a' });
      const log = s.logStream;
      p.child.proc.stderr!.on('data', (d: Buffer) => log.write(d));
      await until(`${s.name} to listen on 127.0.0.1:${s.port}`, () => {
        if (p.child.proc.exitCode !== null) throw new Error(`${s.name} exited (${p.child.proc.exitCode}) at start: ${p.stderrTail()}`);
        return p.stdout().includes('listening on');
      }, 60_000, 100);
    };
    const stopHub = async (s: HubSlot) => {
      await s.process?.stop();
      s.process = undefined;
    };
    stops.push(async () => {
      for (const s of slots) await stopHub(s);
      for (const s of slots) await new Promise<void>((r) => (s.logStream ? s.logStream.end(r) : r()));
    });
    await Promise.all(slots.map(launch));

    const probes: StreamguardProcess[] = [];
    stops.push(async () => {
      for (const p of probes.splice(0)) await p.stop();
    });

    const query = async <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => (await pool.query<R>(text, values)).rows;
    const liveLeases = () => query<LeaseHolder>('SELECT shard, owner, epoch::int AS epoch FROM shard_leases WHERE expires_at > now() ORDER BY shard');
    const running = () => slots.filter((s) => s.process !== undefined).map((s) => s.name);
    const settled = (timeoutMs = 30_000) =>
      until('every shard leased by a running hub', async () => {
        const leases = await liveLeases();
        return leases.length === TEST_SHARDS && leases.every((l) => running().includes(l.owner)) && leases;
      }, timeoutMs, 100);
    const ownerOf = async (stream: string) => (await liveLeases()).find((l) => l.shard === shardOf(stream, TEST_SHARDS));
    const switches = async (stream: string) => {
      const rows = await query<{ t: string; actor: string; reason: string; data: { action: { id: string; from: string; to: string } } }>(
        `SELECT t, actor, reason, data FROM audit
         WHERE action = 'control.switch' AND data->'action'->>'stream' = $1 AND coalesce((data->'action'->>'dryRun')::boolean, false) = false
         ORDER BY id`,
        [stream],
      );
      return rows.map((r) => ({ id: r.data.action.id, t: Number(r.t), actor: r.actor, reason: r.reason, from: r.data.action.from, to: r.data.action.to }));
    };
    const connectedSamples = async (stream: string, since = 0) => {
      const rows = await query<{ line: string; region: string; n: string }>('SELECT line, region, count(*) AS n FROM samples WHERE stream = $1 AND connected = 1 AND t >= $2 GROUP BY line, region', [stream, since]);
      return new Map(rows.map((r) => [`${r.line}/${r.region}`, Number(r.n)]));
    };
    const bothLinesUp = (stream: string, since = 0) =>
      until(`both lines of ${stream} connected in both regions`, async () => {
        const n = await connectedSamples(stream, since);
        return LINES.every((line) => REGIONS.every((r) => (n.get(`${line}/${r}`) ?? 0) >= 3));
      }, 30_000, 200).then(() => undefined);
    const incidents = async (key: string) => {
      const rows = await query<{ id: string; key: string; status: string; data: { reopenCount?: number }; opened_at: string; resolved_at: string | null }>(
        'SELECT id, key, status, data, opened_at, resolved_at FROM incidents WHERE key = $1 ORDER BY opened_at',
        [key],
      );
      return rows.map((r) => ({ id: r.id, key: r.key, status: r.status, reopenCount: r.data.reopenCount ?? 0, openedAt: Number(r.opened_at), resolvedAt: r.resolved_at === null ? null : Number(r.resolved_at) }));
    };
    const signal = (name: string, sig: NodeJS.Signals) => {
      const pid = slot(name).process?.child.pid;
      if (pid === undefined) throw new Error(`${name} is not running`);
      process.kill(pid, sig);
    };

    const hubs: ClusterHub[] = slots.map((s) => ({
      name: s.name,
      url: `http://127.0.0.1:${s.port}`,
      get pid() {
        return s.process?.child.pid;
      },
      log: () => readOr(s.logFile),
    }));

    return {
      lab,
      desk,
      nats,
      hubs,
      shards: TEST_SHARDS,
      hub: (name) => hubs.find((h) => h.name === name) ?? fail(`no hub "${name}" in this cluster`),
      async startProbes(hub) {
        if (!slot(hub).process) throw new Error(`${hub} is not running`);
        const ws = `ws://127.0.0.1:${slot(hub).port}/probes`;
        for (const region of REGIONS) {
          const p = startStreamguard(`probe-${region}`, ['probe', '--hub', ws, '--region', region, '--token-env', PROBE_TOKENS[region].env, '--nats', nats.url, '--nats-shards', String(TEST_SHARDS)], env);
          probes.push(p);
        }
        // Connected, assigned, probing and heard: samples of both regions are in the store.
        await until('samples of both probes stored', async () => {
          const dead = probes.find((p) => p.child.proc.exitCode !== null);
          if (dead) throw new Error(`${dead.name} exited (${dead.child.proc.exitCode}): ${dead.stderrTail()}`);
          const heard = await query<{ probe: string }>('SELECT DISTINCT probe FROM samples');
          return REGIONS.every((r) => heard.some((h) => h.probe === `probe-${r}`));
        }, 60_000, 200);
      },
      query,
      liveLeases,
      ownerOf,
      settled,
      balanced: (timeoutMs = 30_000) =>
        until('the shards spread evenly over the running hubs', async () => {
          const leases = await settled(timeoutMs);
          const hubs = running();
          const fair = [Math.floor(TEST_SHARDS / hubs.length), Math.ceil(TEST_SHARDS / hubs.length)];
          return hubs.every((h) => fair.includes(leases.filter((l) => l.owner === h).length)) && leases;
        }, timeoutMs, 200),
      takenOver: (stream, from, timeoutMs = 20_000) =>
        until(`a hub other than ${from.owner} to take ${stream}'s shard ${from.shard}`, async () => {
          const now = await ownerOf(stream);
          return now && now.owner !== from.owner && now.epoch > from.epoch && running().includes(now.owner) ? now : undefined;
        }, timeoutMs, 50),
      bothLinesUp,
      async faultPrimary(stream) {
        await bothLinesUp(stream);
        await lab.applyFault({ stream, line: 'primary', kind: 'kill' });
        const incident = await until(`the incident of ${stream}/primary`, async () => (await incidents(`${stream}/primary/down`))[0], 20_000, 200);
        await until(`the switch of ${stream} to the backup`, async () => (await switches(stream)).some((sw) => sw.to === 'backup'), 20_000, 200);
        await until(`the desk ticket of ${incident.id}`, () => desk.tickets.some((t) => t.externalId === incident.id), 20_000, 200);
        return { incidentId: incident.id };
      },
      async kill(name) {
        const s = slot(name);
        const pid = s.process?.child.pid;
        if (pid === undefined) throw new Error(`${name} is not running`);
        process.kill(pid, 'SIGKILL');
        await until(`${name} (PID ${pid}) to be gone`, () => gone(pid), 10_000, 20);
        await stopHub(s); // its process group: whatever it had started
      },
      cutStore: (name, cut) => slot(name).storeProxy.setMode(cut ? { mode: 'stall' } : { mode: 'pass' }),
      pause: (name) => signal(name, 'SIGSTOP'),
      resume: (name) => signal(name, 'SIGCONT'),
      async restart(name) {
        const s = slot(name);
        if (s.process) throw new Error(`${name} is still running`);
        await launch(s);
      },
      incidents,
      async timeline(incidentId) {
        return (await query<{ type: string }>('SELECT type FROM timeline WHERE incident_id = $1 ORDER BY id', [incidentId])).map((r) => r.type);
      },
      switches,
      async playing(hub, stream) {
        const res = await fetch(`http://127.0.0.1:${slot(hub).port}/api/v1/streams/${encodeURIComponent(stream)}/play?format=json`);
        if (!res.ok) throw new Error(`${hub}: GET /play of ${stream}: HTTP ${res.status} ${await res.text()}`);
        return ((await res.json()) as { line: string }).line;
      },
      async levels(hub, stream) {
        const res = await fetch(`http://127.0.0.1:${slot(hub).port}/api/v1/state`);
        if (!res.ok) throw new Error(`${hub}: GET /api/v1/state: HTTP ${res.status} ${await res.text()}`);
        const { result } = (await res.json()) as { result: { streams: { id: string; health: Record<string, Record<string, { level: string }>> }[] } };
        const s = result.streams.find((x) => x.id === stream);
        return s && Object.fromEntries(Object.entries(s.health).map(([line, regions]) => [line, Object.fromEntries(Object.entries(regions).map(([r, h]) => [r, h.level]))]));
      },
      connectedSamples,
      async seqRanges() {
        const rows = await query<{ probe: string; min: string; max: string; n: string }>('SELECT probe, min(seq) AS min, max(seq) AS max, count(*) AS n FROM samples GROUP BY probe ORDER BY probe');
        return rows.map((r) => ({ probe: r.probe, min: Number(r.min), max: Number(r.max), count: Number(r.n) }));
      },
      async command(hub, type, body) {
        const res = await fetch(`http://127.0.0.1:${slot(hub).port}/api/v1/commands/${type}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        if (!res.ok) throw new Error(`${hub}: POST /api/v1/commands/${type}: HTTP ${res.status} ${await res.text()}`);
        return ((await res.json()) as { result: unknown }).result;
      },
      async publisher(stream, line, action) {
        return (await lab.applyFault({ stream, line, kind: action })).startedAt;
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

interface HubConfigInput {
  name: string;
  port: number;
  dir: string;
  natsUrl: string;
  deskPort: number;
  lab: Lab;
  streams: readonly string[];
}

/** One hub's config (JSON, which is YAML): same streams, store, NATS and vendors as every other hub; its own name, port and data dir. */
function hubConfig(c: HubConfigInput): string {
  const line = (stream: string, name: LineName) => ({ url: c.lab.url(stream, name, 'http-flv'), regionUrls: { us: c.lab.url(stream, name, 'rtmp') } });
  return JSON.stringify(
    {
      hub: { listen: `127.0.0.1:${c.port}`, dataDir: join(c.dir, c.name) },
      cluster: { hub: c.name, advertiseUrl: `http://127.0.0.1:${c.port}`, lease: TEST_LEASE },
      regions: [...REGIONS],
      // The lab's 2 × streams ffmpeg publishers, three hubs, PostgreSQL and NATS share two cores: CPU
      // pressure (PSI) stays above 95 % and every window would be impaired, so no incident would open
      // or clear (seen: 30 s of cpu-pressure windows after a restored primary). This test is about
      // takeovers; the probe's other self-checks (a stopped or starved probe) still apply.
      probe: { embedded: false, health: { cpuPressurePct: false } },
      store: { postgres: { urlEnv: STORE_URL_ENV } },
      uplink: {
        probes: REGIONS.map((r) => ({ id: `probe-${r}`, region: r, tokenEnv: PROBE_TOKENS[r].env })),
        // A message a dead hub had not acked goes to the shard's next owner after 2 s, not 30.
        nats: { url: c.natsUrl, shardCount: TEST_SHARDS, ackWaitMs: 2000 },
      },
      streams: c.streams.map((id) => ({ id, lines: { primary: line(id, 'primary'), backup: line(id, 'backup') } })),
      control: {
        default: { holdOff: HOLD_OFF, minDwell: '1s' },
        actuators: [{ type: 'webhook', name: 'edge', url: `http://127.0.0.1:${c.deskPort}/hooks/edge`, actions: ['switch', 'escalate'], retries: 0 }],
      },
      vendors: [{ name: 'cdn-desk', type: 'desk', url: `http://127.0.0.1:${c.deskPort}` }],
    },
    null,
    2,
  );
}

function fail(message: string): never {
  throw new Error(message);
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
