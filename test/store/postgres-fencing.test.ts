import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { FencedError, type Fence } from '../../src/store/fence.ts';
import { PostgresClusterSession } from '../../src/store/postgres/cluster-session.ts';
import type { Store } from '../../src/store/ports.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { postgresMissing, usePostgres } from '../helpers/postgres.ts';
import { until } from '../helpers/until.ts';

/**
 * Fencing on PostgreSQL: the writes that make side effects (an audit entry, a ticket in the
 * outbox, the controller's state) go through with the shard's current lease and are refused,
 * writing nothing, with a stale or foreign one.
 */
const server = usePostgres();
const closers: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const close of closers) await close();
});

/** A store and the leases on one fresh database; shard 7 leased to hub-a and then taken over by hub-b. */
async function takenOver(): Promise<{ store: PostgresStore; stale: Fence; current: Fence; url: string }> {
  const url = await server().createDatabase();
  const store = await PostgresStore.open(url);
  const cluster = await PostgresClusterSession.open(url, { expireMs: 60_000 });
  closers.push(() => store.close(), () => cluster.close());
  const first = (await cluster.leases.acquire(7, 'hub-a'))!;
  await cluster.leases.release(first);
  const second = (await cluster.leases.acquire(7, 'hub-b'))!;
  return { store, stale: first, current: second, url };
}

const entry = { t: 1, actor: 'policy', action: 'switch', target: 'stream/a', reason: 'stall on main' };
const ticket = { key: 'inc-1/slack/open', incidentId: 'inc-1', vendor: 'slack', action: 'open', payload: { title: 't' }, createdAt: 1 };

async function refused(write: Promise<unknown>, fence: Fence): Promise<FencedError> {
  const err = await write.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FencedError);
  expect((err as FencedError).fence).toEqual(fence);
  return err as FencedError;
}

