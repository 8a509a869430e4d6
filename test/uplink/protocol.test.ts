import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { UplinkBuffer } from '../../probes/uplink/buffer.ts';
import { UplinkClient } from '../../probes/uplink/client.ts';
import { startProbeWorker } from '../../probes/uplink/worker.ts';
import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { startHub, type HubHandle } from '../../src/app/start.ts';
import { FaultProxy } from '../../src/lab/fault-proxy.ts';
import { DEFAULT_PROBE_HEALTH } from '../../src/model/probe-health.ts';
import type { Sample } from '../../src/model/sample.ts';
import type { Assignment, HubMessage } from '../../src/model/probe-protocol.ts';
import { until } from '../helpers/until.ts';

/**
 * The uplink protocol against a real hub (startHub: SQLite, HTTP server, /probes) in this process,
 * with raw WebSocket clients for the hostile cases and the probe's UplinkClient for the rest.
 */

process.env.SG_TEST_TOKEN_EU = 'eu-token-0123456789';
process.env.SG_TEST_TOKEN_US = 'us-token-0123456789';

const handles: HubHandle[] = [];
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  for (const h of handles.splice(0)) await h.stop();
});

function config(extra = '', streams = ['s1']): Config {
  const text = [
    'hub: { listen: "127.0.0.1:0" }',
    'probe: { embedded: false }',
    'regions: [eu, us]',
    'uplink:',
    '  heartbeatMs: 300',
    '  maxMessageBytes: 65536',
    '  probes:',
    '    - { id: probe-eu, region: eu, tokenEnv: SG_TEST_TOKEN_EU }',
    '    - { id: probe-us, region: us, tokenEnv: SG_TEST_TOKEN_US }',
    extra,
    'streams:',
    ...streams.flatMap((s) => [`  - id: ${s}`, '    lines:', `      primary: { url: "rtmp://127.0.0.1:1/live/${s}", regionUrls: { us: "rtmp://127.0.0.2:1/live/${s}" } }`]),
    '',
  ].join('\n');
  const { config: c, errors } = parseConfig(text);
  if (!c) throw new Error(JSON.stringify(errors));
  return c;
}

async function hub(c = config()): Promise<HubHandle & { ws: string }> {
  const h = await startHub(c, { dataDir: mkdtempSync(join(tmpdir(), 'sg-uplink-')), probes: false });
  handles.push(h);
  return Object.assign(h, { ws: `${h.url!.replace(/^http/, 'ws')}/probes` });
}

function sample(seq: number, over: Partial<Sample> = {}): Sample {
  return { probe: 'probe-eu', region: 'eu', stream: 's1', line: 'primary', seq, t: Date.now(), windowMs: 1000, connected: true, fps: 25, bitrateBps: 1e6, maxGapMs: 40, stallMs: 0, freezeMs: 0, ...over };
}

/** A raw protocol client: every message it receives, and how it closed. */
function raw(url: string, token: string | undefined) {
  const ws = new WebSocket(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const got: HubMessage[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, r) => resolve({ code, reason: r.toString() })));
  ws.on('message', (d) => got.push(JSON.parse(d.toString()) as HubMessage));
  ws.on('error', () => undefined);
  const opened = new Promise<void>((resolve) => ws.on('open', () => resolve()));
  cleanups.push(() => ws.terminate());
  return { ws, got, closed, opened, send: (m: unknown) => ws.send(typeof m === 'string' ? m : JSON.stringify(m)) };
}

async function storedSeqs(h: HubHandle, probe = 'probe-eu'): Promise<number[]> {
  await h.hub.flush();
  return (await h.store.samples.samples({ stream: 's1', from: 0, to: Date.now() + 60_000 })).filter((s) => s.probe === probe).map((s) => s.seq).sort((a, b) => a - b);
}

