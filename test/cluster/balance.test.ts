import { describe, expect, it } from 'vitest';
import { actingDeadline } from '../../src/cluster/acting-deadline.ts';
import { fairShare, planBalance, type BalanceView } from '../../src/cluster/balance.ts';
import { LeaseConfigSchema } from '../../src/cluster/config-schema.ts';
import type { LeaseRow } from '../../src/store/cluster-ports.ts';

const live = (shard: number, owner: string): LeaseRow => ({ shard, owner, epoch: 1, live: true });
const view = (over: Partial<BalanceView>): BalanceView => ({ self: 'hub-a', shards: 8, liveHubs: ['hub-a'], leases: [], held: new Set(), ...over });

describe('fairShare', () => {
  it('spreads the shards so that the shares add up and none is above ceil(shards / hubs)', () => {
    for (const shards of [1, 2, 7, 8, 64]) {
      for (const n of [1, 2, 3, 5]) {
        const hubs = Array.from({ length: n }, (_, i) => `hub-${i}`);
        const shares = hubs.map((h) => fairShare(h, hubs, shards));
        expect(shares.reduce((a, b) => a + b, 0)).toBe(shards);
        expect(Math.max(...shares)).toBeLessThanOrEqual(Math.ceil(shards / n));
        expect(Math.min(...shares)).toBe(Math.floor(shards / n));
      }
    }
  });

  it('counts this hub before its own heartbeat shows', () => {
    expect(fairShare('hub-b', ['hub-a'], 8)).toBe(4);
  });
});

describe('planBalance', () => {
  it('a lone hub takes every free shard', () => {
    expect(planBalance(view({}))).toEqual({ release: [], acquire: [0, 1, 2, 3, 4, 5, 6, 7] });
  });

  it('takes only free shards — never leased, released or expired — up to its share', () => {
    const leases = [live(0, 'hub-b'), live(1, 'hub-b'), { ...live(2, 'hub-b'), live: false }];
    expect(planBalance(view({ liveHubs: ['hub-a', 'hub-b'], leases }))).toEqual({ release: [], acquire: [2, 3, 4, 5] });
  });

  it('hubs start their search at their rank, so that two hubs rarely race for one shard', () => {
    expect(planBalance(view({ self: 'hub-b', liveHubs: ['hub-a', 'hub-b'] })).acquire).toEqual([4, 5, 6, 7]);
  });

  it('gives up what is above its share when a hub joins, highest shards first, and takes nothing', () => {
    const held = new Set([0, 1, 2, 3]);
    const leases = [...held].map((s) => live(s, 'hub-a'));
    expect(planBalance(view({ liveHubs: ['hub-a', 'hub-b', 'hub-c'], shards: 8, leases, held }))).toEqual({ release: [3], acquire: [] });
  });

  it('holding its share: nothing to do', () => {
    const held = new Set([4, 5, 6, 7]);
    const leases = [...[0, 1, 2, 3].map((s) => live(s, 'hub-a')), ...[...held].map((s) => live(s, 'hub-b'))];
    expect(planBalance(view({ self: 'hub-b', liveHubs: ['hub-a', 'hub-b'], leases, held }))).toEqual({ release: [], acquire: [] });
  });
});

describe('actingDeadline', () => {
  it('is the expiry after the statement was sent, less the margin for drift', () => {
    expect(actingDeadline(10_000, { expireMs: 5_000, driftMarginMs: 1_000 })).toBe(14_000);
  });
});

describe('LeaseConfigSchema', () => {
  it('defaults: renew every second, expire after five, stop acting one second before', () => {
    expect(LeaseConfigSchema.parse({})).toEqual({ renewMs: 500, expireMs: 3000, driftMarginMs: 500 });
  });

  it('refuses an expiry that leaves no room for two renewals before the hub stops acting', () => {
    const r = LeaseConfigSchema.safeParse({ renewMs: 1000, expireMs: 2500, driftMarginMs: 1000 });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['expireMs', 'expireMs (2500) minus driftMarginMs (1000) must leave room for two renewals (2 × renewMs = 2000)']]);
  });

  it('refuses a drift margin below 1 % of the expiry, and unknown keys', () => {
    expect(LeaseConfigSchema.safeParse({ expireMs: 200_000, driftMarginMs: 1000 }).error!.issues[0]!.path).toEqual(['driftMarginMs']);
    expect(LeaseConfigSchema.safeParse({ renewMS: 1000 }).success).toBe(false);
  });
});
