import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { LeaseConfigSchema } from '../../src/cluster/config-schema.ts';
import { LeaseManager } from '../../src/cluster/lease-manager.ts';
import type { HubHeartbeats, ShardLeases } from '../../src/store/cluster-ports.ts';
import { FencedError, type Fence } from '../../src/store/fence.ts';
import { PostgresClusterSession } from '../../src/store/postgres/cluster-session.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { postgresMissing, usePostgres } from '../helpers/postgres.ts';
import { until } from '../helpers/until.ts';

/**
 * Lease managers of several hubs in this process, each on its own session with one real
 * PostgreSQL. A hub is partitioned by holding its statements back before they reach the
 * database (its loop then hangs on one, as on a dead network); its timers still run, as they do
 * on a partitioned hub — what a paused process does is in lease-pause.test.ts.
 */
const SHARDS = 8;
const config = LeaseConfigSchema.parse({ renewMs: 200, expireMs: 1500, driftMarginMs: 300 });
const server = usePostgres();
let running: Hub[] = [];

afterEach(async () => {
  for (const hub of running.splice(0)) await hub.close();
});

interface LeaseEvent {
  hub: string;
  kind: 'own' | 'release';
  shard: number;
  epoch?: number;
  t: number;
}

/** Statements held back while closed, let through when opened again. */
class Partition {
  private healed: Promise<void> = Promise.resolve();
  private heal: (() => void) | undefined;

  cut(): void {
    if (this.heal) return;
    this.healed = new Promise((resolve) => (this.heal = resolve));
  }

  restore(): void {
    this.heal?.();
    this.heal = undefined;
  }

  get cutOff(): boolean {
    return this.heal !== undefined;
  }

  pass<T>(statement: () => Promise<T>): Promise<T> {
    return this.healed.then(statement);
  }
}

interface Hub {
  name: string;
  manager: LeaseManager;
  partition: Partition;
  close(): Promise<void>;
}

async function startHub(url: string, name: string, events: LeaseEvent[]): Promise<Hub> {
  const cluster = await PostgresClusterSession.open(url, { expireMs: config.expireMs });
  const partition = new Partition();
  const leases: ShardLeases = {
    acquire: (shard, owner) => partition.pass(() => cluster.leases.acquire(shard, owner)),
    renew: (ls) => partition.pass(() => cluster.leases.renew(ls)),
    release: (lease) => partition.pass(() => cluster.leases.release(lease)),
    owners: () => partition.pass(() => cluster.leases.owners()),
  };
  const heartbeats: HubHeartbeats = {
    beat: (hub) => partition.pass(() => cluster.heartbeats.beat(hub)),
    live: () => partition.pass(() => cluster.heartbeats.live()),
    leave: (hub) => partition.pass(() => cluster.heartbeats.leave(hub)),
  };
  const listener = {
    own: (shard: number, epoch: number) => events.push({ hub: name, kind: 'own', shard, epoch, t: performance.now() }),
    release: (shard: number) => void events.push({ hub: name, kind: 'release', shard, t: performance.now() }),
  };
  const manager = new LeaseManager({ hub: name, config, shards: SHARDS, leases, heartbeats, listener });
  manager.start();
  const hub: Hub = {
    name,
    manager,
    partition,
    close: async () => {
      partition.restore();
      await manager.stop();
      await cluster.close();
    },
  };
  running.push(hub);
  return hub;
}

/** Every shard acted on by exactly one of `hubs`, with these shares. */
function shares(hubs: Hub[]): number[] | undefined {
  const owned = hubs.flatMap((h) => h.manager.shards());
  if (owned.length !== SHARDS || new Set(owned).size !== SHARDS) return undefined;
  return hubs.map((h) => h.manager.shards().length);
}

/**
 * From the listener's events: per shard, an own only after the previous owner's release (the
 * release is told when the hub stopped acting, never before), and epochs that only grow.
 */
function expectOneOwnerAtATime(events: LeaseEvent[]): void {
  for (let shard = 0; shard < SHARDS; shard++) {
    const ofShard = events.filter((e) => e.shard === shard).sort((a, b) => a.t - b.t);
    let holder: string | undefined;
    let epoch = 0;
    for (const e of ofShard) {
      if (e.kind === 'own') {
        expect(holder, `shard ${shard}: ${e.hub} owns it at ${e.t.toFixed(0)} while ${holder} still acts`).toBeUndefined();
        expect(e.epoch!).toBeGreaterThan(epoch);
        holder = e.hub;
        epoch = e.epoch!;
      } else {
        expect(e.hub, `shard ${shard}: ${e.hub} releases what ${holder} holds`).toBe(holder);
        holder = undefined;
      }
    }
  }
}

