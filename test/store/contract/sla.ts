import { describe, expect, it } from 'vitest';
import { storesOf, type StoreMaker } from './store-maker.ts';

/** SlaTimers: one state per incident, replaced on save; the unfinished ones listed for restart recovery. */
export function describeSlaTimers(engine: string, maker: StoreMaker): void {
  describe(`${engine}: SlaTimers`, () => {
    const stores = storesOf(maker);

    it('saves, replaces and reads a state per incident; active() lists the unfinished ones', async () => {
      const store = await stores.open();
      expect(await store.sla.get('i1')).toBeUndefined();
      await store.sla.save('i1', { step: 1 }, false);
      await store.sla.save('i2', { step: 0, due: [1, 2] }, false);
      await store.sla.save('i1', { step: 2 }, false);
      expect(await store.sla.get('i1')).toEqual({ incidentId: 'i1', done: false, data: { step: 2 } });
      expect((await store.sla.active()).sort((a, b) => a.incidentId.localeCompare(b.incidentId))).toEqual([
        { incidentId: 'i1', done: false, data: { step: 2 } },
        { incidentId: 'i2', done: false, data: { step: 0, due: [1, 2] } },
      ]);
      await store.sla.save('i1', { step: 3 }, true);
      expect(await store.sla.get('i1')).toEqual({ incidentId: 'i1', done: true, data: { step: 3 } });
      expect((await store.sla.active()).map((r) => r.incidentId)).toEqual(['i2']);
    });

    it('keeps the states across a reopen', async () => {
      const first = await stores.open();
      await first.sla.save('i', { step: 1 }, false);
      const store = await stores.reopen(first);
      expect(await store.sla.active()).toEqual([{ incidentId: 'i', done: false, data: { step: 1 } }]);
    });
  });
}
