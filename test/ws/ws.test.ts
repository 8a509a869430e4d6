import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ConfigSchema, type Config } from '../../src/config/schema.ts';
import { startHub, type HubHandle, type StartHubOptions } from '../../src/app/start.ts';
import type { Sample } from '../../src/model/sample.ts';
import { until } from '../helpers/until.ts';
import { FakeVendor } from '../tickets/helpers.ts';

const T0 = 1_700_000_000_000;
const REGIONS = ['eu', 'us'] as const;
const ENV = { SG_OPS: 'op-secret-1', SG_VIEW: 'view-secret-1' };

function config(over: Record<string, unknown> = {}): Config {
  return ConfigSchema.parse({
    hub: { listen: '127.0.0.1:0', dataDir: mkdtempSync(join(tmpdir(), 'sg-ws-')) },
    regions: [...REGIONS],
    streams: [
      { id: 's1', lines: { primary: { url: 'rtmp://127.0.0.1/live/s1' }, backup: { url: 'http://127.0.0.1:8000/live/s1.flv' } } },
      { id: 's2', lines: { primary: { url: 'rtmp://127.0.0.1/live/s2' }, backup: { url: 'http://127.0.0.1:8000/live/s2.flv' } } },
    ],
    auth: {
      tokens: [
        { name: 'alice', role: 'operator', tokenEnv: 'SG_OPS' },
        { name: 'victor', role: 'viewer', tokenEnv: 'SG_VIEW' },
      ],
    },
    ...over,
  });
}

const handles: HubHandle[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  for (const h of handles.splice(0)) await h.stop();
});

async function manualHub(cfg = config(), extra: StartHubOptions = {}) {
  let now = T0;
  const handle = await startHub(cfg, { probes: false, tickMs: 0, clock: () => now, env: ENV, ...extra });
  handles.push(handle);
  const seq = new Map<string, number>();
  function sample(region: string, stream: string, line: string, over: Partial<Sample> = {}): Sample {
    const probe = `p-${region}`;
    const n = (seq.get(probe) ?? 0) + 1;
    seq.set(probe, n);
    return { probe, region, stream, line, seq: n, t: now, windowMs: 1000, connected: true, fps: 25, bitrateBps: 2e6, width: 1280, height: 720, maxGapMs: 40, stallMs: 0, freezeMs: 0, ...over };
  }
  function window(down: readonly string[] = []): void {
    now += 1000;
    for (const region of REGIONS) {
      for (const stream of ['s1', 's2']) {
        for (const line of ['primary', 'backup']) {
          const bad = down.includes(`${stream}/${line}`);
          handle.ingest(sample(region, stream, line, bad ? { connected: false, fps: 0, bitrateBps: 0, error: 'refused' } : {}), { trusted: true });
        }
      }
    }
    handle.hub.tick();
  }
  return { handle, window, now: () => now, wsUrl: handle.url!.replace(/^http/, 'ws') + '/ws' };
}

type Msg = Record<string, any>;

/** A real ws client that keeps every message and answers requests by id. */
async function client(url: string, token?: string) {
  const ws = new WebSocket(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  sockets.push(ws);
  const msgs: Msg[] = [];
  const waiters: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString()) as Msg;
    msgs.push(m);
    for (const w of [...waiters]) if (w.pred(m)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(m));
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  let n = 0;
  const next = (pred: (m: Msg) => boolean, ms = 3000) =>
    new Promise<Msg>((resolve, reject) => {
      const found = msgs.find(pred);
      if (found) return resolve(found);
      const t = setTimeout(() => reject(new Error('timeout waiting for a message')), ms);
      waiters.push({ pred, resolve: (m) => (clearTimeout(t), resolve(m)) });
    });
  const req = (m: Msg) => {
    const id = `r${++n}`;
    ws.send(JSON.stringify({ id, ...m }));
    return next((x) => x.id === id);
  };
  await next((m) => m.type === 'hello');
  return { ws, msgs, next, req };
}