describe.skipIf(postgresMissing)('lease managers on one PostgreSQL', () => {
  it('a partitioned hub stops acting before its shards expire; another takes them within expiry + one renewal; its late write is fenced', async () => {
    const url = await server().createDatabase();
    const store = await PostgresStore.open(url);
    try {
      const events: LeaseEvent[] = [];
      const a = await startHub(url, 'hub-a', events);
      const b = await startHub(url, 'hub-b', events);
      await until('hub-a and hub-b to share the shards 4/4', () => shares([a, b])?.join() === '4,4', 10_000);

      const aShards = a.manager.shards();
      const staleFence: Fence = a.manager.fenceFor(aShards[0]!)!;
      const cutAt = performance.now();
      a.partition.cut();
      await until('hub-b to hold every shard', () => b.manager.shards().length === SHARDS, 10_000, 10);
      const takeoverMs = performance.now() - cutAt;
      expect(takeoverMs).toBeLessThan(config.expireMs + config.renewMs + 500); // + the round's own statements under load
      expect(a.manager.shards()).toEqual([]);
      expectOneOwnerAtATime(events);

      // hub-a decided a switch before the cut; the write reaches the store only now.
      const late = await store.audit.append({ t: 1, actor: 'policy', action: 'switch', target: 'stream/s1', reason: 'stall' }, staleFence).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(late).toBeInstanceOf(FencedError);
      expect((late as FencedError).holder).toEqual({ owner: 'hub-b', epoch: staleFence.epoch + 1 });
      expect(await store.audit.recent(5)).toEqual([]);
      // The new owner's write with its fence goes through.
      await store.audit.append({ t: 2, actor: 'policy', action: 'switch', target: 'stream/s1', reason: 'stall' }, b.manager.fenceFor(staleFence.shard)!);

      a.partition.restore();
      await until('hub-a back to its share', () => shares([a, b])?.join() === '4,4', 10_000);
      expectOneOwnerAtATime(events);
    } finally {
      await store.close();
    }
  }, 40_000);

  it('joining hubs get their fair share within a few seconds, the others giving up theirs', async () => {
    const url = await server().createDatabase();
    const events: LeaseEvent[] = [];
    const a = await startHub(url, 'hub-a', events);
    await until('hub-a to hold every shard', () => shares([a])?.join() === '8', 10_000);
    const joinedAt = performance.now();
    const b = await startHub(url, 'hub-b', events);
    const c = await startHub(url, 'hub-c', events);
    await until('the shares 3/3/2', () => shares([a, b, c])?.join() === '3,3,2', 10_000);
    expect(performance.now() - joinedAt).toBeLessThan(5_000);
    expectOneOwnerAtATime(events);
    // hub-c leaves: its two go to the others at once (released, not expired).
    const leftAt = performance.now();
    running = running.filter((h) => h !== c);
    await c.close();
    await until('the shares 4/4', () => shares([a, b])?.join() === '4,4', 10_000);
    expect(performance.now() - leftAt).toBeLessThan(config.expireMs);
    expectOneOwnerAtATime(events);
  }, 40_000);

  it('over a run with random partitions no shard ever has two hubs acting on it', async () => {
    const url = await server().createDatabase();
    const events: LeaseEvent[] = [];
    const hubs = [await startHub(url, 'hub-a', events), await startHub(url, 'hub-b', events), await startHub(url, 'hub-c', events)];
    let seed = 20_261_203;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const end = performance.now() + 12_000;
    let partitions = 0;
    while (performance.now() < end) {
      const hub = hubs[Math.floor(random() * hubs.length)]!;
      if (hub.partition.cutOff) hub.partition.restore();
      else if (hubs.filter((h) => h.partition.cutOff).length < 2) {
        hub.partition.cut();
        partitions++;
      }
      // Polls the hubs' own view meanwhile: no shard acted on by two at once.
      const nextToggle = performance.now() + 300 + random() * 1_700;
      while (performance.now() < nextToggle) {
        const owned = hubs.flatMap((h) => h.manager.shards());
        expect(new Set(owned).size).toBe(owned.length);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    for (const hub of hubs) hub.partition.restore();
    await until('the shares 3/3/2 again', () => shares(hubs)?.join() === '3,3,2', 10_000);
    expect(partitions).toBeGreaterThan(3);
    expect(events.filter((e) => e.kind === 'own').length).toBeGreaterThan(SHARDS);
    expectOneOwnerAtATime(events);
  }, 60_000);
});
