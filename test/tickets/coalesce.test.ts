import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { soleOwnership } from '../../src/cluster/ownership.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { TicketActing } from '../../src/tickets/acting.ts';
import { heldUpdate, planUpdate, type QueuedRow } from '../../src/tickets/coalesce.ts';
import { CoalesceStage } from '../../src/tickets/coalesce-stage.ts';
import { EnqueueStage } from '../../src/tickets/enqueue.ts';
import { Pipeline } from '../../src/tickets/stage.ts';
import { TicketCounters } from '../../src/tickets/counters.ts';
import { lineIncident } from '../helpers/incident.ts';

const EVERY = 30_000;
const T = 1_700_000_000_000;

const open = (deliveredAt: number): QueuedRow => ({ key: 'i/desk/open', action: 'open', status: 'delivered', nextAt: deliveredAt - 5, deliveredAt });
const update = (key: string, nextAt: number, status: QueuedRow['status'] = 'pending', deliveredAt?: number): QueuedRow => ({ key, action: 'update', status, nextAt, ...(deliveredAt !== undefined && { deliveredAt }) });

describe('coalescing updates to a vendor (pure, injected clock)', () => {
  it('the first update after the open waits until the interval since the open has passed; one later than that goes at once', () => {
    expect(planUpdate([open(T)], T + 1000, EVERY, false)).toEqual({ type: 'send', at: T + EVERY });
    expect(planUpdate([open(T)], T + EVERY, EVERY, false)).toEqual({ type: 'send', at: T + EVERY });
    expect(planUpdate([open(T)], T + 45_000, EVERY, false)).toEqual({ type: 'send', at: T + 45_000 });
  });

  it('while one is held, the next merges into it and keeps its time; an urgent one merges and takes it along now', () => {
    const rows = [open(T), update('i/desk/u1', T + EVERY)];
    expect(heldUpdate(rows, T + 2000)?.key).toBe('i/desk/u1');
    expect(planUpdate(rows, T + 2000, EVERY, false)).toEqual({ type: 'merge', into: 'i/desk/u1', at: T + EVERY });
    expect(planUpdate(rows, T + 2000, EVERY, true)).toEqual({ type: 'merge', into: 'i/desk/u1', at: T + 2000 });
  });

  it('ten updates within 2 s: the first is held, the nine others merge into it', () => {
    let rows: QueuedRow[] = [open(T)];
    const plans = [];
    for (let i = 1; i <= 10; i++) {
      const now = T + i * 200;
      const plan = planUpdate(rows, now, EVERY, false);
      plans.push(plan.type);
      if (plan.type === 'send') rows = [...rows, update(`i/desk/u${i}`, plan.at)];
    }
    expect(plans).toEqual(['send', ...Array(9).fill('merge')]);
    expect(rows.map((r) => [r.key, r.nextAt])).toEqual([
      ['i/desk/open', T - 5],
      ['i/desk/u1', T + EVERY],
    ]);
  });

  it('the interval runs from the last update that went (delivered, or due and on its way), not from the open', () => {
    const delivered = [open(T), update('i/desk/u1', T + EVERY, 'delivered', T + EVERY + 300)];
    expect(planUpdate(delivered, T + EVERY + 1000, EVERY, false)).toEqual({ type: 'send', at: T + 2 * EVERY + 300 });
    const onItsWay = [open(T), update('i/desk/u1', T + EVERY)];
    expect(heldUpdate(onItsWay, T + EVERY)).toBeUndefined(); // due: it may be in flight, never amended
    expect(planUpdate(onItsWay, T + EVERY, EVERY, false)).toEqual({ type: 'send', at: T + 2 * EVERY });
  });

  it('a failed row reached nobody, a merged one went inside a resolve: neither holds the next one back', () => {
    for (const status of ['failed', 'merged'] as const) {
      const rows = [open(T), update('i/desk/u1', T + EVERY + 5000, status)];
      expect(planUpdate(rows, T + EVERY + 1, EVERY, false)).toEqual({ type: 'send', at: T + EVERY + 1 });
    }
  });

  it('an urgent update, or an interval of 0, goes at once', () => {
    expect(planUpdate([open(T)], T + 100, EVERY, true)).toEqual({ type: 'send', at: T + 100 });
    expect(planUpdate([open(T)], T + 100, 0, false)).toEqual({ type: 'send', at: T + 100 });
  });

  it('no ticket yet (its open still pending): the update is held after the open is due', () => {
    const pending: QueuedRow = { key: 'i/desk/open', action: 'open', status: 'pending', nextAt: T + 8000 };
    expect(planUpdate([pending], T + 1000, EVERY, false)).toEqual({ type: 'send', at: T + 8000 + EVERY });
  });
});

