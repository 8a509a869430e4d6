import { describe, expect, it } from 'vitest';
import { storesOf, type StoreMaker } from './store-maker.ts';

/** AuditLog: appended entries read back newest first, `data` as written except URL credentials (viewers read the audit). */
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

    it('reads a time range [from, to) newest first, at most `limit`', async () => {
      const store = await stores.open();
      // Appended out of time order (a late write): the range is by time, not by arrival.
      for (const t of [10, 30, 20, 40, 50]) await store.audit.append({ t, actor: 'policy:failover', action: 'control.switch', target: `stream:s${t}`, reason: 'why', data: { t } });
      expect((await store.audit.range({ from: 20, to: 50, limit: 10 })).map((e) => e.t)).toEqual([40, 30, 20]);
      expect((await store.audit.range({ from: 20, to: 50, limit: 2 })).map((e) => e.t)).toEqual([40, 30]);
      expect(await store.audit.range({ from: 60, to: 70, limit: 10 })).toEqual([]);
      expect((await store.audit.range({ from: 0, to: 11, limit: 10 }))[0]).toEqual({ t: 10, actor: 'policy:failover', action: 'control.switch', target: 'stream:s10', reason: 'why', data: { t: 10 } });
    });

    it("reads the controller's entries of some streams, at most `perStream` each, newest first, whatever else was written since", async () => {
      const store = await stores.open();
      const control = (t: number, stream: string, action = 'control.switch') => store.audit.append({ t, actor: 'policy:failover', action, target: `stream:${stream} line:primary>backup`, reason: 'primary down', data: { t } });
      await control(1, 's1');
      await control(2, 's2');
      await control(3, 's1', 'control.switch.done');
      await control(4, 's10');
      // rows about s1 that are not the controller's, and many of other streams after them
      await store.audit.append({ t: 5, actor: 'alice', action: 'ws.pin', target: 's1', reason: 'hold it' });
      for (let t = 6; t < 56; t++) await control(t, `other${t}`);
      const rows = await store.audit.controlOf(['s1', 's2', 's1'], 10);
      expect(rows.map((e) => [e.t, e.action, e.target.split(' ')[0]])).toEqual([
        [3, 'control.switch.done', 'stream:s1'],
        [2, 'control.switch', 'stream:s2'],
        [1, 'control.switch', 'stream:s1'],
      ]);
      expect(rows[2]).toEqual({ t: 1, actor: 'policy:failover', action: 'control.switch', target: 'stream:s1 line:primary>backup', reason: 'primary down', data: { t: 1 } });
      expect((await store.audit.controlOf(['s1'], 1)).map((e) => e.t)).toEqual([3]);
      expect(await store.audit.controlOf(['nothing'], 10)).toEqual([]);
      expect(await store.audit.controlOf([], 10)).toEqual([]);
    });

    it('never hands out URL credentials: neither of entries appended nor of rows written before masking existed', async () => {
      const secret = 'rtmp://alice:pa55word@cdn.example/live/s1?token=t0ken&quality=hd';
      const masked = 'rtmp://alice:***@cdn.example/live/s1?token=***&quality=hd';
      const entry = (t: number) => ({ t, actor: 'policy:failover', action: 'control.switch', target: `stream:s1 ${secret}`, reason: `edge: fetch failed for ${secret}`, data: { action: { url: secret, urls: { eu: secret } }, results: [{ error: `exit code 22: ${secret}` }], n: 3, ok: false } });
      const first = await stores.open();
      await first.audit.append(entry(1));
      const store = await stores.writeRawAudit(first, entry(2));
      const rows = [...(await store.audit.recent(10)), ...(await store.audit.range({ from: 0, to: 10, limit: 10 }))];
      expect(rows).toHaveLength(4);
      for (const row of rows) {
        expect(JSON.stringify(row)).not.toMatch(/pa55word|t0ken/);
        expect(row).toMatchObject({ target: `stream:s1 ${masked}`, reason: `edge: fetch failed for ${masked}`, data: { action: { url: masked, urls: { eu: masked } }, results: [{ error: `exit code 22: ${masked}` }], n: 3, ok: false } });
      }
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