describe('uplink auth', () => {
  it('closes a wrong or missing token with 4401 and a clear reason, and counts it', async () => {
    const h = await hub();
    const bad = raw(h.ws, 'not-a-token');
    expect(await bad.closed).toEqual({ code: 4401, reason: 'unauthorized: unknown or missing probe token' });
    const none = raw(h.ws, undefined);
    expect((await none.closed).code).toBe(4401);
    expect(h.uplink!.status().stats.unauthorized).toBe(2);
  });

  it('refuses a token used from another region (4403) and binds samples to the token identity', async () => {
    const h = await hub();
    const wrong = raw(h.ws, process.env.SG_TEST_TOKEN_EU);
    await wrong.opened;
    wrong.send({ type: 'hello', v: 1, region: 'us' });
    expect(await wrong.closed).toEqual({ code: 4403, reason: 'forbidden: the token of probe "probe-eu" is for region "eu", not "us"' });

    const c = raw(h.ws, process.env.SG_TEST_TOKEN_EU);
    await c.opened;
    c.send({ type: 'hello', v: 1, region: 'eu' });
    c.send({ type: 'samples', samples: [sample(10), sample(11, { probe: 'probe-us', region: 'us' })] });
    const ack = await until('ack', () => c.got.find((m) => m.type === 'ack'));
    expect(ack).toEqual({ type: 'ack', seq: 11, rejected: [{ seq: 11, error: 'a probe reports only as itself: probe must be "probe-eu" and region "eu"' }] });
    expect(await storedSeqs(h)).toEqual([10]);
    expect(await storedSeqs(h, 'probe-us')).toEqual([]);
  });
});

describe('uplink input hygiene', () => {
  it('refuses malformed, forbidden and binary messages with a reason, counts them, keeps the connection; oversized closes 1009; the hub carries on', async () => {
    const h = await hub();
    const c = raw(h.ws, process.env.SG_TEST_TOKEN_EU);
    await c.opened;
    c.send('{"type":"samples"'); // before hello, and not JSON
    c.send({ type: 'samples', samples: [] }); // before hello
    c.send({ type: 'hello', v: 1, region: 'eu' });
    await until('welcome', () => c.got.find((m) => m.type === 'welcome'));
    c.send({ type: 'incident.resolve', id: 'x' }); // a probe may not act
    c.send({ type: 'samples', samples: 'lots' });
    c.send([1, 2, 3]);
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    c.send({ type: 'samples', samples: [sample(5, { fps: -1 }), { junk: true }, sample(6)] });
    const errors = await until('the refusals', () => {
      const e = c.got.filter((m): m is Extract<HubMessage, { type: 'error' }> => m.type === 'error');
      return e.length >= 7 ? e : undefined;
    });
    expect(errors.map((e) => `${e.code}: ${e.message}`)).toEqual([
      'malformed: not JSON',
      'protocol: send hello first (got samples)',
      'forbidden: a probe can only report (hello, samples, ping, pong): "incident.resolve" refused',
      'malformed: invalid samples message: samples: Invalid input: expected array, received string',
      'malformed: a message is a JSON object with a string "type"',
      'malformed: binary frames are not part of the protocol (send JSON text)',
      'malformed: a sample without a valid seq cannot be acked; dropped',
    ]);
    const ack = await until('ack', () => c.got.find((m) => m.type === 'ack'));
    expect(ack).toMatchObject({ seq: 6, rejected: [{ seq: 5, error: expect.stringMatching(/^invalid sample: fps: /) }] });
    expect(await storedSeqs(h)).toEqual([6]);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);

    c.send({ type: 'samples', samples: [sample(7, { error: 'x'.repeat(70_000) as never })] });
    expect(await c.closed).toMatchObject({ code: 1009 });
    const st = h.uplink!.status().stats;
    expect(st).toMatchObject({ malformed: 6, forbidden: 1, oversized: 1, samplesAccepted: 1, samplesRejected: 2 });
    const health = (await (await fetch(`${h.url}/healthz`)).json()) as { ok: boolean; uplink: { stats: { oversized: number } } };
    expect(health.ok).toBe(true);
    expect(health.uplink.stats.oversized).toBe(1);
  });
});

