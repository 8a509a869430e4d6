import { describe, expect, it } from 'vitest';
import { storesOf, type StoreMaker } from './store-maker.ts';

/** SilenceRepository: silences stored whole by id, removed, and dropped once expired. */
export function describeSilenceRepository(engine: string, maker: StoreMaker): void {
  describe(`${engine}: SilenceRepository`, () => {
    const stores = storesOf(maker);

    it('answers the silences still active at `now` (as saved), replaces by id and removes', async () => {
      const store = await stores.open();
      const a = { id: 'sil-a', until: 2000, matcher: { stream: 's1' }, by: 'alice', reason: 'encoder swap', at: 100 };
      const b = { id: 'sil-b', until: 5000, matcher: { kind: 'degraded' }, by: 'bob', reason: 'cdn work', at: 200 };
      await store.silences.save(a);
      await store.silences.save(b);
      expect(await store.silences.active(1000)).toEqual(expect.arrayContaining([a, b]));
      const longer = { ...a, until: 9000, reason: 'swap takes longer' };
      await store.silences.save(longer);
      expect(await store.silences.active(1000)).toHaveLength(2);
      await store.silences.remove('sil-b');
      expect(await store.silences.active(1000)).toEqual([longer]);
      await store.silences.remove('never-there');
    });

    it('drops expired silences: a silence is over at its `until`', async () => {
      const store = await stores.open();
      await store.silences.save({ id: 'short', until: 2000 });
      await store.silences.save({ id: 'long', until: 9000 });
      expect(await store.silences.active(2000)).toEqual([{ id: 'long', until: 9000 }]);
      // Expired means gone, even when read with an earlier clock afterwards.
      expect(await store.silences.active(1000)).toEqual([{ id: 'long', until: 9000 }]);
    });

    it('keeps active silences across a reopen', async () => {
      const first = await stores.open();
      await first.silences.save({ id: 'sil-1', until: 5000 });
      const store = await stores.reopen(first);
      expect(await store.silences.active(1000)).toEqual([{ id: 'sil-1', until: 5000 }]);
    });
  });
}
