/**
 * Cross-site requests against a real hub in open mode (loopback listen, no tokens): a command or a
 * WebSocket upgrade from a page of another origin is refused with 403 before it acts, and so is a
 * request whose Host names another host (DNS rebinding); requests without an Origin (curl, tools),
 * from the hub's own origins and from `hub.allowedOrigins` pass.
 */
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ConfigSchema, type Config } from '../../src/config/schema.ts';
import { startHub, type HubHandle } from '../../src/app/start.ts';

const JSON_TYPE = { 'content-type': 'application/json' };
const SWITCH = JSON.stringify({ stream: 's1', line: 'backup', reason: 'cross-site test' });

function config(hub: Record<string, unknown> = {}): Config {
  return ConfigSchema.parse({
    hub: { listen: '127.0.0.1:0', dataDir: mkdtempSync(join(tmpdir(), 'sg-origin-')), ...hub },
    probe: { embedded: false },
    streams: [{ id: 's1', lines: { primary: { url: 'rtmp://127.0.0.1:1/live/s1' }, backup: { url: 'rtmp://127.0.0.1:1/live/s1b' } } }],
  });
}

function request(hub: HubHandle, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; body: string }> {
  const port = Number(hub.address!.slice(hub.address!.lastIndexOf(':') + 1));
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Opens a WebSocket with these headers: 'open', or the status the hub refused the upgrade with. */
function upgrade(hub: HubHandle, path: string, headers: Record<string, string> = {}): Promise<number | 'open'> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${hub.address}${path}`, { headers });
    ws.on('open', () => (ws.close(), resolve('open')));
    ws.on('unexpected-response', (_req, res) => (res.resume(), resolve(res.statusCode ?? 0)));
    ws.on('error', (err) => reject(err));
  });
}

const activeLine = async (hub: HubHandle) => JSON.parse((await request(hub, '/api/v1/streams/s1/play?format=json')).body).active as string;

describe('open mode: origins and hosts', () => {
  let hub: HubHandle;
  let own: string;
  beforeAll(async () => {
    hub = await startHub(config({ allowedOrigins: ['https://console.example.com'] }), { probes: false, tickMs: 0, env: {} });
    own = `http://localhost:${hub.address!.slice(hub.address!.lastIndexOf(':') + 1)}`;
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it('refuses a command from a foreign origin with 403 and does not act', async () => {
    const text = await request(hub, '/api/v1/commands/switch', { method: 'POST', headers: { 'content-type': 'text/plain', origin: 'http://evil.example' }, body: SWITCH });
    expect(text.status).toBe(403);
    const plain = await request(hub, '/api/v1/commands/switch', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: SWITCH });
    expect(plain.status).toBe(415);
    const r = await request(hub, '/api/v1/commands/switch', { method: 'POST', headers: { ...JSON_TYPE, origin: 'http://evil.example' }, body: SWITCH });
    expect([r.status, JSON.parse(r.body)]).toEqual([403, { error: { code: 'forbidden', message: expect.stringMatching(/^origin http:\/\/evil\.example is not allowed/) } }]);
    for (const origin of ['null', `http://localhost:1`, 'https://console.example.com.evil.example']) {
      const o = await request(hub, '/api/v1/commands/switch', { method: 'POST', headers: { ...JSON_TYPE, origin }, body: SWITCH });
      expect([origin, o.status]).toEqual([origin, 403]);
    }
    const drill = await request(hub, '/api/v1/tickets/drill', { method: 'POST', headers: { ...JSON_TYPE, origin: 'http://evil.example' }, body: '{}' });
    expect(drill.status).toBe(403);
    expect(await activeLine(hub)).toBe('primary');
  });

  it('lets a command through from no origin, the hub\'s own origins and a configured one', async () => {
    const port = hub.address!.slice(hub.address!.lastIndexOf(':') + 1);
    const origins: Record<string, string>[] = [{}, { origin: own }, { origin: `http://127.0.0.1:${port}` }, { origin: `http://[::1]:${port}` }, { origin: 'https://console.example.com' }];
    for (const headers of origins) {
      const r = await request(hub, '/api/v1/commands/state', { method: 'POST', headers: { ...JSON_TYPE, ...headers }, body: '{}' });
      expect([headers, r.status]).toEqual([headers, 200]);
    }
    const r = await request(hub, '/api/v1/commands/switch', { method: 'POST', headers: { ...JSON_TYPE, origin: own }, body: SWITCH });
    expect(r.status).toBe(200);
    expect(await activeLine(hub)).toBe('backup');
  });

  it('refuses a WebSocket upgrade from a foreign origin before it opens', async () => {
    expect(await upgrade(hub, '/ws', { origin: 'http://evil.example' })).toBe(403);
    expect(await upgrade(hub, '/preview/s1/primary', { origin: 'http://evil.example' })).toBe(403);
    expect(await upgrade(hub, '/ws', { origin: own })).toBe('open');
    expect(await upgrade(hub, '/ws')).toBe('open');
  });

  it('refuses a Host of a foreign name (DNS rebinding), on requests and upgrades', async () => {
    const r = await request(hub, '/api/v1/commands/state', { method: 'POST', headers: { ...JSON_TYPE, host: 'evil.example:8080' }, body: '{}' });
    expect([r.status, JSON.parse(r.body)]).toEqual([403, { error: { code: 'forbidden', message: expect.stringMatching(/^host evil\.example is not allowed/) } }]);
    expect((await request(hub, '/api/v1/incidents', { headers: { host: 'evil.example' } })).status).toBe(403);
    expect(await upgrade(hub, '/ws', { host: 'evil.example' })).toBe(403);
    expect((await request(hub, '/api/v1/incidents', { headers: { host: 'localhost' } })).status).toBe(200);
  });

  it('validates hub.allowedOrigins as origins', () => {
    const bad = ConfigSchema.safeParse({ hub: { allowedOrigins: ['console.example.com', 'https://a.example/path'] }, streams: [] });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path.join('.')).filter((p) => p.startsWith('hub'))).toEqual(['hub.allowedOrigins.0', 'hub.allowedOrigins.1']);
  });
});