async function post(h: HubHandle, type: string, body: unknown, token?: string) {
  const res = await fetch(`${h.url}/api/v1/commands/${type}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Msg };
}

describe('ws operator API: auth and roles', () => {
  it('refuses a bad header token at the upgrade, and a bad first-message token with unauthorized', async () => {
    const { wsUrl, handle } = await manualHub();
    await expect(client(wsUrl, 'nope')).rejects.toThrow(/401/);
    const c = await client(wsUrl);
    expect((await c.req({ type: 'state' })).error.code).toBe('unauthorized');
    const closed = new Promise<number>((r) => c.ws.once('close', (code) => r(code)));
    expect(await c.req({ type: 'auth', token: 'wrong' })).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(await closed).toBe(4401);
    const ok = await client(wsUrl);
    expect(await ok.req({ type: 'auth', token: ENV.SG_VIEW })).toMatchObject({ ok: true, result: { name: 'victor', role: 'viewer' } });
    expect((await ok.req({ type: 'state' })).ok).toBe(true);
    expect((await handle.store.audit.recent(10))).toEqual([]);
  });

  it('a viewer reads but cannot act: forbidden, nothing done, nothing audited', async () => {
    const { wsUrl, handle } = await manualHub();
    const v = await client(wsUrl, ENV.SG_VIEW);
    const r = await v.req({ type: 'pin', stream: 's1', line: 'backup', reason: 'test', ttlMs: 60_000 });
    expect(r).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(handle.controller!.served('s1')!.active).toBe('primary');
    expect((await handle.store.audit.recent(10))).toEqual([]);
    // Same over REST.
    expect((await post(handle, 'pin', { stream: 's1', line: 'backup', reason: 'x' }, ENV.SG_VIEW)).status).toBe(403);
    expect((await post(handle, 'pin', { stream: 's1', line: 'backup', reason: 'x' }, 'bad')).status).toBe(401);
    expect((await post(handle, 'pin', { stream: 's1', line: 'backup', reason: 'x' })).status).toBe(401);
    expect(handle.controller!.served('s1')!.active).toBe('primary');
    // REST reads need a token too when tokens are configured; /healthz stays open.
    expect((await fetch(`${handle.url}/api/v1/incidents`)).status).toBe(401);
    expect((await fetch(`${handle.url}/api/v1/incidents`, { headers: { authorization: `Bearer ${ENV.SG_VIEW}` } })).status).toBe(200);
    expect((await fetch(`${handle.url}/healthz`)).status).toBe(200);
  });

  it('no tokens: open on loopback (anonymous operator); locked beyond loopback', async () => {
    const { wsUrl, handle } = await manualHub(config({ auth: { tokens: [] } }));
    const c = await client(wsUrl);
    expect(await c.req({ type: 'auth', token: 'whatever' })).toMatchObject({ ok: true, result: { name: 'anonymous', role: 'operator' } });
    const r = await c.req({ type: 'switch', stream: 's1', line: 'backup', reason: 'open mode' });
    expect(r.ok).toBe(true);
    expect((await handle.store.audit.recent(5)).find((a) => a.action === 'ws.switch')).toMatchObject({ actor: 'anonymous', reason: 'open mode' });
    const locked = await manualHub(config({ auth: { tokens: [] }, hub: { listen: '0.0.0.0:0', dataDir: mkdtempSync(join(tmpdir(), 'sg-ws-')) } }));
    const url = `ws://127.0.0.1:${locked.handle.url!.split(':').at(-1)}/ws`;
    await expect(client(url)).rejects.toThrow(/401/);
    expect((await post(locked.handle, 'state', {})).status).toBe(401);
  });

  it('a missing token environment variable fails the start with a config error', async () => {
    await expect(startHub(config(), { probes: false, tickMs: 0, env: {} })).rejects.toThrow(/SG_OPS/);
  });
});

