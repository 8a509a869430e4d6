import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LeaseConfigSchema } from '../../src/cluster/config-schema.ts';
import { LeaseManager } from '../../src/cluster/lease-manager.ts';
import { PostgresClusterSession } from '../../src/store/postgres/cluster-session.ts';
import { postgresMissing, usePostgres } from '../helpers/postgres.ts';
import { until } from '../helpers/until.ts';

/**
 * A hub whose whole process is paused (SIGSTOP: a long GC pause, a frozen VM) while another hub,
 * in this process, shares the shards with it on one real PostgreSQL.
 */
const HUB_PROCESS = fileURLToPath(new URL('./fixtures/lease-hub.ts', import.meta.url));
const SHARDS = 8;
const config = LeaseConfigSchema.parse({ renewMs: 200, expireMs: 1500, driftMarginMs: 300 });
const server = usePostgres();

type HubLine = { own?: number; epoch?: number; release?: number; write?: Record<string, unknown>; acting?: number[] };

describe.skipIf(postgresMissing)('a paused hub process', () => {
  it('loses its shards to the other hub within expiry + one renewal; resumed, it acts on none, and its late write is fenced', async () => {
    const url = await server().createDatabase();
    const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['--import', 'tsx', HUB_PROCESS, url, 'hub-a', JSON.stringify(config), String(SHARDS)], { stdio: 'pipe' });
    const lines: HubLine[] = [];
    createInterface({ input: child.stdout }).on('line', (l) => lines.push(JSON.parse(l) as HubLine));
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const cluster = await PostgresClusterSession.open(url, { expireMs: config.expireMs });
    const b = new LeaseManager({ hub: 'hub-b', config, shards: SHARDS, leases: cluster.leases, heartbeats: cluster.heartbeats, listener: { own: () => undefined, release: () => undefined } });
    try {
      const childOwns = () => {
        const owned = new Set<number>();
        for (const l of lines) {
          if (l.own !== undefined) owned.add(l.own);
          if (l.release !== undefined) owned.delete(l.release);
        }
        return owned;
      };
      await until(`hub-a's process to own every shard (stderr: ${stderr})`, () => childOwns().size === SHARDS, 30_000);
      b.start();
      await until('hub-a and hub-b to share the shards 4/4', () => childOwns().size === 4 && b.shards().length === 4, 10_000);
      const first = lines.find((l) => l.own !== undefined)!;

      const heldWhenPaused = [...childOwns()];
      const pausedAtLine = lines.length;
      const stoppedAt = performance.now();
      child.kill('SIGSTOP');
      await until('hub-b to hold every shard', () => b.shards().length === SHARDS, 10_000, 10);
      expect(performance.now() - stoppedAt).toBeLessThan(config.expireMs + config.renewMs + 500); // + the round's own statements under load

      child.kill('SIGCONT');
      child.stdin.write('write\n');
      const answer = await until('the late write to be answered', () => lines.find((l) => l.write !== undefined), 10_000);
      expect(answer.acting).toEqual([]);
      expect(answer.write).toEqual({ fenced: { owner: 'hub-b', epoch: first.epoch! + 1 }, fence: { shard: first.own, epoch: first.epoch, owner: 'hub-a' } });
      // Resumed, it tells its listener that it lost what it held (it had stopped acting while paused).
      const releasedAfterPause = () => new Set(lines.slice(pausedAtLine).flatMap((l) => (l.release === undefined ? [] : [l.release])));
      await until('hub-a to release what it held', () => heldWhenPaused.every((s) => releasedAfterPause().has(s)), 5_000);
    } finally {
      await b.stop();
      await cluster.close();
      child.kill('SIGCONT');
      child.stdin.end();
      await until('the hub process to exit', () => child.exitCode !== null || child.signalCode !== null, 10_000).catch(() => child.kill('SIGKILL'));
    }
  }, 60_000);
});
