import { describe, expect, it } from 'vitest';
import { Silences } from '../../src/incidents/silences.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { postgresMissing, usePostgres } from '../helpers/postgres.ts';

/** Hubs of a cluster share their silences through the store: one sets it, the owner of the incident's stream honours it. */
const server = usePostgres();

describe.skipIf(postgresMissing !== undefined)(`silences shared by the hubs of a cluster${postgresMissing ? `: ${postgresMissing}` : ''}`, () => {
  it('a silence set or removed on one hub holds on the other after its refresh', async () => {
    const url = await server().createDatabase();
    const [a, b] = await Promise.all([PostgresStore.open(url), PostgresStore.open(url)]);
    try {
      const now = Date.now();
      const clock = () => now;
      const onA = await Silences.load(clock, a.silences);
      const onB = await Silences.load(clock, b.silences);
      const set = await onA.add({ matcher: { stream: 's1' }, until: now + 60_000, by: 'alice', reason: 'planned work', at: now });
      expect(onB.holding({ stream: 's1', line: 'primary', kind: 'down', severity: 'P1' })).toBeUndefined();
      await onB.refresh();
      expect(onB.active().map((s) => s.id)).toEqual([set.id]);
      expect(onB.holding({ stream: 's1', line: 'primary', kind: 'down', severity: 'P1' })?.id).toBe(set.id);
      await onA.remove(set.id);
      await onB.refresh();
      expect(onB.active()).toEqual([]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('a silence removed here while a refresh is reading the store stays removed', async () => {
    const url = await server().createDatabase();
    const store = await PostgresStore.open(url);
    try {
      const now = Date.now();
      const silences = await Silences.load(() => now, store.silences);
      const set = await silences.add({ matcher: { stream: 's2' }, until: now + 60_000, by: 'bob', reason: 'move', at: now });
      const reading = silences.refresh();
      const removed = silences.remove(set.id);
      expect(silences.active()).toEqual([]);
      await Promise.all([reading, removed]);
      expect(silences.active()).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
