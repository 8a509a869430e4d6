/**
 * Discovery polling on a real hub (SQLite, no probes) against a real local HTTP server answering
 * SRS's documented `/api/v1/streams` JSON (no SRS binary here): streams that appear are added,
 * those that go are retired, a server that cannot be read changes nothing, and a stream the source
 * did not add is never touched.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type HubHandle } from '../../src/app/start.ts';
import { ConfigSchema } from '../../src/config/schema.ts';
import { until } from '../helpers/until.ts';

let server: Server;
let hub: HubHandle;
const dataDir = mkdtempSync(join(tmpdir(), 'sg-discovery-'));
/** What the server lists now (names in app `live`), or an HTTP status to fail with. */
let listing: string[] | number = [];
let requests = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    if (typeof listing === 'number') return void res.writeHead(listing, { 'content-type': 'application/json' }).end('{"code":500}');
    const streams = listing.map((name, i) => ({ id: `vid-${i}`, name, vhost: 'vid-0', app: 'live', publish: { active: true, cid: 'c' } }));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 0, server: 'vid-0', streams }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = ConfigSchema.parse({
    hub: { listen: '127.0.0.1:0', dataDir },
    probe: { embedded: false },
    streams: [{ id: 's1', lines: { primary: { url: 'rtmp://127.0.0.1:1/live/s1' } } }],
    discovery: [{ name: 'srs-a', type: 'srs', url: api, pollEvery: '200ms', lines: { primary: 'rtmp://127.0.0.1:1/{app}/{name}', backup: 'http://127.0.0.1:1/{app}/{name}.flv' } }],
  });
  hub = await startHub(config, { probes: false, tickets: false });
}, 30_000);

afterAll(async () => {
  await hub?.stop();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dataDir, { recursive: true, force: true });
});

async function watched(): Promise<string[]> {
  const { result } = (await (await fetch(`${hub.url}/api/v1/state`)).json()) as { result: { streams: { id: string }[] } };
  return result.streams.map((s) => s.id);
}

const pollsFromNow = async (n: number) => {
  const from = requests;
  await until(`${n} polls`, () => requests >= from + n);
};

describe('discovery polling', () => {
  it('adds what appears and retires what goes; an unreadable server changes nothing; never takes a stream it did not add', async () => {
    listing = ['a', 'b'];
    await until('a and b added', async () => (await watched()).join() === 's1,a,b');

    listing = 503;
    await pollsFromNow(3);
    expect(await watched()).toEqual(['s1', 'a', 'b']);

    listing = ['b', 'c', 's1'];
    await until('a retired, c added', async () => (await watched()).join() === 's1,b,c');
    await pollsFromNow(2);
    expect(await watched()).toEqual(['s1', 'b', 'c']);
    expect(hub.streams.registry().map((e) => `${e.id} ${e.by}`)).toEqual(['b discovery:srs-a', 'c discovery:srs-a']);

    listing = [];
    await until('every discovered stream retired', async () => (await watched()).join() === 's1');
    expect(hub.streams.registry()).toEqual([]);
  });
});