describe('uplink sample refusals', () => {
  it('refuses samples outside the assignment, physical ranges or the clock window: each counted by reason, nothing stored or detected', async () => {
    const h = await hub();
    const detected: string[] = [];
    h.bus.on('sample', (s: Sample) => void detected.push(`${s.stream}/${s.line}/${s.seq}`));
    const c = raw(h.ws, process.env.SG_TEST_TOKEN_EU);
    await c.opened;
    c.send({ type: 'hello', v: 1, region: 'eu' });
    await until('assignment', () => c.got.find((m) => m.type === 'assign'));
    const now = Date.now();
    const refused: [Sample, string][] = [
      [sample(1, { stream: 'nope' }), 'unassigned'],
      [sample(2, { stream: '__proto__' }), 'unassigned'],
      [sample(3, { stream: 'constructor' }), 'unassigned'],
      [sample(4, { line: '__proto__' }), 'unassigned'],
      [sample(5, { line: 'backup' }), 'unassigned'],
      [sample(6, { t: 0 }), 'clock'],
      [sample(7, { t: now + 3 * 3_600_000 }), 'clock'],
      [sample(8, { t: now - 30 * 86_400_000 }), 'clock'],
      [sample(9, { t: 8.64e15 + 1 }), 'out_of_range'],
      [sample(10, { latencyMs: -99_999 }), 'out_of_range'],
      [sample(11, { fps: 1e308 }), 'out_of_range'],
      [sample(12, { bitrateBps: 2e10 }), 'out_of_range'],
      [sample(13, { width: 20_000 }), 'out_of_range'],
      [sample(14, { stallMs: 50_000 }), 'out_of_range'],
      [sample(15, { latencyMs: 2 * 3_600_000 }), 'out_of_range'],
    ];
    c.send({ type: 'samples', samples: [...refused.map(([s]) => s), sample(16)] });
    const ack = await until('ack', () => c.got.find((m): m is Extract<HubMessage, { type: 'ack' }> => m.type === 'ack'));
    expect(ack.seq).toBe(16);
    expect(ack.rejected?.map((r) => r.seq)).toEqual(refused.map(([s]) => s.seq));
    expect(await storedSeqs(h)).toEqual([16]);
    expect(detected).toEqual(['s1/primary/16']);
    const byReason = { unassigned: 5, clock: 3, out_of_range: 7 };
    const probe = h.uplink!.status().probes.find((p) => p.probe === 'probe-eu')!;
    expect(probe.samplesRefused).toEqual(byReason);
    const health = (await (await fetch(`${h.url}/healthz`)).json()) as { uplink: { probes: { probe: string; samplesRefused?: unknown }[] } };
    expect(health.uplink.probes.find((p) => p.probe === 'probe-eu')?.samplesRefused).toEqual(byReason);
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    for (const [reason, n] of Object.entries(byReason)) expect(metrics).toContain(`streamguard_samples_refused_total{region="eu",reason="${reason}"} ${n}`);
    expect(Object.prototype).not.toHaveProperty('primary');
  });
  it('the embedded probes still report: their samples (a line that refuses connections) are stored and detected', async () => {
    const c = config();
    const h = await startHub({ ...c, probe: { ...c.probe, embedded: true, regions: ['eu'] } }, { dataDir: mkdtempSync(join(tmpdir(), 'sg-uplink-')) });
    handles.push(h);
    const detected: Sample[] = [];
    h.bus.on('sample', (s: Sample) => void detected.push(s));
    await until('an embedded sample', () => detected.find((s) => s.probe === 'hub-eu'), 15_000);
    await until('stored', async () => (await storedSeqs(h, 'hub-eu')).length > 0, 15_000);
    expect(h.uplink!.status().probes.every((p) => p.samplesRefused === undefined)).toBe(true);
  });
});

