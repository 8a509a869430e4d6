import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Discovery, DiscoveryConfigSchema, type DiscoveredStreams } from '../../src/discovery/index.ts';
import { until } from '../helpers/until.ts';

/**
 * In a cluster every hub runs the same discovery sources; only the one that owns a source polls
 * it (two pollers would both add each new stream). Two Discovery instances over one real HTTP
 * server answering as SRS does, ownership handed from one to the other.
 */

let rooms = ['room-1'];
/** One server per hub (the same answer), so each hub's reads are counted apart. */
const servers: Server[] = [];
const base = { a: '', b: '' };
const reads = { a: 0, b: 0 };

beforeAll(async () => {
  for (const hub of ['a', 'b'] as const) {
    const server = createServer((_req, res) => {
      reads[hub]++;
      const streams = rooms.map((name, i) => ({ id: `v${i}`, name, vhost: 'v', app: 'live', tcUrl: 'rtmp://127.0.0.1/live', url: `/live/${name}`, live_ms: 1, clients: 1, publish: { active: true, cid: 'x' } }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 0, server: 'v', service: 'x', pid: '1', streams }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    base[hub] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
});
afterAll(() => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))));

/** The shared registry both hubs write to, recording who added and retired what. */
function sharedRegistry() {
  const added = new Map<string, string>();
  const log: string[] = [];
  const as = (hub: string): DiscoveredStreams => ({
    addedBy: () => [...added.keys()],
    add: async (_source, definition) => {
      const id = String(definition['id']);
      log.push(`${hub} add ${id}`);
      added.set(id, hub);
      return 'added';
    },
    retire: async (_source, id) => {
      log.push(`${hub} retire ${id}`);
      added.delete(id);
    },
  });
  return { added, log, as };
}

describe('a discovery source in a cluster', () => {
  it('is polled by its owner alone; when it changes hands the new owner polls it and nothing is added twice', async () => {
    const sources = (hub: 'a' | 'b') => DiscoveryConfigSchema.parse([{ name: 'edge', type: 'srs', url: base[hub], pollEvery: '200ms', lines: { primary: 'rtmp://127.0.0.1/live/{name}' } }]);
    const registry = sharedRegistry();
    let owner = 'a';
    const hubs = (['a', 'b'] as const).map((hub) => {
      const d = new Discovery({ streams: registry.as(hub), polls: (source) => source === 'edge' && owner === hub });
      d.prepareReload(sources(hub))();
      return d;
    });
    try {
      await until('room-1 added', () => registry.added.has('room-1'), 5000);
      const byA = reads.a;
      await until('a few more polls by a', () => reads.a >= byA + 3, 5000);
      expect(reads.b).toBe(0);
      expect(registry.log).toEqual(['a add room-1']);

      owner = 'b';
      rooms = ['room-1', 'room-2'];
      await until('room-2 added', () => registry.added.has('room-2'), 5000);
      rooms = ['room-2'];
      await until('room-1 retired', () => !registry.added.has('room-1'), 5000);
      // At most the poll a had under way when it lost the source.
      const lastByA = reads.a;
      const byB = reads.b;
      await until('a few more polls by b', () => reads.b >= byB + 3, 5000);
      expect(reads.a).toBe(lastByA);
      expect(registry.log).toEqual(['a add room-1', 'b add room-2', 'b retire room-1']);
    } finally {
      await Promise.all(hubs.map((d) => d.stop()));
    }
  });
});
