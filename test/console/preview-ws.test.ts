/**
 * The console preview at the WebSocket level, against a real hub, the real lab and a real ffmpeg:
 * two viewers share one ffmpeg, which is gone (by PID) a grace period after they leave; unknown
 * lines and paths are refused; with tokens the preview needs one (`?token=`).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ConfigSchema } from '../../src/config/schema.ts';
import { PREVIEW_GRACE_MS } from '../../src/console/preview.ts';
import { startHub, type HubHandle } from '../../src/app/start.ts';
import { startLab, type Lab } from '../../src/lab/index.ts';
import { gone } from '../helpers/gone.ts';

let lab: Lab;
let hub: HubHandle;
let locked: HubHandle;
const ENV = { SG_VIEW: 'view-secret' };


/** CPU seconds (user + system) a process has used, from /proc (clock ticks of 1/100 s). */
const cpuSeconds = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};

/** The HTTP answer to an upgrade that is refused (or 101). */
function upgrade(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('open', () => (ws.close(), resolve({ status: 101, body: '' })));
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('error', (err) => reject(err));
  });
}

/** A viewer that counts the bytes it receives. */
function viewer(url: string): Promise<{ ws: WebSocket; bytes: () => number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    let n = 0;
    ws.on('message', (d: Buffer) => (n += d.length));
    ws.on('open', () => resolve({ ws, bytes: () => n }));
    ws.on('error', reject);
  });
}

/** Everything the hub writes back to a raw upgrade request, until it closes the socket. */
function rawUpgrade(address: string, path: string): Promise<string> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    const s = connect(port, host, () => s.write(`GET ${path} HTTP/1.1\r\nhost: ${address}\r\nconnection: Upgrade\r\nupgrade: websocket\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`));
    let text = '';
    s.on('data', (d) => (text += d.toString()));
    s.on('end', () => resolve(text));
    s.on('error', reject);
    setTimeout(() => (s.destroy(), reject(new Error(`no close after: ${text}`))), 3000).unref();
  });
}

function config(extra: object = {}) {
  const line = (name: 'primary' | 'backup') => ({ url: lab.url('s1', name, 'http-flv') });
  return ConfigSchema.parse({ hub: { listen: '127.0.0.1:0', dataDir: mkdtempSync(join(tmpdir(), 'sg-preview-')) }, streams: [{ id: 's1', lines: { primary: line('primary'), backup: line('backup') } }], ...extra });
}

describe('console preview over WebSocket', () => {
  beforeAll(async () => {
    lab = await startLab({ streams: [{ id: 's1', protocols: ['rtmp'] }] });
    hub = await startHub(config(), { probes: false, tickets: false });
    locked = await startHub(config({ auth: { tokens: [{ name: 'wall', role: 'viewer', tokenEnv: 'SG_VIEW' }] } }), { probes: false, tickets: false, env: ENV });
  }, 30_000);

  afterAll(async () => {
    await hub?.stop();
    await locked?.stop();
    await lab?.stop();
  });

  it('two viewers of a line share one ffmpeg; it is gone a grace period after both leave', async () => {
    const url = `${hub.url!.replace('http', 'ws')}/preview/s1/primary`;
    const a = await viewer(url);
    const b = await viewer(url);
    await expect.poll(() => Math.min(a.bytes(), b.bytes()), { timeout: 15_000 }).toBeGreaterThan(10_000);
    const list = hub.preview!.list();
    expect(list).toEqual([{ key: 's1/primary', pid: expect.any(Number), viewers: 2 }]);
    const pid = list[0]!.pid!;
    expect(gone(pid)).toBe(false);
    console.log(`preview: ${a.bytes()} and ${b.bytes()} bytes to two viewers from one ffmpeg (pid ${pid})`);
    // What one preview costs (the reason for MAX_PREVIEWS).
    const [cpu0, t0] = [cpuSeconds(pid), Date.now()];
    await new Promise((r) => setTimeout(r, 3000));
    console.log(`preview: ffmpeg used ${((100 * (cpuSeconds(pid) - cpu0)) / ((Date.now() - t0) / 1000)).toFixed(0)} % of a core over 3 s`);

    a.ws.close();
    await expect.poll(() => hub.preview!.list()[0]?.viewers).toBe(1);
    b.ws.close();
    const left = Date.now();
    await new Promise((r) => setTimeout(r, PREVIEW_GRACE_MS - 1000));
    expect(gone(pid)).toBe(false); // still in its grace
    await expect.poll(() => gone(pid), { timeout: 5000, interval: 100 }).toBe(true);
    console.log(`preview: ffmpeg ${pid} gone ${Date.now() - left} ms after the last viewer left`);
    expect(hub.preview!.list()).toEqual([]);
  }, 40_000);

  it('refuses an unknown stream, line or path with a 404 (and keeps /ws working)', async () => {
    const base = hub.url!.replace('http', 'ws');
    const line = await upgrade(`${base}/preview/s1/nope`);
    expect(line.status).toBe(404);
    expect(JSON.parse(line.body).error.message).toBe('stream "s1" has no line "nope" (lines: primary, backup)');
    const stream = await upgrade(`${base}/preview/zz/primary`);
    expect(stream.status).toBe(404);
    expect(JSON.parse(stream.body).error.message).toContain('no stream "zz"');
    // Three upgrade handlers share the server (/ws, /probes, /preview/): exactly one answer, then close.
    for (const path of ['/nowhere', '/preview/s1/nope']) {
      const raw = await rawUpgrade(hub.address!, path);
      expect(raw.match(/HTTP\/1\.1 /g)).toEqual(['HTTP/1.1 ']);
      expect(raw).toMatch(/^HTTP\/1\.1 404 /);
    }
    expect((await upgrade(`${base}/ws`)).status).toBe(101);
    expect((await upgrade(`${base}/probes`)).status).toBe(101); // the uplink's (it then closes 4401 without a probe token)
    expect(hub.preview!.list()).toEqual([]);
  });

  it('with tokens: refused without one (401), any role may watch with ?token=', async () => {
    const base = `${locked.url!.replace('http', 'ws')}/preview/s1/backup`;
    const none = await upgrade(base);
    expect(none.status).toBe(401);
    expect((await upgrade(`${base}?token=wrong`)).status).toBe(401);
    const v = await viewer(`${base}?token=${ENV.SG_VIEW}`);
    await expect.poll(() => v.bytes(), { timeout: 15_000 }).toBeGreaterThan(0);
    v.ws.close();
  }, 30_000);
});