describe('ws operator API: commands', () => {
  it('pin switches the served line (and /play follows), failback unpins; both audited with who and why', async () => {
    const { wsUrl, handle, now } = await manualHub();
    const c = await client(wsUrl, ENV.SG_OPS);
    expect((await c.req({ type: 'pin', stream: 's1', line: 'backup', reason: 'primary vendor maintenance' })).error.code).toBe('bad_request'); // pin needs an expiry
    const r = await c.req({ type: 'pin', stream: 's1', line: 'backup', reason: 'primary vendor maintenance', ttlMs: 600_000 });
    expect(r).toMatchObject({ ok: true, result: { stream: 's1', until: now() + 600_000 } });
    expect(handle.controller!.served('s1')!.active).toBe('backup');
    const play = await fetch(`${handle.url}/api/v1/streams/s1/play?format=json`);
    expect(((await play.json()) as Msg).url).toBe('http://127.0.0.1:8000/live/s1.flv');
    const state = await c.req({ type: 'state' });
    expect(state.result.streams.find((s: Msg) => s.id === 's1')).toMatchObject({ active: 'backup', pin: { value: 'backup', reason: 'primary vendor maintenance' } });

    // Fail back = drop the pin and hand the stream back to the policies (failback after their hold-off).
    const fb = await c.req({ type: 'failback', stream: 's1', reason: 'maintenance over' });
    expect(fb.ok).toBe(true);
    expect(fb.result.state.line.pin).toBeUndefined();
    // Going back at once is a switch to the primary.
    expect((await c.req({ type: 'switch', stream: 's1', line: 'primary', reason: 'back now', ttlMs: 60_000 })).ok).toBe(true);
    expect(handle.controller!.served('s1')!.active).toBe('primary');
    const audit = (await handle.store.audit.recent(50)).filter((a) => a.action.startsWith('ws.'));
    expect(audit.map((a) => [a.actor, a.action, a.target, a.reason])).toEqual(
      expect.arrayContaining([
        ['alice', 'ws.pin', 's1', 'primary vendor maintenance'],
        ['alice', 'ws.failback', 's1', 'maintenance over'],
      ]),
    );
    // Unknown stream / line → not_found, nothing done.
    expect((await c.req({ type: 'switch', stream: 'nope', line: 'backup', reason: 'x' })).error.code).toBe('not_found');
    expect((await c.req({ type: 'switch', stream: 's1', line: 'tertiary', reason: 'x' })).error.code).toBe('not_found');
    // A reason is required.
    expect((await c.req({ type: 'switch', stream: 's1', line: 'backup', reason: ' ' })).error).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/reason/) });
    expect(handle.controller!.served('s1')!.active).toBe('primary');
  });

  it('the same commands over REST: switch and feature off, with the same audit', async () => {
    const { handle } = await manualHub();
    const r = await post(handle, 'switch', { stream: 's2', line: 'backup', reason: 'rest switch' }, ENV.SG_OPS);
    expect(r.status).toBe(200);
    expect(handle.controller!.served('s2')!.active).toBe('backup');
    const f = await post(handle, 'feature', { stream: 's2', feature: 'gifts', enabled: false, reason: 'gifts lag', ttlMs: 60_000 }, ENV.SG_OPS);
    expect(f.status).toBe(200);
    expect(handle.controller!.served('s2')!.features.gifts).toBe(false);
    const feats = (await (await fetch(`${handle.url}/api/v1/streams/s2/features`)).json()) as Msg;
    expect(feats.features.gifts).toBe(false);
    expect((await post(handle, 'feature', { stream: 's2', feature: 'gifts', enabled: 'auto', reason: 'fixed' }, ENV.SG_OPS)).status).toBe(200);
    expect(handle.controller!.served('s2')!.features.gifts ?? true).toBe(true);
    expect((await handle.store.audit.recent(50)).filter((a) => a.action.startsWith('api.')).map((a) => [a.actor, a.action, a.reason])).toEqual(
      expect.arrayContaining([
        ['alice', 'api.switch', 'rest switch'],
        ['alice', 'api.feature', 'gifts lag'],
        ['alice', 'api.feature', 'fixed'],
      ]),
    );
    expect((await post(handle, 'bogus', {}, ENV.SG_OPS)).status).toBe(404);
    expect((await post(handle, 'switch', '{not json', ENV.SG_OPS)).status).toBe(400);
    const state = await fetch(`${handle.url}/api/v1/state`, { headers: { authorization: `Bearer ${ENV.SG_VIEW}` } });
    expect(state.status).toBe(200);
  });

  it('incident pushes on open; ack, note and assign land on the timeline and the audit log; silences mute pushes', async () => {
    const { wsUrl, handle, window } = await manualHub();
    const op = await client(wsUrl, ENV.SG_OPS);
    const viewer = await client(wsUrl, ENV.SG_VIEW);
    expect(await op.req({ type: 'subscribe', topics: ['incidents', 'health', 'actions'] })).toMatchObject({ ok: true });
    expect((await viewer.req({ type: 'subscribe', topics: ['incidents'] })).ok).toBe(true);
    expect((await viewer.req({ type: 'subscribe', topics: ['nope'] })).error.code).toBe('bad_request');
    expect((await viewer.req({ type: 'subscribe', topics: ['samples:zzz'] })).error.code).toBe('not_found');
    for (let i = 0; i < 6; i++) window();
    window(['s1/primary']);
    const ev = await op.next((m) => m.type === 'event' && m.topic === 'incidents' && m.data.change === 'opened');
    expect(ev.data.incident).toMatchObject({ key: 's1/primary/down', status: 'open' });
    await viewer.next((m) => m.type === 'event' && m.topic === 'incidents' && m.data.change === 'opened');
    await op.next((m) => m.type === 'event' && m.topic === 'health' && m.data.change === 'opened');
    const id = ev.data.incident.id as string;

    const list = await viewer.req({ type: 'incidents', stream: 's1', severity: 'P1' });
    expect(list.result.incidents.map((i: Msg) => i.id)).toEqual([id]);
    expect((await viewer.req({ type: 'incidents', severity: ['P0', 'P2'] })).result.incidents).toEqual([]);
    expect((await viewer.req({ type: 'incidents', to: ev.data.incident.openedAt - 1 })).result.incidents).toEqual([]);
    expect((await viewer.req({ type: 'incidents', from: ev.data.incident.openedAt, state: 'open' })).result.total).toBe(1);
    expect((await viewer.req({ type: 'incidents', state: 'bogus' })).error.code).toBe('bad_request');
    expect((await viewer.req({ type: 'incidents', stream: 's2' })).result.incidents).toEqual([]);

    expect((await op.req({ type: 'ack', incident: 'nope', reason: 'x' })).error.code).toBe('not_found');
    expect(await op.req({ type: 'ack', incident: id, reason: 'on it' })).toMatchObject({ ok: true, result: { incident: { status: 'acknowledged' } } });
    expect((await op.req({ type: 'note', incident: id, note: 'vendor says CDN node eu-3' })).ok).toBe(true);
    expect((await op.req({ type: 'assign', incident: id, role: 'comms', person: 'bob', reason: 'customer updates' })).ok).toBe(true);
    const one = await viewer.req({ type: 'incident', incident: id });
    const types = one.result.timeline.map((e: Msg) => e.type);
    expect(types).toEqual(expect.arrayContaining(['acknowledged', 'note']));
    expect(JSON.stringify(one.result.timeline)).toContain('role.assigned');
    expect((await handle.store.audit.recent(50)).filter((a) => a.action.startsWith('ws.')).map((a) => [a.actor, a.action, a.target])).toEqual(
      expect.arrayContaining([
        ['alice', 'ws.ack', id],
        ['alice', 'ws.note', id],
        ['alice', 'ws.assign', id],
      ]),
    );

    // Silence s2 for 10 min: its incident is not pushed, s1's still are.
    const sil = await op.req({ type: 'silence', matcher: { stream: 's2' }, reason: 'maintenance', ttlMs: 600_000 });
    expect(sil.ok).toBe(true);
    expect((await viewer.req({ type: 'silences' })).result.silences).toHaveLength(1);
    const before = viewer.msgs.length;
    window(['s1/primary', 's2/primary']);
    window(['s1/primary', 's2/primary']);
    await viewer.req({ type: 'ping' });
    const pushed = viewer.msgs.slice(before).filter((m) => m.type === 'event');
    expect(pushed.some((m) => m.data.incident?.stream === 's2')).toBe(false);
    expect(handle.hub.incidents.open().some((i) => i.stream === 's2')).toBe(true);
    expect((await op.req({ type: 'unsilence', silence: sil.result.silence.id, reason: 'done' })).ok).toBe(true);
    expect((await viewer.req({ type: 'silences' })).result.silences).toEqual([]);
  });

  it('health pushes every level change of a probe\'s view, incident or not: a line first seen, down, and up again before its incident clears', async () => {
    const { wsUrl, handle, window } = await manualHub();
    const c = await client(wsUrl, ENV.SG_VIEW);
    await c.req({ type: 'subscribe', topics: ['health'] });
    const level = (to: string) => (m: Msg) => m.type === 'event' && m.topic === 'health' && m.data.change === 'level' && m.data.stream === 's1' && m.data.line === 'primary' && m.data.level === to;
    window();
    // A console opened before the probes were heard learns from this that the lines came up.
    expect((await c.next(level('ok'))).data).toEqual({ stream: 's1', line: 'primary', region: REGIONS[0], level: 'ok', change: 'level' });
    expect(c.msgs.filter((m) => m.topic === 'health').length).toBe(REGIONS.length * 4);
    for (let i = 0; i < 6; i++) window();
    const quiet = c.msgs.length;
    window();
    await c.req({ type: 'ping' });
    expect(c.msgs.slice(quiet).filter((m) => m.topic === 'health')).toEqual([]);
    window(['s1/primary']);
    await c.next(level('down'));
    window();
    await c.next(level('ok'));
    expect(handle.hub.incidents.open().some((i) => i.key === 's1/primary/down')).toBe(true);
  });

  it('ack on a resolved incident answers conflict, changes nothing and is audited as refused', async () => {
    const { wsUrl, handle, window } = await manualHub();
    for (let i = 0; i < 3; i++) window();
    for (let i = 0; i < 3; i++) window(['s1/primary']);
    const inc = handle.hub.incidents.open().find((i) => i.key === 's1/primary/down')!;
    expect(handle.hub.incidents.act(inc.id, { type: 'resolve', by: 'test' }, handle.hub.clock()).rejected).toBeUndefined();
    const op = await client(wsUrl, ENV.SG_OPS);
    const r = await op.req({ type: 'ack', incident: inc.id, reason: 'late' });
    expect(r.ok).toBe(false);
    expect(r.error.code).toBe('conflict');
    expect((await handle.store.incidents.get(inc.id))?.status).toBe('resolved');
    const row = (await handle.store.audit.recent(50)).find((a) => a.action === 'ws.ack' && a.target === inc.id);
    expect(row?.data).toMatchObject({ outcome: 'error: conflict' });
  });

  it('history returns a stream\'s samples; samples:<stream> pushes live samples', async () => {
    const { wsUrl, window } = await manualHub();
    const c = await client(wsUrl, ENV.SG_VIEW);
    await c.req({ type: 'subscribe', topics: ['samples:s2'] });
    window();
    const ev = await c.next((m) => m.type === 'event' && m.topic === 'samples:s2');
    expect(ev.data.stream).toBe('s2');
    expect(c.msgs.some((m) => m.topic === 'samples:s1')).toBe(false);
    window();
    const h = await c.req({ type: 'history', stream: 's1', line: 'primary' });
    expect(h.ok).toBe(true);
    expect(h.result.samples.length).toBe(4);
    expect((await c.req({ type: 'history', stream: 'zz' })).error.code).toBe('not_found');
  });
});

