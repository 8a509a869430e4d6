import { describe, expect, it } from 'vitest';
import { StoredRecordError } from '../../../src/store/stored-record.ts';
import { entry, incident } from './fixtures.ts';
import { storesOf, type StoreMaker } from './store-maker.ts';

/** IncidentRepository: incidents written whole, timelines appended in order, checked when read back. */
export function describeIncidentRepository(engine: string, maker: StoreMaker): void {
  describe(`${engine}: IncidentRepository`, () => {
    const stores = storesOf(maker);

    it('writes an incident and appends its timeline entries; a second save replaces the incident and appends', async () => {
      const store = await stores.open();
      const a = incident(1000);
      await store.incidents.save(a, [entry(a, 1000, 'opened', { severity: 'P1' }), entry(a, 1000, 'region-seen', { region: 'eu' })]);
      const raised = { ...a, severity: 'P0' as const, peakSeverity: 'P0' as const, updatedAt: 2000 };
      await store.incidents.save(raised, [entry(a, 2000, 'severity-raised', { from: 'P1', to: 'P0' })]);
      await store.incidents.save(raised, []);
      expect(await store.incidents.get(a.id)).toEqual(raised);
      expect(await store.incidents.timeline(a.id)).toEqual([
        entry(a, 1000, 'opened', { severity: 'P1' }),
        entry(a, 1000, 'region-seen', { region: 'eu' }),
        entry(a, 2000, 'severity-raised', { from: 'P1', to: 'P0' }),
      ]);
    });

    it('lists the incidents not resolved, oldest first', async () => {
      const store = await stores.open();
      const late = incident(3000, { key: 's1/backup/down', line: 'backup', id: 's1/backup/down@3000' });
      const early = incident(1000);
      const acked = incident(2000, { id: 's2/primary/down@2000', key: 's2/primary/down', stream: 's2', status: 'acknowledged', acknowledgedAt: 2500 });
      const done = incident(500, { id: 's3/primary/down@500', key: 's3/primary/down', stream: 's3', status: 'resolved', resolvedAt: 900 });
      for (const i of [late, early, acked, done]) await store.incidents.save(i, []);
      expect((await store.incidents.open()).map((i) => i.id)).toEqual([early.id, acked.id, late.id]);
      await store.incidents.save({ ...early, status: 'resolved', resolvedAt: 4000 }, [entry(early, 4000, 'resolved')]);
      expect((await store.incidents.open()).map((i) => i.id)).toEqual([acked.id, late.id]);
      expect((await store.incidents.get(early.id))?.resolvedAt).toBe(4000);
    });

    it('answers the incidents live within a time range, newest opened first, for one stream or all, up to a limit', async () => {
      const store = await stores.open();
      const before = incident(100, { id: 's1/primary/down@100', status: 'resolved', resolvedAt: 900 });
      const spans = incident(500, { id: 's1/backup/down@500', key: 's1/backup/down', line: 'backup', status: 'resolved', resolvedAt: 1500 });
      const within = incident(1200, { id: 's2/primary/down@1200', key: 's2/primary/down', stream: 's2', status: 'resolved', resolvedAt: 1300 });
      const open = incident(1800);
      const after = incident(2500, { id: 's1/primary/degraded@2500', key: 's1/primary/degraded', kind: 'degraded' });
      // Streams named like a prefix of one another (`s1`, `s1_x`) keep their incidents apart.
      const other = incident(1400, { id: 's1_x/primary/down@1400', key: 's1_x/primary/down', stream: 's1_x' });
      for (const i of [before, spans, within, open, after, other]) await store.incidents.save(i, []);
      const ids = async (q: { stream?: string; limit?: number }) => (await store.incidents.history({ from: 1000, to: 2000, limit: 100, ...q })).map((i) => i.id);
      expect(await ids({})).toEqual([open.id, other.id, within.id, spans.id]);
      expect(await ids({ stream: 's1' })).toEqual([open.id, spans.id]);
      expect(await ids({ limit: 2 })).toEqual([open.id, other.id]);
    });

    it('answers undefined and an empty timeline for an unknown id', async () => {
      const store = await stores.open();
      expect(await store.incidents.get('nope')).toBeUndefined();
      expect(await store.incidents.timeline('nope')).toEqual([]);
    });

    it('keeps incidents and timelines across a reopen', async () => {
      const first = await stores.open();
      const a = incident(1000, { related: ['s1/backup/down'], escalation: { severity: 'P0', by: 'policy:failover', reason: 'no healthy line', at: 1200 } });
      await first.incidents.save(a, [entry(a, 1000, 'opened'), entry(a, 1200, 'escalated', { severity: 'P0' })]);
      const store = await stores.reopen(first);
      expect(await store.incidents.open()).toEqual([a]);
      expect((await store.incidents.timeline(a.id)).map((e) => e.type)).toEqual(['opened', 'escalated']);
    });

    it('refuses an incident whose stored document is not an incident, naming its id and the field', async () => {
      const first = await stores.open();
      const good = incident(1000);
      const bad = incident(2000, { id: 's1/backup/down@2000', key: 's1/backup/down', line: 'backup' });
      await first.incidents.save(good, []);
      await first.incidents.save(bad, [entry(bad, 2000, 'opened')]);
      const store = await stores.corruptIncident(first, bad.id, JSON.stringify({ ...bad, status: 'exploded' }));
      await expect(store.incidents.get(bad.id)).rejects.toThrow(StoredRecordError);
      await expect(store.incidents.get(bad.id)).rejects.toThrow(/incident "s1\/backup\/down@2000" .*status/);
      await expect(store.incidents.open()).rejects.toThrow(/incident "s1\/backup\/down@2000"/);
      expect(await store.incidents.get(good.id)).toEqual(good);
    });

    it('refuses a stored incident document that is not JSON, naming its id (or the engine cannot hold one)', async () => {
      const first = await stores.open();
      const a = incident(1000);
      await first.incidents.save(a, []);
      const damage = '{"id": "s1/primary/down@1000", trunc';
      if (maker.refusesMalformedJson) {
        await expect(maker.corruptIncident(first, a.id, damage)).rejects.toThrow(/json/i);
        expect(await first.incidents.get(a.id)).toEqual(a);
        return;
      }
      const store = await stores.corruptIncident(first, a.id, damage);
      await expect(store.incidents.get(a.id)).rejects.toThrow(/incident "s1\/primary\/down@1000" in the store is not valid JSON/);
    });
  });
}