describe.skipIf(postgresMissing)('fenced writes on PostgreSQL', () => {
  it('with the current lease: written', async () => {
    const { store, current } = await takenOver();
    await store.audit.append(entry, current);
    expect(await store.outbox.enqueue(ticket, current)).toBe(true);
    await store.control.save('stream/a', { line: 'backup' }, 2, current);
    expect(await store.audit.recent(5)).toEqual([entry]);
    expect((await store.control.all()).map((s) => s.data)).toEqual([{ line: 'backup' }]);
  });

  it('with a stale epoch: refused naming who holds the shard now, nothing written', async () => {
    const { store, stale } = await takenOver();
    const err = await refused(store.audit.append(entry, stale), stale);
    expect(err.holder).toEqual({ owner: 'hub-b', epoch: 2 });
    expect(err.message).toBe('shard 7: the lease of hub-a at epoch 1 is stale (hub-b holds epoch 2); the write was refused');
    await refused(store.outbox.enqueue(ticket, stale), stale);
    await refused(store.control.save('stream/a', { line: 'backup' }, 2, stale), stale);
    expect(await store.audit.recent(5)).toEqual([]);
    expect(await store.outbox.get(ticket.key)).toBeUndefined();
    expect(await store.control.all()).toEqual([]);
  });

  it('the marks of a delivery, an amend and an SLA clock: written with the current lease, refused with a stale one', async () => {
    const { store, stale, current } = await takenOver();
    await store.outbox.enqueue({ ...ticket, nextAt: 100 }, current);
    await store.outbox.enqueue({ ...ticket, key: 'inc-1/slack/update', action: 'update' }, current);
    const [open, update] = await store.outbox.forIncident('inc-1');
    await refused(store.outbox.amend(open!.key, { nextAt: 50 }, 10, stale), stale);
    await refused(store.outbox.markRetry(open!.id, 60, 'timeout', stale), stale);
    await refused(store.outbox.markFailed(open!.id, 'gone', stale), stale);
    await refused(store.outbox.markDelivered(open!, 20, 'T-1', stale), stale);
    await refused(store.sla.save('inc-1', { step: 1 }, false, stale), stale);
    expect(await store.outbox.get(open!.key)).toMatchObject({ status: 'pending', attempts: 0, nextAt: 100 });
    expect(await store.outbox.ref('inc-1', 'slack')).toBeUndefined();
    expect(await store.sla.get('inc-1')).toBeUndefined();

    expect(await store.outbox.amend(open!.key, { nextAt: 50 }, 10, current)).toBe(true);
    await store.outbox.markRetry(open!.id, 60, 'timeout', current);
    await store.outbox.markDelivered(open!, 70, 'T-1', current);
    await store.outbox.markFailed(update!.id, 'gone', current);
    await store.sla.save('inc-1', { step: 1 }, false, current);
    expect(await store.outbox.get(open!.key)).toMatchObject({ status: 'delivered', attempts: 2, ref: 'T-1' });
    expect(await store.outbox.get(update!.key)).toMatchObject({ status: 'failed' });
    expect(await store.outbox.ref('inc-1', 'slack')).toBe('T-1');
    expect(await store.sla.get('inc-1')).toEqual({ incidentId: 'inc-1', done: false, data: { step: 1 } });
  });

  it('the current epoch under another owner, or a shard never leased: refused', async () => {
    const { store, current } = await takenOver();
    await refused(store.audit.append(entry, { ...current, owner: 'hub-c' }), { ...current, owner: 'hub-c' });
    const never = { shard: 8, epoch: 1, owner: 'hub-a' };
    expect((await refused(store.audit.append(entry, never), never)).holder).toBeUndefined();
  });

  it('a write whose fence was current when it started waits for a takeover in progress and is refused once it commits', async () => {
    const { store, current, url } = await takenOver();
    const takeover = new pg.Client({ connectionString: url });
    const observer = new pg.Client({ connectionString: url });
    await takeover.connect();
    await observer.connect();
    try {
      await takeover.query('BEGIN');
      await takeover.query("UPDATE shard_leases SET owner = 'hub-c', epoch = epoch + 1 WHERE shard = $1", [current.shard]);
      const write = store.audit.append(entry, current);
      write.catch(() => undefined);
      await until('the fenced write to wait for the lease row', async () => {
        const { rows } = await observer.query("SELECT 1 FROM pg_stat_activity WHERE application_name = 'streamguard' AND wait_event_type = 'Lock'");
        return rows.length === 1;
      });
      await takeover.query('COMMIT');
      expect((await refused(write, current)).holder).toEqual({ owner: 'hub-c', epoch: current.epoch + 1 });
      expect(await store.audit.recent(5)).toEqual([]);
    } finally {
      await takeover.end();
      await observer.end();
    }
  });

  it('without a fence (one hub, no cluster): written as before', async () => {
    const { store } = await takenOver();
    await store.audit.append(entry);
    expect(await store.audit.recent(5)).toEqual([entry]);
  });
});

describe('fenced writes on SQLite', () => {
  it('are accepted, whatever the fence: one hub, no leases', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-fence-'));
    const store: Store = new SqliteStore(join(dir, 'store.db')); // through the port, as the modules see it
    try {
      const stale = { shard: 7, epoch: 1, owner: 'hub-a' };
      await store.audit.append(entry, stale);
      expect(await store.outbox.enqueue(ticket, stale)).toBe(true);
      await store.control.save('stream/a', { line: 'backup' }, 2, stale);
      const row = (await store.outbox.get(ticket.key))!;
      await store.outbox.markDelivered(row, 3, 'T-1', stale);
      await store.sla.save('inc-1', { step: 1 }, false, stale);
      expect(await store.audit.recent(5)).toEqual([entry]);
      expect(await store.outbox.get(ticket.key)).toMatchObject({ status: 'delivered', ref: 'T-1' });
      expect(await store.sla.get('inc-1')).toEqual({ incidentId: 'inc-1', done: false, data: { step: 1 } });
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
