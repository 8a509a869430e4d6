import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediamtxStreamList } from '../../src/discovery/mediamtx.ts';
import { SrsStreamList } from '../../src/discovery/srs.ts';

/**
 * The SRS and MediaMTX list adapters against a real local HTTP server answering their documented
 * JSON (SRS `GET /api/v1/streams`, MediaMTX `GET /v3/paths/list`, paged), not against the servers
 * themselves (no SRS or MediaMTX binary here). node-media-server's adapter runs against the real
 * lab server (test/streams/discovery-lab.test.ts).
 */

const CREDENTIALS = { username: 'api', password: 'pw' };
const BASIC = `Basic ${Buffer.from('api:pw').toString('base64')}`;

/** 150 SRS streams, every third without an active publisher; SRS pages by `start` and `count`. */
function srsAnswer(url: URL): unknown {
  const all = Array.from({ length: 150 }, (_, i) => ({
    id: `vid-${i}`,
    name: `room-${i}`,
    vhost: 'vid-0',
    app: i % 2 === 0 ? 'live' : 'show',
    tcUrl: 'rtmp://127.0.0.1/live',
    url: `/live/room-${i}`,
    live_ms: 1,
    clients: 1,
    publish: { active: i % 3 !== 0, cid: 'x' },
  }));
  const start = Number(url.searchParams.get('start') ?? 0);
  const count = Number(url.searchParams.get('count') ?? 10);
  return { code: 0, server: 'vid-0', service: 'x', pid: '1', streams: all.slice(start, start + count) };
}

/** 120 MediaMTX paths, every fourth not ready (readers waiting); pages of `itemsPerPage`. */
function mediamtxAnswer(url: URL): unknown {
  const all = Array.from({ length: 120 }, (_, i) => ({
    name: i % 2 === 0 ? `live/cam-${i}` : `cam-${i}`,
    confName: 'all_others',
    source: i % 4 === 0 ? null : { type: 'rtmpConn', id: 'x' },
    ready: i % 4 !== 0,
    readyTime: null,
    tracks: ['H264'],
    bytesReceived: 1,
    bytesSent: 0,
    readers: [],
  }));
  const page = Number(url.searchParams.get('page') ?? 0);
  const per = Number(url.searchParams.get('itemsPerPage') ?? 100);
  return { pageCount: Math.ceil(all.length / per), itemCount: all.length, items: all.slice(page * per, (page + 1) * per) };
}

let server: Server;
let base: string;
let answer: (req: IncomingMessage, url: URL) => { status: number; body: string } = () => ({ status: 404, body: '{}' });

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const a = req.headers.authorization !== BASIC ? { status: 401, body: '{"error":"auth"}' } : answer(req, url);
    res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('SRS /api/v1/streams', () => {
  it('every stream with an active publisher, across pages', async () => {
    answer = (_req, url) => (url.pathname === '/api/v1/streams' ? { status: 200, body: JSON.stringify(srsAnswer(url)) } : { status: 404, body: '{}' });
    const list = await new SrsStreamList(base, CREDENTIALS).list();
    expect(list).toHaveLength(100);
    expect(list[0]).toEqual({ app: 'show', name: 'room-1' });
    expect(list.some((s) => s.name === 'room-3')).toBe(false);
    expect(list.some((s) => s.name === 'room-149')).toBe(true);
  });

  it('says what is wrong: refused credentials, an error code, an answer of another shape', async () => {
    await expect(new SrsStreamList(base).list()).rejects.toThrow(/\/api\/v1\/streams\?start=0&count=100: HTTP 401/);
    answer = () => ({ status: 200, body: '{"code":1002,"streams":[]}' });
    await expect(new SrsStreamList(base, CREDENTIALS).list()).rejects.toThrow(/SRS answered code 1002/);
    answer = () => ({ status: 200, body: '{"code":0,"streams":[{"app":"live"}]}' });
    await expect(new SrsStreamList(base, CREDENTIALS).list()).rejects.toThrow(/unexpected answer \(streams\.0\.name: /);
  });

  it('a server that is not there', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await expect(new SrsStreamList(`http://127.0.0.1:${port}`).list()).rejects.toThrow(new RegExp(`GET http://127\\.0\\.0\\.1:${port}/api/v1/streams.*ECONNREFUSED`));
  });
});

describe('MediaMTX /v3/paths/list', () => {
  it('every ready path across pages, split into app and name at the last slash', async () => {
    answer = (_req, url) => (url.pathname === '/v3/paths/list' ? { status: 200, body: JSON.stringify(mediamtxAnswer(url)) } : { status: 404, body: '{}' });
    const list = await new MediamtxStreamList(base, CREDENTIALS).list();
    expect(list).toHaveLength(90);
    expect(list.slice(0, 2)).toEqual([{ app: '', name: 'cam-1' }, { app: 'live', name: 'cam-2' }]);
    expect(list.at(-1)).toEqual({ app: '', name: 'cam-119' });
  });

  it('an answer that is not JSON', async () => {
    answer = () => ({ status: 200, body: '<html>' });
    await expect(new MediamtxStreamList(base, CREDENTIALS).list()).rejects.toThrow(/HTTP 200, not JSON: <html>/);
  });
});
