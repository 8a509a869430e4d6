import { afterAll, describe, expect, it } from 'vitest';
import { PostgresClusterSession } from '../../src/store/postgres/cluster-session.ts';
import { postgresMissing, usePostgres } from '../helpers/postgres.ts';
import { until } from '../helpers/until.ts';

/** The ShardLeases and HubHeartbeats contract on a real PostgreSQL: expiry by the database's clock, epochs that only grow. */
const EXPIRE_MS = 400;
const server = usePostgres();
const sessions: PostgresClusterSession[] = [];

afterAll(async () => {
  for (const s of sessions) await s.close();
});

/** Two hubs' sessions on one fresh database. */
async function twoHubs(): Promise<[PostgresClusterSession, PostgresClusterSession]> {
  const url = await server().createDatabase();
  const a = await PostgresClusterSession.open(url, { expireMs: EXPIRE_MS });
  const b = await PostgresClusterSession.open(url, { expireMs: EXPIRE_MS });
  sessions.push(a, b);
  return [a, b];
}

describe.skipIf(postgresMissing)('ShardLeases on PostgreSQL', () => {
  it('a free shard is taken at epoch 1; a held one is refused to another hub', async () => {
    const [a, b] = await twoHubs();
    expect(await a.leases.acquire(3, 'hub-a')).toEqual({ shard: 3, owner: 'hub-a', epoch: 1 });
    expect(await b.leases.acquire(3, 'hub-b')).toBeUndefined();
    expect(await a.leases.owners()).toEqual([{ shard: 3, owner: 'hub-a', epoch: 1, live: true }]);
  });

  it('of hubs racing for one free shard exactly one gets it', async () => {
    const [a, b] = await twoHubs();
    const got = await Promise.all([a.leases.acquire(0, 'hub-a'), b.leases.acquire(0, 'hub-b'), a.leases.acquire(1, 'hub-a'), b.leases.acquire(1, 'hub-b')]);
    expect(got.filter((l) => l?.shard === 0)).toHaveLength(1);
    expect(got.filter((l) => l?.shard === 1)).toHaveLength(1);
  });

  it('an expired lease changes hands with the epoch one more; the old owner can no longer renew', async () => {
    const [a, b] = await twoHubs();
    const old = (await a.leases.acquire(5, 'hub-a'))!;
    const taken = await until('the lease to expire and hub-b to take it', () => b.leases.acquire(5, 'hub-b'), 5_000, 20);
    expect(taken).toEqual({ shard: 5, owner: 'hub-b', epoch: 2 });
    expect(await a.leases.renew([old])).toEqual([]);
    expect(await b.leases.renew([taken])).toEqual([5]);
  });

  it('renewing keeps a lease past its first expiry', async () => {
    const [a, b] = await twoHubs();
    const lease = (await a.leases.acquire(1, 'hub-a'))!;
    const end = Date.now() + 3 * EXPIRE_MS;
    while (Date.now() < end) {
      expect(await a.leases.renew([lease])).toEqual([1]);
      expect(await b.leases.acquire(1, 'hub-b')).toBeUndefined();
      await new Promise((r) => setTimeout(r, EXPIRE_MS / 4));
    }
  });

  it('a released lease is free at once, and its epoch still grows', async () => {
    const [a, b] = await twoHubs();
    const lease = (await a.leases.acquire(2, 'hub-a'))!;
    await b.leases.release({ ...lease, owner: 'hub-b' }); // not its owner: no effect
    expect(await b.leases.acquire(2, 'hub-b')).toBeUndefined();
    await a.leases.release(lease);
    expect(await b.leases.acquire(2, 'hub-b')).toEqual({ shard: 2, owner: 'hub-b', epoch: 2 });
    expect(await a.leases.owners()).toEqual([{ shard: 2, owner: 'hub-b', epoch: 2, live: true }]);
  });

  it('renews several leases in one call and answers only those still held', async () => {
    const [a, b] = await twoHubs();
    const l0 = (await a.leases.acquire(0, 'hub-a'))!;
    const l1 = (await a.leases.acquire(1, 'hub-a'))!;
    await a.leases.release(l1);
    await b.leases.acquire(1, 'hub-b');
    expect(await a.leases.renew([l0, l1])).toEqual([0]);
  });
});

describe.skipIf(postgresMissing)('HubHeartbeats on PostgreSQL', () => {
  it('a beating hub is live, a silent one expires, one that leaves is gone at once', async () => {
    const [a, b] = await twoHubs();
    await a.heartbeats.beat('hub-a');
    await b.heartbeats.beat('hub-b');
    expect(await a.heartbeats.live()).toEqual(['hub-a', 'hub-b']);
    await b.heartbeats.leave('hub-b');
    expect(await a.heartbeats.live()).toEqual(['hub-a']);
    await until('hub-a to expire', async () => (await b.heartbeats.live()).length === 0, 5_000, 20);
  });
});
