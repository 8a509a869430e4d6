/**
 * The hub's HTTP surface against a real hub (startHub, SQLite, express, node:http sockets): every
 * refusal is `{error: {code, message}}` with its status, the console's static files (types, favicon,
 * no way out of public/), WebSocket upgrades dispatched by path, HTTPS, and keep-alive connections
 * ended by stop().
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type HubHandle } from '../../src/app/start.ts';
import { until } from '../helpers/until.ts';
import { authedHubConfig, TOKENS_ENV } from './helpers/authed-hub.ts';

const ENV = TOKENS_ENV;
const OPERATOR = { authorization: `Bearer ${ENV.SG_OPS}` };
const VIEWER = { authorization: `Bearer ${ENV.SG_VIEW}` };
const JSON_TYPE = { 'content-type': 'application/json' };

const config = authedHubConfig;

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request with the path sent exactly as given (fetch would normalize `..` away). */
function request(hub: HubHandle, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Answer> {
  const [host, port] = [hub.address!.slice(0, hub.address!.lastIndexOf(':')), Number(hub.address!.slice(hub.address!.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path, method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Everything the hub writes back to a raw upgrade request, until it closes the connection. */
function rawUpgrade(hub: HubHandle, path: string, headers = ''): Promise<string> {
  const port = Number(hub.address!.slice(hub.address!.lastIndexOf(':') + 1));
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n${headers}\r\n`));
    let text = '';
    s.on('data', (d) => (text += d.toString()));
    s.on('end', () => resolve(text));
    s.on('error', reject);
    setTimeout(() => (s.destroy(), reject(new Error(`no close after: ${text}`))), 5000).unref();
  });
}

describe('hub HTTP: one error shape, static files, upgrades', () => {
  let hub: HubHandle;
  beforeAll(async () => {
    hub = await startHub(config(), { probes: false, tickMs: 0, env: ENV });
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it('answers every refusal as {error: {code, message}} with its status', async () => {
    const command = (type: string, body: string | Buffer, headers: Record<string, string>) => ({ method: 'POST', headers, body, path: `/api/v1/commands/${type}` });
    const cases: [string, { path: string; method?: string; headers?: Record<string, string>; body?: string | Buffer }, number, string, RegExp][] = [
      ['unknown path', { path: '/nowhere', headers: VIEWER }, 404, 'not_found', /no route for GET \/nowhere/],
      ['unknown API version', { path: '/api/v2/incidents', headers: OPERATOR }, 404, 'not_found', /no route/],
      ['bad JSON', command('switch', '{not json', { ...OPERATOR, ...JSON_TYPE }), 400, 'bad_request', /not valid JSON/],
      ['a body that is not an object', command('switch', '[1]', { ...OPERATOR, ...JSON_TYPE }), 400, 'bad_request', /must be a JSON object/],
      ['a bad field', command('switch', JSON.stringify({ stream: 's1', line: 3, reason: 'x' }), { ...OPERATOR, ...JSON_TYPE }), 400, 'bad_request', /line/],
      ['wrong content type', command('switch', JSON.stringify({ stream: 's1', line: 'backup', reason: 'x' }), { ...OPERATOR, 'content-type': 'text/plain' }), 415, 'unsupported_media_type', /application\/json/],
      ['a form post', command('switch', 'stream=s1', { ...OPERATOR, 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type', /application\/json/],
      ['too large', command('note', JSON.stringify({ incident: 'x', note: 'n'.repeat(70_000) }), { ...OPERATOR, ...JSON_TYPE }), 413, 'too_large', /larger than 65536 bytes/],
      ['unknown command', command('launch', '{}', { ...OPERATOR, ...JSON_TYPE }), 404, 'not_found', /unknown command "launch"/],
      ['a viewer acting', command('switch', JSON.stringify({ stream: 's1', line: 'backup', reason: 'x' }), { ...VIEWER, ...JSON_TYPE }), 403, 'forbidden', /needs the operator role; token "victor" is a viewer/],
      ['a command without a token', command('switch', JSON.stringify({ stream: 's1', line: 'backup', reason: 'x' }), JSON_TYPE), 401, 'unauthorized', /missing or invalid token/],
      ['a command GET', { path: '/api/v1/commands/switch', headers: OPERATOR }, 405, 'method_not_allowed', /use POST/],
      ['a read without a token', { path: '/api/v1/incidents' }, 401, 'unauthorized', /missing or invalid token/],
      ['a read with a wrong token', { path: '/api/v1/streams/s1/samples', headers: { authorization: 'Bearer nope' } }, 401, 'unauthorized', /missing or invalid token/],
      ['the state without a token', { path: '/api/v1/state' }, 401, 'unauthorized', /token/],
      ['an evidence bundle without a token', { path: '/api/v1/incidents/s1%2Fprimary%2Fdown%401/evidence' }, 401, 'unauthorized', /missing or invalid token/],
      ['ticket rows without a token', { path: '/api/v1/tickets?incident=s1%2Fprimary%2Fdown%401', headers: { authorization: 'Bearer nope' } }, 401, 'unauthorized', /missing or invalid token/],
      ['the evidence of an unknown incident', { path: '/api/v1/incidents/s1%2Fprimary%2Fdown%401/evidence', headers: VIEWER }, 404, 'not_found', /no incident "s1\/primary\/down@1"/],
      ['unknown incident', { path: '/api/v1/incidents/s1%2Fprimary%2Fdown%401', headers: VIEWER }, 404, 'not_found', /no incident "s1\/primary\/down@1"/],
      ['unknown incident, raw slashes', { path: '/api/v1/incidents/s1/primary/down@1', headers: VIEWER }, 404, 'not_found', /no incident "s1\/primary\/down@1"/],
      ['bad percent-encoding', { path: '/api/v1/incidents/%E0%A4%A', headers: VIEWER }, 400, 'bad_request', /decode/],
      ['a bad query parameter', { path: '/api/v1/incidents?status=closed', headers: VIEWER }, 400, 'bad_request', /"status" must be "open" or "all"/],
      ['unknown stream', { path: '/api/v1/streams/zz/samples', headers: VIEWER }, 404, 'not_found', /no stream "zz"/],
      ['a write to a read', { path: '/api/v1/incidents', method: 'POST', headers: VIEWER }, 405, 'method_not_allowed', /use GET or HEAD/],
      ['unknown stream to play', { path: '/api/v1/streams/zz/play' }, 404, 'not_found', /no stream "zz"/],
      ['a write to /metrics', { path: '/metrics', method: 'DELETE' }, 405, 'method_not_allowed', /DELETE/],
    ];
    for (const [what, { path, ...opts }, status, code, message] of cases) {
      const r = await request(hub, path, opts);
      expect([what, r.status, r.headers['content-type']]).toEqual([what, status, 'application/json; charset=utf-8']);
      expect([what, JSON.parse(r.body)]).toEqual([what, { error: { code, message: expect.stringMatching(message) } }]);
    }
    expect((await request(hub, '/api/v1/incidents', { method: 'POST', headers: VIEWER })).headers.allow).toBe('GET, HEAD');
    expect((await request(hub, '/api/v1/commands/state', { headers: OPERATOR })).headers.allow).toBe('POST');
  });

  it('keeps the success answers: reads with a token, a query command without a body, public routes without one', async () => {
    const incidents = await request(hub, '/api/v1/incidents', { headers: VIEWER });
    expect([incidents.status, JSON.parse(incidents.body), incidents.headers['cache-control']]).toEqual([200, { status: 'open', incidents: [], total: 0 }, 'no-store']);
    const state = await request(hub, '/api/v1/commands/state', { method: 'POST', headers: VIEWER });
    expect([state.status, JSON.parse(state.body).ok]).toEqual([200, true]);
    const audit = await request(hub, '/api/v1/commands/audit', { method: 'POST', headers: { ...VIEWER, ...JSON_TYPE }, body: JSON.stringify({ limit: 5 }) });
    expect([audit.status, JSON.parse(audit.body)]).toEqual([200, { ok: true, result: { entries: [] } }]);
    expect((await request(hub, '/healthz')).status).toBe(200);
    expect((await request(hub, '/metrics')).headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const play = await request(hub, '/api/v1/streams/s1/play');
    expect([play.status, play.headers.location]).toEqual([302, 'rtmp://127.0.0.1:1/live/s1']);
    expect((await request(hub, '/api/v1/streams/s1/play', { method: 'HEAD' })).status).toBe(302);
  });

  it('serves the console: the page as text/html, its favicon as image/svg+xml, nothing outside public/', async () => {
    const page = await request(hub, '/');
    expect([page.status, page.headers['content-type'], page.headers['cache-control']]).toEqual([200, 'text/html; charset=utf-8', 'no-cache']);
    expect(page.body).toContain('<link rel="icon" href="/console/favicon.svg" type="image/svg+xml">');
    const icon = await request(hub, '/console/favicon.svg');
    expect([icon.status, icon.headers['content-type']]).toEqual([200, 'image/svg+xml']);
    expect(icon.body).toMatch(/^<svg /);
    for (const [file, type] of [
      ['console.js', 'text/javascript; charset=utf-8'],
      ['grid-model.js', 'text/javascript; charset=utf-8'],
      ['preview.js', 'text/javascript; charset=utf-8'],
      ['console.css', 'text/css; charset=utf-8'],
      ['jsmpeg-player.esm.js', 'text/javascript; charset=utf-8'],
    ]) {
      const r = await request(hub, `/console/${file}`);
      expect([file, r.status, r.headers['content-type'], r.headers['cache-control']]).toEqual([file, 200, type, 'no-cache']);
    }
    // bin/streamguard.js is three folders up from public/: a script name the filter lets through.
    const bin = readFileSync(new URL('../../bin/streamguard.js', import.meta.url), 'utf8');
    const outside = [
      '/console/../../../bin/streamguard.js',
      '/console/..%2f..%2f..%2fbin%2fstreamguard.js',
      '/console/%2e%2e/%2e%2e/%2e%2e/bin/streamguard.js',
      '/console/..%5c..%5c..%5cbin%5cstreamguard.js',
      '/console/../../../package.json',
      '/console/../routes.ts',
      '/console/.hidden.js',
      '/console/nope.js',
      '/console/grid-model.d.ts',
    ];
    for (const path of outside) {
      const r = await request(hub, path);
      expect([path, r.status, JSON.parse(r.body).error.code]).toEqual([path, 404, 'not_found']);
      expect(r.body).not.toContain(bin.slice(0, 40));
    }
    const post = await request(hub, '/console/console.js', { method: 'POST' });
    expect([post.status, post.headers.allow, JSON.parse(post.body).error.code]).toEqual([405, 'GET, HEAD', 'method_not_allowed']);
  });

  it('dispatches upgrades by path: an unknown one is refused with a JSON 404 and closed; /ws checks its token', async () => {
    for (const path of ['/nowhere', '/wsx', '/ws/more', '/probesx', '/preview']) {
      const raw = await rawUpgrade(hub, path);
      expect(raw.match(/HTTP\/1\.1 /g)).toEqual(['HTTP/1.1 ']);
      expect(raw).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
      expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toEqual({ error: { code: 'not_found', message: expect.stringMatching(/^no WebSocket endpoint at .* \(endpoints: \/ws, \/probes, \/preview\/…\)$/) } });
    }
    const ws = await rawUpgrade(hub, '/ws', 'authorization: Bearer nope\r\n');
    expect(ws).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
    expect(JSON.parse(ws.slice(ws.indexOf('\r\n\r\n') + 4))).toEqual({ error: { code: 'unauthorized', message: 'missing or invalid token' } });
    const preview = await rawUpgrade(hub, `/preview/%E0%A4%A/primary?token=${ENV.SG_VIEW}`);
    expect(preview).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(JSON.parse(preview.slice(preview.indexOf('\r\n\r\n') + 4)).error.code).toBe('bad_request');
  });
});

describe('hub HTTP: serving', () => {
  it('over TLS: the REST API on https with the configured certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-http-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const hub = await startHub(config({ tls: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') } }), { probes: false, tickMs: 0, env: ENV });
    try {
      expect(hub.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        https
          .get(`${hub.url}/api/v1/incidents/nope`, { ca: readFileSync(join(dir, 'cert.pem')), headers: VIEWER }, (res) => {
            let body = '';
            res.on('data', (d: Buffer) => (body += d.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          })
          .on('error', reject);
      });
      expect([answer.status, JSON.parse(answer.body)]).toEqual([404, { error: { code: 'not_found', message: 'no incident "nope"' } }]);
    } finally {
      await hub.stop();
    }
  });

  it('stop() ends an idle keep-alive connection instead of waiting for the client', async () => {
    const hub = await startHub(config(), { probes: false, tickMs: 0, env: ENV });
    const agent = new http.Agent({ keepAlive: true });
    let closed = false;
    try {
      await new Promise<void>((resolve, reject) => {
        http
          .get(`${hub.url}/healthz`, { agent }, (res) => {
            res.socket.once('close', () => (closed = true));
            res.resume();
            res.on('end', () => resolve());
          })
          .on('error', reject);
      });
      const t0 = Date.now();
      await hub.stop();
      await until('the keep-alive connection closed by the hub', () => closed, 2000);
      // The server's keep-alive timeout is 5 s: stop() did not wait for it.
      expect(Date.now() - t0).toBeLessThan(4000);
    } finally {
      agent.destroy();
      await hub.stop();
    }
  });
});
