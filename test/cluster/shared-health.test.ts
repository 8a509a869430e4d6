import { afterEach, describe, expect, it } from 'vitest';
import { SharedHealth } from '../../src/cluster/shared-health.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { postgresMissing, usePostgres } from '../helpers/postgres.ts';
import { until } from '../helpers/until.ts';

/**
 * The line health of a cluster's streams in a real PostgreSQL (table stream_health): the owner
 * writes what changed, batched; another hub reads it and is told of changes by version; a hub
 * that no longer acts on a stream writes nothing for it.
 */
const server = usePostgres();
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const health = (level: string) => ({ primary: { eu: { level, since: 1 } } });

describe.skipIf(postgresMissing !== undefined)(`shared line health${postgresMissing ? `: ${postgresMissing}` : ''}`, () => {
  it('the store: rows replaced per stream, read by stream, followed by version', async () => {
    const store = await PostgresStore.open(await server().createDatabase());
    cleanups.push(() => store.close());
    const { health: table } = store;
    expect(await table.changedSince(0)).toEqual({ rows: [], version: 0 });
    await table.write('hub-a', [{ stream: 's1', health: health('ok') }, { stream: 's2', health: health('ok') }]);
    const first = await table.changedSince(0);
    expect(first.rows.map((r) => [r.stream, r.hub])).toEqual([['s1', 'hub-a'], ['s2', 'hub-a']]);
    await table.write('hub-b', [{ stream: 's1', health: health('down') }]);
    const next = await table.changedSince(first.version);
    expect(next.rows).toEqual([{ stream: 's1', hub: 'hub-b', version: next.version }]);
    expect(await table.read(['s1', 'nope'])).toEqual([{ stream: 's1', hub: 'hub-b', health: health('down'), version: next.version }]);
    await table.write('hub-a', []);
    expect((await table.changedSince(next.version)).rows).toEqual([]);
  });

  it('the owner writes the streams it acts on that changed; the other hub is told, not of its own', async () => {
    const url = await server().createDatabase();
    const stores = await Promise.all([PostgresStore.open(url), PostgresStore.open(url)]);
    cleanups.push(() => Promise.all(stores.map((s) => s.close())));
    const levels = new Map([['s1', 'ok'], ['s2', 'ok']]);
    const listeners: ((stream: string) => void)[] = [];
    const told: string[] = [];
    const owned = { 'hub-a': new Set(['s1']), 'hub-b': new Set(['s2']) };
    const start = (self: 'hub-a' | 'hub-b', i: number) =>
      SharedHealth.start({
        self,
        store: stores[i]!.health,
        ownership: { owns: (s) => owned[self].has(s), actingOn: (s) => (owned[self].has(s) ? { fence: undefined } : undefined) },
        health: (s) => health(levels.get(s)!),
        onChange: (l) => (listeners.push(l), () => undefined),
        notify: (stream, owner) => told.push(`${self}: ${stream} of ${owner}`),
        writeEveryMs: 50,
        followEveryMs: 50,
      });
    const [a, b] = [await start('hub-a', 0), await start('hub-b', 1)];
    cleanups.push(() => Promise.all([a.stop(), b.stop()]));

    for (const tell of listeners) tell('s1'), tell('s2');
    await until('hub B told of s1', () => told.includes('hub-b: s1 of hub-a'), 5000, 20);
    await until('hub A told of s2', () => told.includes('hub-a: s2 of hub-b'), 5000, 20);
    expect(await b.read(['s1', 's2'])).toEqual(new Map([['s1', health('ok')], ['s2', health('ok')]]));

    // s1 handed to B: A no longer writes it, B does.
    owned['hub-a'].delete('s1');
    owned['hub-b'].add('s1');
    levels.set('s1', 'down');
    listeners[0]!('s1');
    listeners[1]!('s1');
    await until("B's write of s1", async () => JSON.stringify((await a.read(['s1'])).get('s1')) === JSON.stringify(health('down')), 5000, 20);
    expect((await stores[0]!.health.read(['s1']))[0]!.hub).toBe('hub-b');
    await until('hub A told of s1 by B', () => told.includes('hub-a: s1 of hub-b'), 5000, 20);
    expect(told.filter((t) => t.startsWith('hub-b: s1'))).toEqual(['hub-b: s1 of hub-a']);
  });
});
