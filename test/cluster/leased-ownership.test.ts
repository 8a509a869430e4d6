import { describe, expect, it } from 'vitest';
import { clusterStreams, LeasedOwnership } from '../../src/cluster/leased-ownership.ts';
import { parseConfig } from '../../src/config/load.ts';
import { shardOf } from '../../src/model/shard.ts';
import type { Fence } from '../../src/store/fence.ts';

/** LeasedOwnership over leases set by hand: the mapping from shards to streams, listeners and the consumer, in order. */
const SHARDS = 4;
const streams = ['s1', 's2', 's3', 's4', 's5', 's6', 'probe:p1'];

function setup() {
  const held = new Map<number, number>();
  const calls: string[] = [];
  const ownership = new LeasedOwnership({ shardCount: SHARDS, fenceFor: (shard): Fence | undefined => (held.has(shard) ? { shard, epoch: held.get(shard)!, owner: 'hub-a' } : undefined), streams });
  for (const name of ['hub', 'control']) {
    ownership.subscribe({
      adopt: async (ss) => {
        calls.push(`${name} adopt ${ss.join(',')} start`);
        await new Promise<void>((resolve) => setImmediate(resolve));
        calls.push(`${name} adopt done`);
      },
      release: (ss) => void calls.push(`${name} release ${ss.join(',')}`),
    });
  }
  ownership.consumeWith({
    own: async (shard) => void calls.push(`consume ${shard}`),
    release: async (shard) => void calls.push(`stop consuming ${shard}`),
  });
  const take = (shard: number, epoch = 1) => {
    held.set(shard, epoch);
    ownership.own(shard, epoch);
  };
  const lose = (shard: number) => {
    held.delete(shard);
    ownership.release(shard);
  };
  return { ownership, calls, take, lose };
}

const inShard = (shard: number) => streams.filter((s) => shardOf(s, SHARDS) === shard);

describe('LeasedOwnership', () => {
  it('a shard taken: its streams adopted by every listener in order, awaited, then consumed; lost: consumption stops before the listeners forget', async () => {
    const { ownership, calls, take, lose } = setup();
    const shard = shardOf('s1', SHARDS);
    take(shard, 3);
    expect(ownership.owns('s1')).toBe(true);
    expect(ownership.actingOn('s1')).toEqual({ fence: { shard, epoch: 3, owner: 'hub-a' } });
    const other = streams.find((s) => shardOf(s, SHARDS) !== shard)!;
    expect(ownership.owns(other)).toBe(false);
    expect(ownership.actingOn(other)).toBeUndefined();
    lose(shard);
    expect(ownership.owns('s1')).toBe(false);
    expect(ownership.actingOn('s1')).toBeUndefined();
    await ownership.settled();
    const mine = inShard(shard).join(',');
    expect(calls).toEqual([`hub adopt ${mine} start`, 'hub adopt done', `control adopt ${mine} start`, 'control adopt done', `consume ${shard}`, `stop consuming ${shard}`, `hub release ${mine}`, `control release ${mine}`]);
  });

  it("a probe's own incidents belong to probe:<id>, hashed as a stream", () => {
    const { ownership, take } = setup();
    take(shardOf('probe:p1', SHARDS));
    expect(ownership.owns('probe:p1')).toBe(true);
  });

  it('a reload: streams added to a held shard are adopted; streams removed are not released (the hub resolves them as removed)', async () => {
    const { ownership, calls, take, lose } = setup();
    const shard = shardOf('s1', SHARDS);
    take(shard);
    await ownership.settled();
    calls.length = 0;
    const added = Array.from({ length: 40 }, (_, i) => `n${i}`).find((s) => shardOf(s, SHARDS) === shard)!;
    const elsewhere = Array.from({ length: 40 }, (_, i) => `m${i}`).find((s) => shardOf(s, SHARDS) !== shard)!;
    ownership.prepareReload([...streams.filter((s) => s !== 's1'), added, elsewhere])();
    await ownership.settled();
    expect(calls).toEqual([`hub adopt ${added} start`, 'hub adopt done', `control adopt ${added} start`, 'control adopt done']);
    calls.length = 0;
    lose(shard);
    await ownership.settled();
    const now = [...inShard(shard).filter((s) => s !== 's1'), added].join(',');
    expect(calls).toEqual([`stop consuming ${shard}`, `hub release ${now}`, `control release ${now}`]);
  });

  it("the cluster's streams: the config's and the pseudo-streams of its remote and embedded probes", () => {
    const { config, errors } = parseConfig(
      ['probe: { regions: [eu] }', 'uplink:', '  probes: [{ id: r1, region: eu, tokenEnv: T1 }]', 'streams:', '  - id: a', '    lines: { p: { url: "rtmp://h/a" } }', ''].join('\n'),
    );
    expect(errors).toEqual([]);
    expect(clusterStreams(config!)).toEqual(['a', 'probe:r1', 'probe:hub-eu']);
  });

  it('a listener whose adopt fails is asked again while the lease lasts; the shard is consumed only once it adopted', async () => {
    const held = new Set<number>();
    const calls: string[] = [];
    let failures = 2;
    const ownership = new LeasedOwnership({ shardCount: SHARDS, fenceFor: (shard) => (held.has(shard) ? { shard, epoch: 1, owner: 'hub-a' } : undefined), streams, retryMs: 10 });
    ownership.subscribe({
      adopt: async () => {
        calls.push('adopt');
        if (failures-- > 0) throw new Error('store unreachable');
      },
      release: () => undefined,
    });
    ownership.consumeWith({ own: async (shard) => void calls.push(`consume ${shard}`), release: async () => undefined });
    held.add(1);
    ownership.own(1, 1);
    await ownership.settled();
    expect(calls).toEqual(['adopt', 'adopt', 'adopt', 'consume 1']);
    // Lost while failing: given up, never consumed.
    calls.length = 0;
    failures = 1;
    held.add(2);
    ownership.own(2, 1);
    held.delete(2);
    await ownership.settled();
    expect(calls).toEqual(['adopt']);
  });
});
