/**
 * Takeover time of a cluster: how long after the hub owning a faulted stream is SIGKILLed another
 * hub holds its shard and acts on it. The whole cluster is real processes on 127.0.0.1
 * (test/helpers/cluster.ts, the setup of test/e2e/cluster.test.ts): PostgreSQL, NATS JetStream,
 * the lab's streams, three hubs with short leases (renew 500 ms, expire 2.5 s, drift margin
 * 500 ms) and a remote probe per region publishing over NATS.
 *
 * Every stream's primary is killed first (each stream faulted: an open incident, a switch to the
 * backup, a ticket). Then, per round: a stream owned by a hub other than the probes' hub, that
 * hub SIGKILLed, and from the kill:
 *   lease  — the shard's lease row names another running hub under a later epoch (PostgreSQL);
 *   acting — the first sample of the stream stored after the kill: a hub consumes a shard's
 *            samples only once every part of it (incidents, controller, tickets) adopted the
 *            shard's streams, so this is the heir consuming and deciding.
 * Then the killed hub is started again and the shards rebalanced before the next round. A round
 * also checks the takeover doubled nothing: still one incident, one switch, one ticket.
 *
 *   npx tsx bench/takeover.ts [--kills 6] [--json]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { log } from '../src/common/log.ts';
import { shardOf } from '../src/model/shard.ts';
import { startCluster, type Cluster, type LeaseHolder } from '../test/helpers/cluster.ts';
import { until } from '../test/helpers/until.ts';
import { percentile } from './helpers/soak-score.ts';
import { onStopSignal } from './helpers/stop-signal.ts';

const STREAMS = ['s1', 's6', 's8'];

const { values } = parseArgs({ options: { kills: { type: 'string', default: '6' }, json: { type: 'boolean', default: false } }, strict: true });
const kills = Number(values.kills);
if (!Number.isInteger(kills) || kills < 1) {
  process.stderr.write(`takeover: --kills must be a positive integer, not "${values.kills}"\n`);
  process.exit(2);
}

interface Round {
  n: number;
  stream: string;
  killed: string;
  heir: string;
  leaseMs: number;
  actingMs: number;
  /** Incidents, switches and tickets of the stream after the takeover: 1 each when nothing doubled. */
  incidents: number;
  switches: number;
  tickets: number;
  load1: number;
}

async function round(cluster: Cluster, n: number, probesHub: string, incidentOf: Map<string, string>): Promise<Round> {
  const leases = await cluster.balanced();
  const stream = STREAMS.find((s) => {
    const owner = leases.find((l) => l.shard === shardOf(s, cluster.shards))?.owner;
    return owner !== undefined && owner !== probesHub;
  });
  if (!stream) throw new Error(`round ${n}: every stream is on the probes' hub ${probesHub}`);
  const owner: LeaseHolder = leases.find((l) => l.shard === shardOf(stream, cluster.shards))!;
  const stored = async () => Number((await cluster.query<{ n: string }>('SELECT count(*) AS n FROM samples WHERE stream = $1', [stream]))[0]!.n);

  const killedAt = Date.now();
  await cluster.kill(owner.owner);
  // What the dead hub had stored by now (a statement it sent just before the kill included).
  const before = await stored();
  const [{ heir, leaseAt }, actingAt] = await Promise.all([
    cluster.takenOver(stream, owner, 60_000).then((h) => ({ heir: h, leaseAt: Date.now() })),
    until(`a sample of ${stream} stored by the heir`, async () => ((await stored()) > before ? Date.now() : undefined), 60_000, 50),
  ]);
  const incidentId = incidentOf.get(stream)!;
  const result: Round = {
    n,
    stream,
    killed: owner.owner,
    heir: heir.owner,
    leaseMs: leaseAt - killedAt,
    actingMs: actingAt - killedAt,
    incidents: (await cluster.incidents(`${stream}/primary/down`)).length,
    switches: (await cluster.switches(stream)).length,
    tickets: cluster.desk.tickets.filter((t) => t.externalId === incidentId).length,
    load1: Math.round(os.loadavg()[0]! * 10) / 10,
  };
  process.stderr.write(`#${n} ${stream}: killed ${result.killed}, heir ${result.heir}: lease ${result.leaseMs} ms, acting ${result.actingMs} ms; incidents ${result.incidents}, switches ${result.switches}, tickets ${result.tickets}; load ${result.load1}\n`);
  await cluster.restart(owner.owner);
  return result;
}

// The lab's info lines would bury the progress lines; warnings stay.
log.level = process.env.STREAMGUARD_LOG_LEVEL ?? 'warn';
const cluster = await startCluster({ hubs: 3, streams: STREAMS });
onStopSignal('takeover', () => cluster.stop());
const rounds: Round[] = [];
try {
  const leases = await cluster.balanced();
  // The probes' hub: the one holding the fewest streams (never killed: the probes keep their assignment).
  const held = (hub: string) => STREAMS.filter((s) => leases.find((l) => l.shard === shardOf(s, cluster.shards))?.owner === hub).length;
  const probesHub = cluster.hubs.map((h) => h.name).sort((a, b) => held(a) - held(b))[0]!;
  await cluster.startProbes(probesHub);
  const incidentOf = new Map<string, string>();
  for (const stream of STREAMS) incidentOf.set(stream, (await cluster.faultPrimary(stream)).incidentId);
  for (let n = 1; n <= kills; n++) rounds.push(await round(cluster, n, probesHub, incidentOf));
} finally {
  await cluster.stop();
}

const sorted = (k: 'leaseMs' | 'actingMs') => rounds.map((r) => r[k]).sort((a, b) => a - b);
const stats = (k: 'leaseMs' | 'actingMs') => ({ p50: percentile(sorted(k), 50), p95: percentile(sorted(k), 95), max: sorted(k).at(-1) ?? null });
const summary = { kills, lease: stats('leaseMs'), acting: stats('actingMs'), doubled: rounds.filter((r) => r.incidents !== 1 || r.switches !== 1 || r.tickets !== 1).length, rounds };
if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
else {
  process.stdout.write(`kill → lease taken: ${rounds.map((r) => r.leaseMs).join(', ')} ms; p50 ${summary.lease.p50}, p95 ${summary.lease.p95}, max ${summary.lease.max}\n`);
  process.stdout.write(`kill → heir acting: ${rounds.map((r) => r.actingMs).join(', ')} ms; p50 ${summary.acting.p50}, p95 ${summary.acting.p95}, max ${summary.acting.max}\n`);
  process.stdout.write(`rounds with a doubled incident, switch or ticket: ${summary.doubled}/${rounds.length}\n`);
}
