import { afterAll, describe, expect, it } from 'vitest';
import { ClusterDirectory, clusterDirectory } from '../../src/cluster/directory.ts';
import { shardOf } from '../../src/model/shard.ts';
import { PostgresClusterSession } from '../../src/store/postgres/cluster-session.ts';
import { postgresMissing, usePostgres } from '../helpers/postgres.ts';

/** The owner of a stream from real leases and advertised URLs on PostgreSQL, read at most once per maxAgeMs. */
const SHARDS = 16;
const server = usePostgres();
const sessions: PostgresClusterSession[] = [];

afterAll(async () => {
  for (const s of sessions) await s.close();
});

async function session(): Promise<PostgresClusterSession> {
  const s = await PostgresClusterSession.open(await server().createDatabase(), { expireMs: 60_000 });
  sessions.push(s);
  return s;
}

describe.skipIf(postgresMissing)('ClusterDirectory on PostgreSQL', () => {
  it("answers the live lease holder of the stream's shard and its latest advertised URL", async () => {
    const s = await session();
    const a = clusterDirectory('hub-a', s, SHARDS);
    const b = clusterDirectory('hub-b', s, SHARDS);
    await a.advertise('http://10.0.0.1:8080');
    await b.advertise('http://10.0.0.2:8080');
    await s.leases.acquire(shardOf('s1', SHARDS), 'hub-a');
    expect(await b.ownerOf('s1')).toEqual({ hub: 'hub-a', shard: shardOf('s1', SHARDS), url: 'http://10.0.0.1:8080' });
    expect(await b.ownerOf('s-nobody')).toBeUndefined();
    // A restarted hub listening elsewhere replaces its URL; its own directory reads afresh at once.
    await a.advertise('http://10.0.0.9:9090');
    expect((await a.ownerOf('s1'))?.url).toBe('http://10.0.0.9:9090');
  });

  it('a lease holder that never advertised has no URL', async () => {
    const s = await session();
    await s.leases.acquire(shardOf('s1', SHARDS), 'hub-quiet');
    expect(await clusterDirectory('hub-b', s, SHARDS).ownerOf('s1')).toEqual({ hub: 'hub-quiet', shard: shardOf('s1', SHARDS), url: undefined });
  });

  it('reads the leases at most once per maxAgeMs: a released lease shows once the answer is that old', async () => {
    const s = await session();
    let now = 1_000_000;
    let reads = 0;
    const leases = { owners: () => (reads++, s.leases.owners()) };
    const dir = new ClusterDirectory({ self: 'hub-b', directory: s.directory, leases, shardCount: SHARDS, maxAgeMs: 1000, clock: () => now });
    const lease = (await s.leases.acquire(shardOf('s1', SHARDS), 'hub-a'))!;
    const [first, second] = await Promise.all([dir.ownerOf('s1'), dir.ownerOf('s2')]);
    expect(first?.hub).toBe('hub-a');
    expect(second).toBeUndefined();
    expect(reads).toBe(1);
    await s.leases.release(lease);
    now += 999;
    expect((await dir.ownerOf('s1'))?.hub).toBe('hub-a');
    expect(reads).toBe(1);
    now += 1;
    expect(await dir.ownerOf('s1')).toBeUndefined();
    expect(reads).toBe(2);
  });
});
