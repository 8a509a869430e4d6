import { describe, expect, it } from 'vitest';
import { storesOf, type StoreMaker } from './store-maker.ts';

/** ControlStateRepository: one document per stream, replaced whole, listed for restart recovery, removed with its stream. */
export function describeControlStateRepository(engine: string, maker: StoreMaker): void {
  describe(`${engine}: ControlStateRepository`, () => {
    const stores = storesOf(maker);

    it('saves a document per stream, replaces it, lists every stream and removes one', async () => {
      const store = await stores.open();
      expect(await store.control.all()).toEqual([]);
      const pinned = { active: 'backup', served: 'backup', pin: { value: 'backup', until: 9000, reason: 'encoder swap', by: 'alice', at: 100 }, switches: [50, 80] };
      await store.control.save('s2', { active: 'primary', served: 'primary', switches: [] }, 10);
      await store.control.save('s1', { active: 'primary', served: 'primary', switches: [] }, 20);
      await store.control.save('s1', pinned, 100);
      expect(await store.control.all()).toEqual([
        { stream: 's1', data: pinned, updatedAt: 100 },
        { stream: 's2', data: { active: 'primary', served: 'primary', switches: [] }, updatedAt: 10 },
      ]);
      await store.control.remove('s2');
      await store.control.remove('never-there');
      expect((await store.control.all()).map((r) => r.stream)).toEqual(['s1']);
    });

    it('keeps the documents across a reopen', async () => {
      const first = await stores.open();
      const held = { active: 'backup', served: 'backup', hold: { since: 500, reason: '4 switches in the last hour' }, switches: [100, 200, 300, 400] };
      await first.control.save('s1', held, 500);
      const store = await stores.reopen(first);
      expect(await store.control.all()).toEqual([{ stream: 's1', data: held, updatedAt: 500 }]);
    });
  });
}
