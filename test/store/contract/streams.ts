import { describe, expect, it } from 'vitest';
import type { StreamRegistryEntry } from '../../../src/store/ports.ts';
import { storesOf, type StoreMaker } from './store-maker.ts';

/** StreamRegistry: one entry per stream id, definitions checked by the config's stream schema both ways. */
export function describeStreamRegistry(engine: string, maker: StoreMaker): void {
  describe(`${engine}: StreamRegistry`, () => {
    const stores = storesOf(maker);
    const room: StreamRegistryEntry = {
      id: 'room-7',
      stream: { id: 'room-7', kind: 'call', lines: { primary: { url: 'rtmp://127.0.0.1/live/room-7' }, backup: { url: 'http://127.0.0.1/live/room-7.flv', decode: true } } },
      by: 'alice',
      at: 1000,
      reason: 'new room',
    };

    it('answers every entry by id as written, replaces by id and forgets', async () => {
      const store = await stores.open();
      const retired: StreamRegistryEntry = { id: 'a-file-stream', stream: null, by: 'bob', at: 1500, reason: 'show ended' };
      const discovered: StreamRegistryEntry = { ...room, id: 'lab-x', stream: { ...room.stream!, id: 'lab-x' }, by: 'discovery:lab', source: 'lab' };
      await store.streams.put(room);
      await store.streams.put(retired);
      await store.streams.put(discovered);
      expect(await store.streams.all()).toEqual([retired, discovered, room]);
      const changed = { ...room, stream: { ...room.stream!, lines: { primary: room.stream!.lines['primary']! } }, by: 'carol', at: 2000, reason: 'backup CDN gone' };
      await store.streams.put(changed);
      expect(await store.streams.all()).toEqual([retired, discovered, changed]);
      await store.streams.forget('lab-x');
      await store.streams.forget('never-there');
      expect((await store.streams.all()).map((e) => e.id)).toEqual(['a-file-stream', 'room-7']);
    });

    it('refuses a definition the config would refuse, naming the stream and the field', async () => {
      const store = await stores.open();
      const bad = { ...room, stream: { ...room.stream!, lines: { primary: { url: 'ftp://127.0.0.1/x' } } } };
      await expect(store.streams.put(bad)).rejects.toThrow(/stream "room-7".*lines\.primary\.url: unsupported scheme "ftp"/);
      await expect(store.streams.put({ ...room, id: 'other' })).rejects.toThrow(/"other" holds the definition of "room-7"/);
      expect(await store.streams.all()).toEqual([]);
    });

    it('keeps the entries across a reopen', async () => {
      const first = await stores.open();
      await first.streams.put(room);
      const store = await stores.reopen(first);
      expect(await store.streams.all()).toEqual([room]);
    });
  });
}