/** A real SQLite outbox holding a delivered open and an update held until T + 30 s (`held`: its payload), at T + 2 s. */
async function withHeldUpdate(held: Record<string, unknown>, test: (o: { store: SqliteStore; inc: ReturnType<typeof lineIncident>; key: (suffix: string) => string; acting: TicketActing }) => Promise<void>): Promise<void> {
  const store = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'sg-coalesce-')), 'hub.db'));
  try {
    const inc = lineIncident(T);
    const key = (suffix: string) => `${inc.id}/desk/${suffix}`;
    await store.outbox.enqueue({ key: key('open'), incidentId: inc.id, vendor: 'desk', action: 'open', payload: { incident: inc }, createdAt: T });
    await store.outbox.markDelivered((await store.outbox.get(key('open')))!, T);
    await store.outbox.enqueue({ key: key('update@1'), incidentId: inc.id, vendor: 'desk', action: 'update', payload: { incident: inc, ...held }, createdAt: T + 1000, nextAt: T + 30_000 });
    await test({ store, inc, key, acting: new TicketActing(soleOwnership, new TicketCounters()) });
  } finally {
    store.close();
  }
}

describe('the coalesce stage (a real SQLite outbox)', () => {
  it('a relapse finding an update held: merged into it, due now, and the merged row reopens the ticket', async () => {
    await withHeldUpdate({ changes: ['a'] }, async ({ store, inc, key, acting }) => {
      const stage = new CoalesceStage({ outbox: store.outbox, updateEvery: () => 30_000, clock: () => T + 2000, acting });
      const relapsed = { ...inc, reopenCount: 1 };
      const passed = await stage.exec({ incident: relapsed, now: T + 2000 }, [{ vendor: 'desk', action: 'update', suffix: 'reopen:1', payload: { incident: relapsed, relapse: 1 }, urgent: true }]);
      expect(passed).toEqual([]);
      const held = (await store.outbox.get(key('update@1')))!;
      expect(held.nextAt).toBe(T + 2000);
      expect(held.payload).toMatchObject({ relapse: 1, changes: ['a'], coalesced: ['reopen:1'], incident: { reopenCount: 1 } });
    });
  });

  it('a resolve finding an update held takes it in: one message with its changes, the held row settled as merged', async () => {
    await withHeldUpdate({ changes: ['scope: regional → line'], coalesced: ['update@2'] }, async ({ store, inc, key, acting }) => {
      const clock = () => T + 2000;
      const send = new Pipeline([new CoalesceStage({ outbox: store.outbox, updateEvery: () => 30_000, clock, acting }), new EnqueueStage(store.outbox, new TicketCounters(), acting, clock)]);
      const resolved = { ...inc, status: 'resolved' as const, resolvedAt: T + 2000 };
      await send.exec({ incident: resolved, now: T + 2000 }, [{ vendor: 'desk', action: 'resolve', suffix: 'resolve:0', payload: { incident: resolved } }]);

      expect(await store.outbox.get(key('update@1'))).toMatchObject({ status: 'merged', attempts: 0 });
      expect((await store.outbox.due(T + 2000, 10)).map((r) => [r.key, r.payload])).toEqual([[key('resolve:0'), { incident: resolved, changes: ['scope: regional → line'], coalesced: ['update@1', 'update@2'] }]]);
    });
  });
});