describe('uplink delivery', () => {
  it('acks after the durable write, drops duplicates, and a reconnecting probe learns what the hub has', async () => {
    const h = await hub();
    const c = raw(h.ws, process.env.SG_TEST_TOKEN_EU);
    await c.opened;
    c.send({ type: 'hello', v: 1, region: 'eu' });
    c.send({ type: 'samples', samples: [1, 2, 3, 4, 5].map((i) => sample(100 + i)) });
    await until('ack 105', () => c.got.find((m) => m.type === 'ack' && m.seq === 105));
    c.send({ type: 'samples', samples: [3, 4, 5, 6, 7].map((i) => sample(100 + i)) });
    await until('ack 107', () => c.got.find((m) => m.type === 'ack' && m.seq === 107));
    expect(await storedSeqs(h)).toEqual([101, 102, 103, 104, 105, 106, 107]);
    expect(h.uplink!.status().stats.samplesDuplicate).toBe(3);

    const again = raw(h.ws, process.env.SG_TEST_TOKEN_EU);
    await again.opened;
    again.send({ type: 'hello', v: 1, region: 'eu' });
    expect(await until('welcome', () => again.got.find((m) => m.type === 'welcome'))).toMatchObject({ probe: 'probe-eu', region: 'eu', lastSeq: 107, heartbeatMs: 300 });
    expect(await c.closed).toEqual({ code: 4409, reason: 'replaced by a newer connection of the same probe' });
  });

  it('after a hub restart on the same data dir, a reconnecting probe learns its stored seq and resends are dropped', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sg-uplink-restart-'));
    const first = await startHub(config(), { dataDir, probes: false });
    const a = raw(`${first.url!.replace(/^http/, 'ws')}/probes`, process.env.SG_TEST_TOKEN_EU);
    await a.opened;
    a.send({ type: 'hello', v: 1, region: 'eu' });
    a.send({ type: 'samples', samples: [1, 2, 3].map((i) => sample(200 + i)) });
    await until('ack 203', () => a.got.find((m) => m.type === 'ack' && m.seq === 203));
    a.ws.terminate();
    await first.stop();

    const h = await startHub(config(), { dataDir, probes: false });
    handles.push(h);
    const b = raw(`${h.url!.replace(/^http/, 'ws')}/probes`, process.env.SG_TEST_TOKEN_EU);
    await b.opened;
    b.send({ type: 'hello', v: 1, region: 'eu' });
    expect(await until('welcome', () => b.got.find((m) => m.type === 'welcome'))).toMatchObject({ lastSeq: 203 });
    b.send({ type: 'samples', samples: [2, 3, 4].map((i) => sample(200 + i)) });
    await until('ack 204', () => b.got.find((m) => m.type === 'ack' && m.seq === 204));
    expect(h.uplink!.status().stats.samplesDuplicate).toBe(2);
    expect(await storedSeqs(h)).toEqual([201, 202, 203, 204]);
  });

  it('UplinkClient: a 5 s blackhole between probe and hub loses nothing and duplicates nothing', async () => {
    const h = await hub();
    const proxy = new FaultProxy(Number(h.address!.split(':').at(-1)));
    await proxy.start();
    cleanups.push(() => proxy.close());
    const buffer = new UplinkBuffer({ maxInMemory: 1000 });
    const client = new UplinkClient({ url: `ws://127.0.0.1:${proxy.port}/probes`, token: process.env.SG_TEST_TOKEN_EU!, region: 'eu', buffer, backoff: { baseMs: 100, capMs: 500, jitter: 0.2 } }).start();
    cleanups.push(() => client.stop());
    await until('connected', () => client.connected);
    let n = 0;
    const produce = setInterval(() => (n++, client.enqueue(sample(0, { t: Date.now() }))), 20);
    cleanups.push(() => clearInterval(produce));
    // Conditions, not sleeps: on a loaded machine the 20 ms producer runs late.
    await until('samples flowing before the cut', () => n >= 25);
    await proxy.setMode({ mode: 'blackhole' });
    // Either side may notice first: the hub by its heartbeat timeout, or the probe, whose close
    // then reaches the hub; both end with neither holding the connection.
    const hubHolds = () => h.uplink!.status().probes.find((p) => p.probe === 'probe-eu')?.connected;
    await until('the cut noticed by the probe and the hub', () => !client.connected && !hubHolds(), 25_000);
    await until('more than 100 samples held unacked during the cut', () => buffer.size > 100, 15_000);
    await proxy.setMode({ mode: 'pass' });
    await until('reconnect', () => client.connected, 10_000);
    const atReconnect = n;
    await until('samples produced after the reconnect', () => n >= atReconnect + 10);
    clearInterval(produce);
    await client.drain(5000);
    expect(buffer.size).toBe(0);
    const seqs = await storedSeqs(h);
    expect(seqs.length).toBe(n);
    expect(new Set(seqs).size).toBe(n);
    expect(seqs.at(-1)! - seqs[0]!).toBe(n - 1); // contiguous: not one missing
    expect(client.stats.connects).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('moves sample times onto the hub clock with the offset from heartbeats (probe clock 7 s fast)', async () => {
    const h = await hub();
    const skew = 7000;
    const clock = () => Date.now() + skew;
    const client = new UplinkClient({ url: h.ws, token: process.env.SG_TEST_TOKEN_EU!, region: 'eu', buffer: new UplinkBuffer(), clock }).start();
    cleanups.push(() => client.stop());
    await until('an offset estimate', () => client.clockOffset.known);
    expect(Math.abs(client.clockOffset.offsetMs + skew)).toBeLessThan(20);
    const t = clock();
    client.enqueue(sample(0, { t }));
    await client.drain(3000);
    const stored = await h.store.samples.samples({ stream: 's1', from: 0, to: Date.now() + 60_000 });
    expect(Math.abs(stored[0]!.t - (t - skew))).toBeLessThan(20);
    // The hub measures the same offset from its own pings (probe − hub ≈ +7 s).
    await until('hub-side offset', () => h.uplink!.status().probes[0]!.clockOffsetMs !== undefined);
    expect(Math.abs(h.uplink!.status().probes[0]!.clockOffsetMs! - skew)).toBeLessThan(20);
  });
});

describe('uplink assignments', () => {
  it('assigns each region its URLs and health thresholds and reassigns on reload; a revoked token is disconnected', async () => {
    const h = await hub();
    const assigned: Assignment[] = [];
    let fatal: string | undefined;
    const client = new UplinkClient({
      url: h.ws,
      token: process.env.SG_TEST_TOKEN_US!,
      region: 'us',
      buffer: new UplinkBuffer(),
      onAssign: (a) => assigned.push(a),
      onFatal: (code, reason) => (fatal = `${code} ${reason}`),
    }).start();
    cleanups.push(() => client.stop());
    await until('assignment', () => assigned.length === 1);
    expect(assigned[0]).toMatchObject({ windowMs: 1000, decode: false, targets: [{ stream: 's1', line: 'primary', url: 'rtmp://127.0.0.2:1/live/s1' }], health: DEFAULT_PROBE_HEALTH });
    h.reload(config('', ['s1', 's2']));
    await until('reassignment', () => assigned.length === 2);
    expect(assigned[1]!.version).toBeGreaterThan(assigned[0]!.version);
    expect(assigned[1]!.targets.map((t) => t.stream)).toEqual(['s1', 's2']);
    const stricter = () => {
      const c = config('', ['s1', 's2']);
      c.probe.health = { ...c.probe.health, eventLoopDelayMs: 80 };
      return c;
    };
    h.reload(stricter());
    await until('reassignment with new health thresholds', () => assigned.length === 3);
    expect(assigned[2]!.health).toEqual({ ...DEFAULT_PROBE_HEALTH, eventLoopDelayMs: 80 });
    h.reload(stricter()); // unchanged: nothing pushed
    const reduced = stricter();
    reduced.uplink.probes = reduced.uplink.probes.filter((p) => p.id !== 'probe-us');
    h.reload(reduced);
    await until('revocation', () => fatal);
    expect(fatal).toBe('4401 unauthorized: probe token revoked by a config reload');
    expect(assigned).toHaveLength(3);
  });
});

describe('uplink over TLS', () => {
  it('wss with a self-signed certificate: trusted with --ca, refused without', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const c = config();
    c.hub.tls = { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') };
    const h = await hub(c);
    expect(h.ws).toMatch(/^wss:\/\//);
    const { readFileSync } = await import('node:fs');
    const trusted = new UplinkClient({ url: h.ws, token: process.env.SG_TEST_TOKEN_EU!, region: 'eu', buffer: new UplinkBuffer(), ca: readFileSync(join(dir, 'cert.pem')) }).start();
    cleanups.push(() => trusted.stop());
    await until('wss connection', () => trusted.connected);
    trusted.enqueue(sample(0));
    expect(await trusted.drain(3000)).toBe(true);
    const untrusted = new UplinkClient({ url: h.ws, token: process.env.SG_TEST_TOKEN_EU!, region: 'eu', buffer: new UplinkBuffer(), backoff: { baseMs: 100, capMs: 200, jitter: 0 } }).start();
    cleanups.push(() => untrusted.stop());
    await new Promise((r) => setTimeout(r, 1000));
    expect(untrusted.connected).toBe(false);
    expect(untrusted.stats.connects).toBe(0);
  });
});

describe('probe worker with a spill dir', () => {
  it('stopped while the hub is unreachable, it keeps its samples and assignment on disk; restarted, it probes at once and delivers everything exactly once', async () => {
    const h = await hub();
    const proxy = new FaultProxy(Number(h.address!.split(':').at(-1)));
    await proxy.start();
    cleanups.push(() => proxy.close());
    const spillDir = mkdtempSync(join(tmpdir(), 'sg-worker-spill-'));
    const url = `ws://127.0.0.1:${proxy.port}/probes`;
    const a = startProbeWorker({ hub: url, region: 'eu', token: process.env.SG_TEST_TOKEN_EU!, spillDir });
    cleanups.push(() => a.stop(0));
    await until('the assignment', () => a.assignment, 10_000);
    await new Promise((r) => setTimeout(r, 1500));
    await proxy.setMode({ mode: 'refuse' }); // the hub goes away: connection dropped, reconnects refused
    await new Promise((r) => setTimeout(r, 3000)); // the line keeps being probed (refused → down samples)
    await a.stop(0);
    const spilled = a.buffer.size;
    expect(spilled).toBeGreaterThanOrEqual(2);
    expect(readdirSync(spillDir).some((f) => f.startsWith('seg-'))).toBe(true);

    // Restarted while the hub is still unreachable: it resumes the kept assignment at once.
    const b = startProbeWorker({ hub: url, region: 'eu', token: process.env.SG_TEST_TOKEN_EU!, spillDir });
    expect(b.assignment?.targets.map((t) => t.stream)).toEqual(['s1']);
    await until('samples probed while the hub is unreachable', () => b.buffer.size > spilled, 10_000);
    await proxy.setMode({ mode: 'pass' });
    cleanups.push(() => b.stop(0));
    await until('the spilled and new samples to be acked', () => b.client.connected && b.buffer.size === 0 && b.client.stats.acked > spilled, 15_000);
    await b.stop(1000);
    const seqs = await storedSeqs(h);
    expect(new Set(seqs).size).toBe(seqs.length);
    // Every seq the first worker stamped is stored: nothing missing across the restart.
    const stampedByA = seqs.filter((q) => q < a.buffer.nextSeq());
    expect(seqs.length).toBeGreaterThan(stampedByA.length); // and b's own, probed before it reached the hub
    expect(stampedByA.at(-1)! - stampedByA[0]!).toBe(stampedByA.length - 1);
    expect(stampedByA.at(-1)).toBe(a.buffer.nextSeq() - 1);
    expect(readdirSync(spillDir).filter((f) => f.startsWith('seg-'))).toEqual([]);
  }, 30_000);
});

describe('UplinkBuffer', () => {
  it('spills the oldest samples to disk when memory is full and resends them first after a restart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-spill-'));
    const a = new UplinkBuffer({ maxInMemory: 10, spillDir: dir, seqStart: 1000 });
    for (let i = 0; i < 35; i++) a.push(sample(0));
    expect(a.size).toBe(35);
    expect(a.inMemory).toBeLessThanOrEqual(10);
    expect(readdirSync(dir).length).toBeGreaterThan(0);
    expect(a.take(-1, 100).map((s) => s.seq)).toEqual(Array.from({ length: 35 }, (_, i) => 1000 + i));
    a.ack(1012);
    expect(a.take(-1, 3).map((s) => s.seq)).toEqual([1013, 1014, 1015]);
    expect(a.persist()).toBe(true);

    const b = new UplinkBuffer({ maxInMemory: 10, spillDir: dir, seqStart: 0 });
    expect(b.size).toBe(22);
    expect(b.take(-1, 100).map((s) => s.seq)).toEqual(Array.from({ length: 22 }, (_, i) => 1013 + i));
    expect(b.push(sample(0)).seq).toBe(1035); // continues after the spilled seqs
    b.ack(1035);
    expect(b.size).toBe(0);
    b.persist();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('without a spill dir drops the oldest and counts them', () => {
    const b = new UplinkBuffer({ maxInMemory: 10, seqStart: 1 });
    for (let i = 0; i < 25; i++) b.push(sample(0));
    expect(b.dropped).toBeGreaterThan(0);
    expect(b.size + b.dropped).toBe(25);
    expect(b.take(-1, 100).at(-1)!.seq).toBe(25);
  });
});
