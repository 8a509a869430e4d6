import { describe, expect, it } from 'vitest';
import type { NewOutboxRow } from '../../../src/store/ports.ts';
import { storesOf, type StoreMaker } from './store-maker.ts';

function row(key: string, createdAt: number, over: Partial<NewOutboxRow> = {}): NewOutboxRow {
  const [incidentId, vendor, action] = key.split('/') as [string, string, string];
  return { key, incidentId, vendor, action, payload: { key }, createdAt, ...over };
}

/** TicketOutbox: one row per idempotency key, due in order per (incident, vendor), delivery outcomes, vendor references. */
export function describeTicketOutbox(engine: string, maker: StoreMaker): void {
  describe(`${engine}: TicketOutbox`, () => {
    const stores = storesOf(maker);

    it('enqueues once per idempotency key: the second enqueue is a no-op and keeps the first payload', async () => {
      const store = await stores.open();
      expect(await store.outbox.enqueue(row('i1/pd/open', 10, { payload: { a: 1 } }))).toBe(true);
      expect(await store.outbox.enqueue(row('i1/pd/open', 20, { payload: { a: 2 } }))).toBe(false);
      expect(await store.outbox.forIncident('i1')).toHaveLength(1);
      expect(await store.outbox.get('i1/pd/open')).toMatchObject({ key: 'i1/pd/open', incidentId: 'i1', vendor: 'pd', action: 'open', payload: { a: 1 }, status: 'pending', attempts: 0, createdAt: 10, nextAt: 10 });
      expect(await store.outbox.get('nope')).toBeUndefined();
    });

    it('keeps (incident, vendor) order: a row is due only once the earlier rows of its pair are settled', async () => {
      const store = await stores.open();
      await store.outbox.enqueue(row('i1/desk/open', 0));
      await store.outbox.enqueue(row('i1/desk/update', 1));
      await store.outbox.enqueue(row('i1/pd/open', 1));
      await store.outbox.enqueue(row('i2/desk/open', 2, { nextAt: 50 }));
      const due = async (now: number, limit = 100) => (await store.outbox.due(now, limit)).map((r) => r.key);
      expect(await due(5)).toEqual(['i1/desk/open', 'i1/pd/open']);
      expect(await due(5, 1)).toEqual(['i1/desk/open']);
      const [first] = await store.outbox.due(5, 1);
      expect((await store.outbox.due(5, 100, first!.id)).map((r) => r.key)).toEqual(['i1/pd/open']); // the next page
      const open = (await store.outbox.get('i1/desk/open'))!;
      await store.outbox.markRetry(open.id, 100, 'ECONNREFUSED');
      expect(await due(60)).toEqual(['i1/pd/open', 'i2/desk/open']); // the update waits behind its open
      expect(await due(100)).toEqual(['i1/desk/open', 'i1/pd/open', 'i2/desk/open']);
      await store.outbox.markDelivered(open, 101, 'T-1');
      expect(await due(101)).toEqual(['i1/desk/update', 'i1/pd/open', 'i2/desk/open']);
      expect(await store.outbox.get('i1/desk/open')).toMatchObject({ status: 'delivered', attempts: 2, deliveredAt: 101, ref: 'T-1' });
      expect((await store.outbox.get('i1/desk/open'))!.lastError).toBeUndefined();
      expect(await store.outbox.ref('i1', 'desk')).toBe('T-1');
      expect(await store.outbox.ref('i1', 'pd')).toBeUndefined();
    });

    it('marks a row failed (it is then settled: no longer due, its successors are), and counts pending rows', async () => {
      const store = await stores.open();
      await store.outbox.enqueue(row('i1/pd/open', 0));
      await store.outbox.enqueue(row('i1/pd/resolve', 1));
      expect(await store.outbox.pendingByIncident()).toEqual(new Map([['i1', 2]]));
      const open = (await store.outbox.get('i1/pd/open'))!;
      await store.outbox.markFailed(open.id, 'x'.repeat(2000));
      const failed = (await store.outbox.get('i1/pd/open'))!;
      expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
      expect(failed.lastError!.length).toBeLessThan(2000);
      expect((await store.outbox.due(10, 100)).map((r) => r.key)).toEqual(['i1/pd/resolve']);
      expect(await store.outbox.pendingByIncident()).toEqual(new Map([['i1', 1]]));
      // A settled row stays as it is.
      await store.outbox.markDelivered(open, 20, 'late');
      expect(await store.outbox.get('i1/pd/open')).toMatchObject({ status: 'failed', attempts: 1 });
    });

    it('amends a pending row only while it is not due: its payload and when it is due', async () => {
      const store = await stores.open();
      await store.outbox.enqueue(row('i1/desk/update@1', 10, { nextAt: 40, payload: { changes: ['a'] } }));
      expect(await store.outbox.amend('i1/desk/update@1', { payload: { changes: ['a', 'b'] } }, 20)).toBe(true);
      expect(await store.outbox.get('i1/desk/update@1')).toMatchObject({ payload: { changes: ['a', 'b'] }, nextAt: 40, status: 'pending' });
      expect(await store.outbox.amend('i1/desk/update@1', { nextAt: 25 }, 25)).toBe(true); // released: due now
      expect(await store.outbox.get('i1/desk/update@1')).toMatchObject({ payload: { changes: ['a', 'b'] }, nextAt: 25 });
      // Due (it may be on its way), settled or unknown: nothing changes.
      expect(await store.outbox.amend('i1/desk/update@1', { payload: { changes: ['late'] } }, 25)).toBe(false);
      await store.outbox.enqueue(row('i1/desk/update@2', 10, { nextAt: 90 }));
      const second = (await store.outbox.get('i1/desk/update@2'))!;
      await store.outbox.markFailed(second.id, 'refused');
      expect(await store.outbox.amend('i1/desk/update@2', { nextAt: 30 }, 20)).toBe(false);
      expect(await store.outbox.amend('nope', { nextAt: 30 }, 20)).toBe(false);
      expect(await store.outbox.get('i1/desk/update@1')).toMatchObject({ payload: { changes: ['a', 'b'] } });
    });

    it('merges a pending row only while it is not due: settled as merged, it holds no later row back', async () => {
      const store = await stores.open();
      await store.outbox.enqueue(row('i1/desk/update@1', 10, { nextAt: 40 }));
      await store.outbox.enqueue(row('i1/desk/resolve:0', 20));
      expect((await store.outbox.due(25, 100)).map((r) => r.key)).toEqual([]); // behind the held update
      expect(await store.outbox.merge('i1/desk/update@1', 25)).toBe(true);
      expect(await store.outbox.get('i1/desk/update@1')).toMatchObject({ status: 'merged', attempts: 0 });
      expect((await store.outbox.due(25, 100)).map((r) => r.key)).toEqual(['i1/desk/resolve:0']);
      expect(await store.outbox.pendingByIncident()).toEqual(new Map([['i1', 1]]));
      // Settled, due (it may be on its way) or unknown: nothing changes.
      expect(await store.outbox.merge('i1/desk/update@1', 25)).toBe(false);
      await store.outbox.enqueue(row('i2/desk/update@1', 10, { nextAt: 30 }));
      expect(await store.outbox.merge('i2/desk/update@1', 30)).toBe(false);
      expect(await store.outbox.get('i2/desk/update@1')).toMatchObject({ status: 'pending' });
      expect(await store.outbox.merge('nope', 0)).toBe(false);
    });

    it('lists rows per incident (oldest first), recent rows (newest first), and the incidents with rows since a time', async () => {
      const store = await stores.open();
      await store.outbox.enqueue(row('i1/pd/open', 100));
      await store.outbox.enqueue(row('i2/pd/open', 200));
      await store.outbox.enqueue(row('i1/pd/update', 300));
      expect((await store.outbox.forIncident('i1')).map((r) => r.key)).toEqual(['i1/pd/open', 'i1/pd/update']);
      expect((await store.outbox.recent(2)).map((r) => r.key)).toEqual(['i1/pd/update', 'i2/pd/open']);
      expect((await store.outbox.incidentIds(150)).sort()).toEqual(['i1', 'i2']);
      expect(await store.outbox.incidentIds(301)).toEqual([]);
    });

    it("remembers the ticket's reference: the first one a delivery gave; later rows and a settled row do not change it", async () => {
      const store = await stores.open();
      const deliver = async (key: string, ref: string) => {
        await store.outbox.enqueue(row(key, 0));
        await store.outbox.markDelivered((await store.outbox.get(key))!, 1, ref);
      };
      await deliver('i1/hook/open', 'T-1');
      expect(await store.outbox.ref('i1', 'hook')).toBe('T-1');
      await deliver('i1/hook/reopen:1', 'T-2');
      expect(await store.outbox.ref('i1', 'hook')).toBe('T-1');
      await deliver('i1/hook/open', 'T-late'); // a settled row changes nothing
      expect(await store.outbox.ref('i1', 'hook')).toBe('T-1');
      expect((await store.outbox.get('i1/hook/open'))!.ref).toBe('T-1');
    });

    it('keeps rows and vendor references across a reopen', async () => {
      const first = await stores.open();
      await first.outbox.enqueue(row('i1/pd/open', 0));
      await first.outbox.enqueue(row('i1/desk/open', 0));
      await first.outbox.markDelivered((await first.outbox.get('i1/desk/open'))!, 5, 'D-7');
      const store = await stores.reopen(first);
      expect(await store.outbox.pendingByIncident()).toEqual(new Map([['i1', 1]]));
      expect(await store.outbox.enqueue(row('i1/pd/open', 9))).toBe(false);
      expect(await store.outbox.ref('i1', 'desk')).toBe('D-7');
    });
  });
}