describe('ws operator API: ticket by hand', () => {
  it('ws `ticket` opens one vendor ticket; again (REST twin) updates it; reason and operator role required; audited', async () => {
    const desk = await new FakeVendor().start();
    try {
      const { wsUrl, handle, window } = await manualHub(config({ vendors: [{ name: 'desk', type: 'desk', url: desk.url, minSeverity: 'P0' }] }));
      for (let i = 0; i < 3; i++) window();
      for (let i = 0; i < 3; i++) window(['s1/primary']);
      const inc = handle.hub.incidents.open().find((i) => i.key === 's1/primary/down')!;
      const c = await client(wsUrl, ENV.SG_OPS);
      expect((await c.req({ type: 'ticket', incident: inc.id })).error.code).toBe('bad_request');
      const viewer = await client(wsUrl, ENV.SG_VIEW);
      expect((await viewer.req({ type: 'ticket', incident: inc.id, reason: 'x' })).error.code).toBe('forbidden');
      expect((await c.req({ type: 'ticket', incident: 'nope', reason: 'x' })).error.code).toBe('not_found');
      // An unknown vendor is refused like an unknown incident: named with the known ones, not audited (nothing was done).
      expect((await c.req({ type: 'ticket', incident: inc.id, vendor: 'other', reason: 'x' })).error).toEqual({ code: 'not_found', message: 'no ticket vendor "other" (ticket vendors: desk)' });
      expect(await post(handle, 'ticket', { incident: inc.id, vendor: 'dsek', reason: 'typo' }, ENV.SG_OPS)).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'no ticket vendor "dsek" (ticket vendors: desk)' } } });
      const r = await c.req({ type: 'ticket', incident: inc.id, reason: 'P1 below the desk minimum, but the vendor must look' });
      expect(r.result).toEqual({ incidentId: inc.id, vendors: [{ vendor: 'desk', sent: 'open' }] });
      await until('the desk ticket', () => desk.tickets.size === 1);
      const again = await post(handle, 'ticket', { incident: inc.id, vendor: 'desk', reason: 'no answer yet' }, ENV.SG_OPS);
      expect(again).toMatchObject({ status: 200, body: { ok: true, result: { vendors: [{ vendor: 'desk', sent: 'update' }] } } });
      await until('the request on the ticket', () => [...desk.tickets.values()][0]!.comments.some((x) => x.includes('no answer yet')));
      expect(desk.tickets.size).toBe(1);
      expect((await handle.store.audit.recent(50)).filter((a) => a.action.endsWith('.ticket')).map((a) => [a.actor, a.action, a.target, a.reason, (a.data as Msg).outcome]).sort()).toEqual([
        ['alice', 'api.ticket', inc.id, 'no answer yet', 'ok'],
        ['alice', 'ws.ticket', inc.id, 'P1 below the desk minimum, but the vendor must look', 'ok'],
      ]);
    } finally {
      await desk.stop();
    }
  });
});

