import { describe, expect, it } from 'vitest';
import { storesOf, type StoreMaker } from './store-maker.ts';

/** AuditLog: appended entries read back newest first, `data` as written. */
export function describeAuditLog(engine: string, maker: StoreMaker): void {
  describe(`${engine}: AuditLog`, () => {
    const stores = storesOf(maker);

    it('reads entries back newest first, at most `limit`, with their data', async () => {
      const store = await stores.open();
      await store.audit.append({ t: 1, actor: 'alice', action: 'ws.ack', target: 'i1', reason: 'looking' });
      await store.audit.append({ t: 2, actor: 'policy:failover', action: 'control.switch', target: 's1', reason: 'primary down', data: { to: 'backup', nested: { n: [1, 2] } } });
      await store.audit.append({ t: 3, actor: 'bob', action: 'api.note', target: 'i1', reason: 'noted', data: null });
      const all = await store.audit.recent(10);
      expect(all.map((e) => e.actor)).toEqual(['bob', 'policy:failover', 'alice']);
      expect(all[1]).toEqual({ t: 2, actor: 'policy:failover', action: 'control.switch', target: 's1', reason: 'primary down', data: { to: 'backup', nested: { n: [1, 2] } } });
      expect(all[0]!.data).toBeNull();
      expect('data' in all[2]!).toBe(false);
      expect((await store.audit.recent(2)).map((e) => e.t)).toEqual([3, 2]);
    });

    it('answers empty, and keeps its entries across a reopen', async () => {
      const first = await stores.open();
      expect(await first.audit.recent(5)).toEqual([]);
      await first.audit.append({ t: 7, actor: 'alice', action: 'ws.silence', target: 'sil-1', reason: 'maintenance' });
      const store = await stores.reopen(first);
      expect(await store.audit.recent(5)).toEqual([{ t: 7, actor: 'alice', action: 'ws.silence', target: 'sil-1', reason: 'maintenance' }]);
    });
  });
}
