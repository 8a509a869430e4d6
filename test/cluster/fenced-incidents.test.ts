import { describe, expect, it } from 'vitest';
import type { Ownership } from '../../src/cluster/ownership.ts';
import { EventBus } from '../../src/common/event-bus.ts';
import type { Logger } from '../../src/common/log.ts';
import { IncidentManager } from '../../src/incidents/manager.ts';
import type { IncidentEvent } from '../../src/model/incident.ts';
import { shardOf } from '../../src/model/shard.ts';
import type { Fence } from '../../src/store/fence.ts';
import { PostgresClusterSession } from '../../src/store/postgres/cluster-session.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { postgresMissing, usePostgres } from '../helpers/postgres.ts';

/**
 * The incident manager of a hub of a cluster on a real PostgreSQL: it acts only on the streams it
 * acts on, writes under their lease's fence, and a write refused as stale (another hub took the
 * shard) drops the incident here and says so at warn.
 */
const SHARDS = 4;
const server = usePostgres();

function event(type: IncidentEvent['type'], at: number, stream = 's1'): IncidentEvent {
  const onset = at - 1000;
  return { type, key: `${stream}/primary/down`, kind: 'down', severity: 'P1', scope: 'line', stream, line: 'primary', onset, at, openedAt: at, regions: [{ region: 'eu', probe: 'p-eu', level: 'down', onset, seenAt: at, reasons: [] }] };
}

/** Acts on every stream under `fence` while it is set; on none otherwise. */
function fencedOwnership(fence: () => Fence | undefined): Ownership {
  return { actingOn: () => (fence() ? { fence: fence() } : undefined), owns: () => fence() !== undefined, subscribe: () => undefined };
}

describe.skipIf(postgresMissing !== undefined)('incidents of a hub of a cluster', () => {
  it('writes under the fence; a stale fence is refused, logged at warn, and the incident dropped here; nothing is decided without acting', async () => {
    const url = await server().createDatabase();
    const store = await PostgresStore.open(url);
    const cluster = await PostgresClusterSession.open(url, { expireMs: 60_000 });
    try {
      const shard = shardOf('s1', SHARDS);
      const lease = (await cluster.leases.acquire(shard, 'hub-a'))!;
      let fence: Fence | undefined = { shard, epoch: lease.epoch, owner: 'hub-a' };
      const warnings: string[] = [];
      const logger = { warn: (_o: unknown, msg: string) => warnings.push(msg), error: () => undefined, debug: () => undefined, info: () => undefined } as unknown as Logger;
      const manager = new IncidentManager({ repository: store.incidents, bus: new EventBus(), reopenWindowMs: 120_000, ownership: fencedOwnership(() => fence), logger });

      const opened = manager.onDetectorEvent(event('open', 10_000), 10_000)!.incident;
      await manager.settled();
      expect((await store.incidents.get(opened.id))?.status).toBe('open');

      // Another hub takes the shard: this hub's next write is stale.
      await cluster.leases.release(lease);
      const taken = (await cluster.leases.acquire(shard, 'hub-b'))!;
      expect(taken.epoch).toBe(lease.epoch + 1);
      expect(manager.onDetectorEvent(event('clear', 12_000), 12_000)?.incident.status).toBe('resolved');
      await manager.settled();
      expect(warnings).toEqual([`incident change not written: shard ${shard}: the lease of hub-a at epoch ${lease.epoch} is stale (hub-b holds epoch ${taken.epoch}); the write was refused; another hub owns it now, dropped here`]);
      expect(manager.byDedupKey('s1/primary/down')).toBeUndefined();
      expect((await store.incidents.get(opened.id))?.status).toBe('open');
      expect((await store.incidents.timeline(opened.id)).map((e) => e.type)).not.toContain('resolved');

      // Not acting (the lease past its deadline): no event applied, no action taken.
      fence = { shard, epoch: taken.epoch, owner: 'hub-a' };
      const held = manager.onDetectorEvent(event('open', 13_000, 's2'), 13_000)!.incident;
      fence = undefined;
      expect(manager.onDetectorEvent(event('update', 14_000, 's2'), 14_000)).toBeUndefined();
      const r = manager.act(held.id, { type: 'acknowledge', by: 'ops' }, 14_000);
      expect(r.rejected).toBe('this hub does not act on s2 now (another hub owns it)');
      await manager.settled();
    } finally {
      await cluster.close();
      await store.close();
    }
  }, 60_000);
});