describe('ws operator API: maintenance silence', () => {
  it('survives a hub restart, holds back the matching incident\'s ticket (the incident is still recorded, the failover still acts), and the ticket goes out when it is removed', async () => {
    const desk = await new FakeVendor().start();
    try {
      const cfg = config({ vendors: [{ name: 'desk', type: 'desk', url: desk.url }] });
      const first = await manualHub(cfg);
      const c1 = await client(first.wsUrl, ENV.SG_OPS);
      const set = await c1.req({ type: 'silence', matcher: { stream: 's1' }, ttlMs: 600_000, reason: 'encoder swap 02:00-02:30' });
      const id = set.result.silence.id as string;
      c1.ws.terminate();
      await first.handle.stop();
      handles.splice(handles.indexOf(first.handle), 1);

      const { handle, window, wsUrl } = await manualHub(cfg);
      const c = await client(wsUrl, ENV.SG_OPS);
      expect((await c.req({ type: 'silences' })).result.silences.map((x: Msg) => x.id)).toEqual([id]);
      for (let i = 0; i < 3; i++) window();
      for (let i = 0; i < 3; i++) window(['s1/primary', 's2/primary']);
      const s1 = handle.hub.incidents.open().find((i) => i.key === 's1/primary/down')!;
      const s2 = handle.hub.incidents.open().find((i) => i.key === 's2/primary/down')!;
      await handle.tickets!.tick();
      await until('the unsilenced stream\'s ticket', () => [...desk.tickets.values()].some((t) => t.externalId === s2.id));
      expect([...desk.tickets.values()].some((t) => t.externalId === s1.id)).toBe(false);
      expect((await handle.store.incidents.timeline(s1.id)).some((e) => (e.data as Msg).action === 'ticket-held')).toBe(true);
      expect(handle.controller!.served('s1')!.active).toBe('backup'); // the failover policy still acts

      expect((await c.req({ type: 'unsilence', silence: id, reason: 'work done' })).ok).toBe(true);
      await handle.tickets!.tick();
      await until('the held ticket', async () => (await handle.tickets!.tick(), [...desk.tickets.values()].some((t) => t.externalId === s1.id)));
      expect(desk.tickets.size).toBe(2);
    } finally {
      await desk.stop();
    }
  });
});

describe('ws operator API: drill', () => {
  it('runs a drill through the tickets service, audited', async () => {
    const { wsUrl, handle } = await manualHub();
    const c = await client(wsUrl, ENV.SG_OPS);
    expect((await c.req({ type: 'drill' })).error.code).toBe('bad_request'); // no reason
    const r = await c.req({ type: 'drill', reason: 'weekly drill', waitAckMs: 0 });
    expect(r.ok).toBe(true);
    expect(r.result.report).toBeDefined();
    expect((await handle.store.audit.recent(10)).find((a) => a.action === 'ws.drill')).toMatchObject({ actor: 'alice', target: 'tickets', reason: 'weekly drill', data: { role: 'operator', outcome: 'ok' } });
  });
});

describe('ws operator API: robustness', () => {
  it('malformed JSON, unknown types, bad fields and binary frames get error replies; oversized frames close 1009; the hub keeps serving', async () => {
    const { wsUrl } = await manualHub(config(), { ws: { maxMessageBytes: 4096 } });
    const c = await client(wsUrl, ENV.SG_OPS);
    c.ws.send('{nope');
    expect(await c.next((m) => m.ok === false && /malformed/.test(m.error.message))).toMatchObject({ id: null, error: { code: 'bad_request' } });
    expect((await c.req({ type: 'launch-missiles' })).error).toMatchObject({ code: 'bad_request', message: expect.stringMatching(/unknown message type/) });
    expect((await c.req({ type: 'pin', stream: 's1', line: 3, reason: 'x', ttlMs: 60_000 })).error.code).toBe('bad_request');
    c.ws.send(Buffer.from([1, 2, 3]));
    await c.next((m) => m.ok === false && /binary/.test(m.error.message));
    c.ws.send('[]');
    await c.next((m) => m.id === null && m.ok === false && m.error.code === 'bad_request' && !/binary|malformed/.test(m.error.message));
    const closed = new Promise<number>((r) => c.ws.once('close', (code) => r(code)));
    c.ws.send(JSON.stringify({ id: 'big', type: 'note', incident: 'x', note: 'a'.repeat(10_000) }));
    expect(await closed).toBe(1009);
    const d = await client(wsUrl, ENV.SG_OPS);
    expect((await d.req({ type: 'state' })).ok).toBe(true);
  });

  it('a stuck client (never reads) is dropped or cut off without slowing the others', async () => {
    const { wsUrl, handle, window } = await manualHub(config(), { ws: { maxBufferedBytes: 16 * 1024, maxDropped: 50 } });
    const stuck = await client(wsUrl, ENV.SG_VIEW);
    await stuck.req({ type: 'subscribe', topics: ['samples:s1', 'samples:s2'] });
    const good = await client(wsUrl, ENV.SG_VIEW);
    await good.req({ type: 'subscribe', topics: ['samples:s1'] });
    // Stop reading on the stuck client's socket: the kernel buffers fill, then ws.bufferedAmount grows.
    (stuck.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const t0 = Date.now();
    // Client and hub share this process: yield between batches so the good client gets to read.
    for (let i = 0; i < 8000; i++) {
      window();
      if (i % 20 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(Date.now() - t0).toBeLessThan(20_000);
    // The good client sees samples up to the last window.
    await good.next((m) => m.type === 'event' && m.topic === 'samples:s1' && m.data.seq >= 8000 * 4 - 3, 10_000);
    // The stuck one was cut off (hard cap, or 50 drops in a row then close + terminate after 1 s).
    const t1 = Date.now();
    while (handle.ws!.connections > 1 && Date.now() - t1 < 5000) await new Promise((r) => setTimeout(r, 50));
    expect(handle.ws!.stats()).toMatchObject({ connections: 1, slowDisconnects: 1 });
    expect((await good.req({ type: 'ping' })).ok).toBe(true);
  }, 60_000);

  it('heartbeats terminate a client that stops answering pings', async () => {
    const { wsUrl, handle } = await manualHub(config(), { ws: { heartbeatMs: 100 } });
    const c = await client(wsUrl, ENV.SG_VIEW);
    // A ws client answers pings automatically; pausing its socket makes it look dead.
    (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const t0 = Date.now();
    while (handle.ws!.connections > 0 && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 50));
    expect(handle.ws!.connections).toBe(0);
  });
});

describe('/readyz', () => {
  it('is 503 until a probe is heard, then 200', async () => {
    const { handle, window } = await manualHub();
    const r1 = await fetch(`${handle.url}/readyz`);
    expect(r1.status).toBe(503);
    expect(((await r1.json()) as Msg).checks).toMatchObject({ store: { ok: true }, probes: { ok: false } });
    window();
    const r2 = await fetch(`${handle.url}/readyz`);
    expect(r2.status).toBe(200);
  });
});
