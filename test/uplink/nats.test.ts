import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { UplinkBuffer } from '../../probes/uplink/buffer.ts';
import { NatsSamplePublisher } from '../../probes/uplink/nats-publisher.ts';
import { startProbeWorker } from '../../probes/uplink/worker.ts';
import { startHub, type HubHandle, type StartHubOptions } from '../../src/app/start.ts';
import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import type { Sample } from '../../src/model/sample.ts';
import { SAMPLE_STREAM, sampleMessageId, shardOf, shardSubject } from '../../src/model/shard.ts';
import { NatsUplink } from '../../src/uplink/nats-consumer.ts';
import { FaultProxy } from '../../src/lab/fault-proxy.ts';
import { natsMissing, startNats, type ThrowawayNats } from '../helpers/nats.ts';
import { until } from '../helpers/until.ts';

/**
 * The NATS path against a real nats-server (JetStream, file store in a temp dir) and a real hub
 * (startHub: SQLite) in this process: the probe's publisher with its UplinkBuffer on one side,
 * the hub's per-shard durable consumers on the other.
 */

process.env.SG_TEST_TOKEN_EU = 'eu-token-0123456789';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function nats(): Promise<ThrowawayNats> {
  const n = await startNats();
  cleanups.push(() => n.stop());
  return n;
}

function config(url: string, streams = ['s1'], probes = ['probe-eu']): Config {
  const text = [
    'hub: { listen: "127.0.0.1:0" }',
    'probe: { embedded: false }',
    'regions: [eu]',
    'uplink:',
    '  probes:',
    ...probes.map((id) => `    - { id: ${id}, region: eu, tokenEnv: SG_TEST_TOKEN_EU }`),
    `  nats: { url: "${url}", ackWaitMs: 1000 }`,
    'streams:',
    ...streams.flatMap((s) => [`  - id: ${s}`, '    lines:', `      primary: { url: "rtmp://127.0.0.1:1/live/${s}" }`]),
    '',
  ].join('\n');
  const { config: c, errors } = parseConfig(text);
  if (!c) throw new Error(JSON.stringify(errors));
  return c;
}

async function hub(c: Config, dataDir = mkdtempSync(join(tmpdir(), 'sg-nats-hub-')), extra: StartHubOptions = {}): Promise<HubHandle & { dataDir: string }> {
  const h = await startHub(c, { dataDir, probes: false, ...extra });
  cleanups.push(() => h.stop());
  return Object.assign(h, { dataDir });
}

function publisher(url: string, buffer: UplinkBuffer, maxInFlight?: number, maxBatch?: number): NatsSamplePublisher {
  const p = new NatsSamplePublisher({ url, buffer, publishTimeoutMs: 1000, ...(maxInFlight !== undefined && { maxInFlight }), ...(maxBatch !== undefined && { maxBatch }) }).start();
  cleanups.push(() => p.stop());
  return p;
}

function sample(over: Partial<Sample> = {}): Sample {
  return { probe: 'probe-eu', region: 'eu', stream: 's1', line: 'primary', seq: 0, t: Date.now(), windowMs: 1000, connected: true, fps: 25, bitrateBps: 1e6, maxGapMs: 40, stallMs: 0, freezeMs: 0, ...over };
}

async function storedSeqs(h: HubHandle, stream = 's1'): Promise<number[]> {
  await h.hub.flush();
  return (await h.store.samples.samples({ stream, from: 0, to: Date.now() + 60_000 })).map((s) => s.seq).sort((a, b) => a - b);
}

/** A hub whose shard of s1 is consumed by a NatsUplink logging its warnings into `lines`, and a JetStream client to publish raw messages. */
async function loggedUplink(n: ThrowawayNats, c: Config) {
  const lines: string[] = [];
  const h = await hub(c);
  await h.nats!.stop();
  const logger = { warn: (o: object, msg: string) => lines.push(`${msg} ${JSON.stringify(o)}`), info: () => undefined, error: () => undefined, debug: () => undefined };
  const uplink = new NatsUplink({ hub: { clock: Date.now, heartbeat: (p, r, i) => h.hub.heartbeat(p, r, i), ingest: (s, o) => h.ingest(s, o), flush: () => h.hub.flush() }, config: c, logger: logger as never });
  cleanups.push(() => uplink.stop());
  await uplink.start();
  await uplink.own(shardOf('s1'));
  const nc = await connect({ servers: n.url });
  cleanups.push(() => nc.close());
  return { h, uplink, lines, js: jetstream(nc), subject: shardSubject(shardOf('s1')) };
}

const range = (first: number, n: number) => Array.from({ length: n }, (_, i) => first + i);

describe.skipIf(natsMissing !== undefined)('samples over NATS JetStream', () => {
  it('a probe publishes; the hub stores every sample once and its detector sees the line go down', async () => {
    const n = await nats();
    const h = await hub(config(n.url));
    const buffer = new UplinkBuffer({ seqStart: 1000 });
    const p = publisher(n.url, buffer);
    const t0 = Date.now() - 20_000;
    for (let i = 0; i < 20; i++) p.enqueue(sample({ t: t0 + i * 1000, connected: false, fps: 0, bitrateBps: 0, error: 'refused' }));
    await until('every sample stored', async () => (await storedSeqs(h)).length === 20 || undefined);
    expect(await storedSeqs(h)).toEqual(range(1000, 20));
    await until('the buffer emptied by the PubAcks', () => buffer.size === 0);
    await until('the detector to see the line down', () => h.hub.lineViews('s1').some((v) => v.probe === 'probe-eu' && v.level === 'down'));
    expect(h.nats!.stats.samplesAccepted).toBe(20);
  });

  it('a probe worker with nats: its samples go over NATS, its WebSocket keeps the assignment; a stream added by a reload is taken', async () => {
    const n = await nats();
    const h = await hub(config(n.url));
    const worker = startProbeWorker({ hub: `${h.url!.replace(/^http/, 'ws')}/probes`, region: 'eu', token: 'eu-token-0123456789', nats: { url: n.url } });
    cleanups.push(() => worker.stop(0));
    await until('samples of s1 stored, over NATS', async () => (await storedSeqs(h)).length >= 2 || undefined, 20_000);
    expect(h.uplink!.stats.samplesAccepted).toBe(0);
    expect(worker.assignment?.targets.map((t) => t.stream)).toEqual(['s1']);
    expect(h.reload(config(n.url, ['s1', 's2'])).ok).toBe(true);
    await until('samples of the reloaded s2 stored, over NATS', async () => (await storedSeqs(h, 's2')).length >= 1 || undefined, 20_000);
    expect(h.nats!.stats.samplesRefused).toEqual({});
  });

  it("a probe worker's lines close their windows together: their samples of one shard travel in one message", async () => {
    const n = await nats();
    // Four streams of one shard, one line each (refused: down every window, still a sample each).
    const streams = Array.from({ length: 400 }, (_, i) => `room-${i}`).filter((s) => shardOf(s) === shardOf('room-0')).slice(0, 4);
    expect(streams).toHaveLength(4);
    const h = await hub(config(n.url, streams));
    const worker = startProbeWorker({ hub: `${h.url!.replace(/^http/, 'ws')}/probes`, region: 'eu', token: 'eu-token-0123456789', nats: { url: n.url } });
    cleanups.push(() => worker.stop(0));
    await until('eight windows of every line published', () => (worker.nats!.stats.published >= 32 ? true : undefined), 30_000);
    const { published, messages } = worker.nats!.stats;
    // Started one after the other, the lines still end their windows on the same grid points: about
    // 4 samples a message (a timer firing a millisecond after the others splits one); 1 if unaligned.
    expect(published / messages).toBeGreaterThanOrEqual(2);
    for (const stream of streams) expect((await storedSeqs(h, stream)).length).toBeGreaterThanOrEqual(4);
  });

  it("a probe's heartbeats reach every hub over NATS, also one that gets none of its samples nor its WebSocket", async () => {
    const n = await nats();
    const home = shardOf('s1');
    const a = await hub(config(n.url));
    const other = config(n.url);
    const b = await hub({ ...other, uplink: { ...other.uplink, nats: { ...other.uplink.nats!, shards: [(home + 1) % other.uplink.nats!.shardCount] } } });
    const worker = startProbeWorker({ hub: `${a.url!.replace(/^http/, 'ws')}/probes`, region: 'eu', token: 'eu-token-0123456789', nats: { url: n.url } });
    cleanups.push(() => worker.stop(0));
    const heardOnB = () => b.hub.probeStatus().find((p) => p.probe === 'probe-eu')?.lastSeenAt;
    const first = await until('hub B hearing probe-eu', heardOnB, 20_000);
    await until('hub B hearing it again, a beat later', () => (heardOnB() ?? 0) > first, 10_000);
    expect(b.hub.probeStatus().find((p) => p.probe === 'probe-eu')).toMatchObject({ region: 'eu', blind: false });
    expect(b.nats!.stats.samplesAccepted).toBe(0);
    expect(b.uplink!.stats.connects).toBe(0);
  });

  it("a console on a hub that does not own a stream gets its live samples from the shard's subject, only while subscribed; nothing is stored or graded there", async () => {
    const n = await nats();
    const home = shardOf('s1');
    const a = await hub(config(n.url));
    const other = config(n.url);
    const nothing = { actingOn: () => undefined, owns: () => false, subscribe: () => undefined };
    const b = await hub({ ...other, uplink: { ...other.uplink, nats: { ...other.uplink.nats!, shards: [(home + 1) % other.uplink.nats!.shardCount] } } }, undefined, { ownership: nothing });
    const worker = startProbeWorker({ hub: `${a.url!.replace(/^http/, 'ws')}/probes`, region: 'eu', token: 'eu-token-0123456789', nats: { url: n.url } });
    cleanups.push(() => worker.stop(0));
    const ws = new WebSocket(`${b.url!.replace(/^http/, 'ws')}/ws`);
    cleanups.push(() => ws.terminate());
    const got: { id?: number; topic?: string; data?: Sample }[] = [];
    ws.on('message', (d) => got.push(JSON.parse(String(d)) as never));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify({ id: 1, type: 'subscribe', topics: ['samples:s1'] }));
    await until('subscribed', () => got.some((m) => m.id === 1), 5000);
    const pushed = () => got.filter((m) => m.topic === 'samples:s1').map((m) => m.data!);
    await until('two live samples of s1 on hub B', () => pushed().length >= 2, 20_000);
    expect(pushed()[0]).toMatchObject({ probe: 'probe-eu', stream: 's1', line: 'primary' });
    // The same samples hub A stored (B follows them, it does not consume them).
    await until('hub A storing them', async () => (await storedSeqs(a)).includes(pushed()[1]!.seq), 10_000);
    expect(await storedSeqs(b)).toEqual([]);
    expect(b.hub.lineViews('s1')).toEqual([]);

    ws.send(JSON.stringify({ id: 2, type: 'unsubscribe', topics: ['samples:s1'] }));
    await until('unsubscribed', () => got.some((m) => m.id === 2), 5000);
    const after = pushed().length;
    const seqAtStop = (await storedSeqs(a)).at(-1)!;
    await until('hub A storing two more samples', async () => ((await storedSeqs(a)).at(-1) ?? 0) >= seqAtStop + 2, 10_000);
    expect(pushed().length).toBe(after);
  });

  it('the samples stream takes uplink.nats.stream; replicas a single server cannot keep refuse the start, naming the setting', async () => {
    const n = await nats();
    const c = config(n.url);
    await hub({ ...c, uplink: { ...c.uplink, nats: { ...c.uplink.nats!, stream: { replicas: 1, maxBytes: 64 * 1024 ** 2, maxAge: 3_600_000 } } } });
    const nc = await connect({ servers: n.url });
    cleanups.push(() => nc.close());
    const info = await (await jetstreamManager(nc)).streams.info(SAMPLE_STREAM);
    expect(info.config).toMatchObject({ num_replicas: 1, max_bytes: 64 * 1024 ** 2, max_age: 3_600_000 * 1e6 });
    const three = (url: string) => {
      const d = config(url);
      return { ...d, uplink: { ...d.uplink, nats: { ...d.uplink.nats!, stream: { replicas: 3 as const, maxBytes: 64 * 1024 ** 2, maxAge: 3_600_000 } } } };
    };
    const start = (cfg: Config) => startHub(cfg, { dataDir: mkdtempSync(join(tmpdir(), 'sg-nats-hub-')), probes: false });
    const fresh = await nats();
    await expect(start(three(fresh.url))).rejects.toThrow(/^uplink\.nats\.stream \(replicas 3, .*\): NATS refused the samples stream STREAMGUARD_SAMPLES: replicas > 1 not supported in non-clustered mode/);
    await expect(start(three(n.url))).rejects.toThrow(/^uplink\.nats\.stream \(replicas 3, .*\): NATS keeps 1 copy of the samples stream STREAMGUARD_SAMPLES, not 3: is it a JetStream cluster of at least 3 servers\?$/);
  });

  it('a resend of the same seq is stored once (JetStream drops it by its message id)', async () => {
    const n = await nats();
    const h = await hub(config(n.url));
    const nc = await connect({ servers: n.url });
    cleanups.push(() => nc.close());
    const js = jetstream(nc);
    const s = sample({ seq: 42 });
    const send = () => js.publish(shardSubject(shardOf('s1')), JSON.stringify(s), { msgID: sampleMessageId('probe-eu', 42) });
    expect((await send()).duplicate).toBe(false);
    expect((await send()).duplicate).toBe(true);
    await until('the sample stored', async () => (await storedSeqs(h)).length === 1 || undefined);
    await until('its ack', () => h.nats!.stats.acks >= 1);
    expect(await storedSeqs(h)).toEqual([42]);
    expect(h.nats!.stats.samplesAccepted).toBe(1);
  });

  it('a sliding window: never more than maxInFlight samples between the oldest unstored and the newest published; all stored once in order', async () => {
    const n = await nats();
    const h = await hub(config(n.url));
    const buffer = new UplinkBuffer({ seqStart: 1 });
    const p = publisher(n.url, buffer, 50);
    let most = 0;
    const watch = setInterval(() => (most = Math.max(most, p.windowSize)), 1);
    cleanups.push(() => clearInterval(watch));
    const t0 = Date.now() - 60_000;
    for (let i = 0; i < 1000; i++) p.enqueue(sample({ t: t0 + i }));
    await until('the buffer emptied by the PubAcks', () => buffer.size === 0, 20_000);
    clearInterval(watch);
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(50);
    await until('every sample stored', async () => (await storedSeqs(h)).length === 1000 || undefined, 20_000);
    expect(await storedSeqs(h)).toEqual(range(1, 1000));
    expect(p.stats).toMatchObject({ published: 1000, duplicates: 0, failedPublishes: 0 });
    // One stream, one shard: as many messages as the window let through at a time, each ≤ 50 samples.
    expect(p.stats.messages).toBeGreaterThanOrEqual(20);
    expect(p.stats.messages).toBeLessThan(1000);
  });

  it("the samples of one turn go out as one message per shard, at most maxBatch each, id probe:first-last; the hub applies every sample once", async () => {
    const n = await nats();
    // Three streams in three shards.
    const streams = ['s1', 's2', 's3', 's4', 's5', 's6'].filter((s, i, all) => all.findIndex((o) => shardOf(o) === shardOf(s)) === i).slice(0, 3);
    expect(new Set(streams.map((s) => shardOf(s))).size).toBe(3);
    const h = await hub(config(n.url, streams));
    const nc = await connect({ servers: n.url });
    cleanups.push(() => nc.close());
    const seen: { subject: string; id: string; seqs: number[] }[] = [];
    nc.subscribe('streamguard.samples.>', { callback: (_err, m) => void seen.push({ subject: m.subject, id: m.headers?.get('Nats-Msg-Id') ?? '', seqs: (m.json() as Sample[]).map((x) => x.seq) }) });
    await nc.flush();
    const buffer = new UplinkBuffer({ seqStart: 100 });
    const p = new NatsSamplePublisher({ url: n.url, buffer, maxBatch: 8 }).start();
    cleanups.push(() => p.stop());
    await until('connected to NATS', () => p.connected);
    const t0 = Date.now() - 60_000;
    // 10 samples per stream, interleaved as a probe's lines would emit them.
    for (let i = 0; i < 30; i++) p.enqueue(sample({ stream: streams[i % 3]!, t: t0 + i }));
    await until('the buffer emptied by the PubAcks', () => buffer.size === 0, 20_000);
    await until('every message seen', () => seen.reduce((k, m) => k + m.seqs.length, 0) === 30);
    // Per shard: 10 samples → a batch of 8 and one of 2, seqs ascending, each message named by its first and last.
    expect(seen).toHaveLength(6);
    for (const stream of streams) {
      const mine = seen.filter((m) => m.subject === shardSubject(shardOf(stream)));
      expect(mine.map((m) => m.seqs.length)).toEqual([8, 2]);
      for (const m of mine) {
        expect(m.seqs).toEqual([...m.seqs].sort((a, b) => a - b));
        expect(m.id).toBe(`probe-eu:${m.seqs[0]}-${m.seqs.at(-1)}`);
      }
    }
    expect(p.stats).toMatchObject({ published: 30, messages: 6, duplicates: 0, failedPublishes: 0 });
    await until('every sample acked by the hub', () => h.nats!.stats.acks === 6, 10_000);
    for (const stream of streams) expect((await storedSeqs(h, stream)).length).toBe(10);
    expect(h.nats!.stats.samplesAccepted).toBe(30);
  });

  it('PubAcks held up past the timeout: the samples are resent with the same ids, JetStream keeps the first copy, the hub stores each once', async () => {
    const n = await nats();
    const h = await hub(config(n.url));
    const proxy = new FaultProxy(Number(new URL(n.url).port));
    await proxy.start();
    cleanups.push(() => proxy.close());
    const buffer = new UplinkBuffer({ seqStart: 700 });
    // Batches of 4: five messages.
    const p = publisher(`nats://127.0.0.1:${proxy.port}`, buffer, undefined, 4);
    await until('connected to NATS through the proxy', () => p.connected);
    // Stalled both ways: the publishes wait in the proxy and their PubAcks time out (1 s).
    await proxy.setMode({ mode: 'stall' });
    for (let i = 0; i < 20; i++) p.enqueue(sample({ t: Date.now() - 30_000 + i * 1000 }));
    await until('every publish timed out', () => p.stats.failedPublishes >= 5, 10_000);
    expect(buffer.size).toBe(20);
    await proxy.setMode({ mode: 'pass' });
    await until('the buffer emptied by the PubAcks', () => buffer.size === 0, 20_000);
    expect(p.stats.duplicates).toBeGreaterThan(0);
    await until('every sample stored', async () => (await storedSeqs(h)).length === 20 || undefined);
    expect(await storedSeqs(h)).toEqual(range(700, 20));
    expect(h.nats!.stats.samplesAccepted).toBe(20);
  });

  it('NATS killed while the probe keeps producing: the samples spill to disk, then arrive in order, none lost or doubled', async () => {
    const n = await nats();
    const h = await hub(config(n.url));
    const spillDir = mkdtempSync(join(tmpdir(), 'sg-nats-spill-'));
    const buffer = new UplinkBuffer({ seqStart: 5000, maxInMemory: 10, spillDir });
    const p = publisher(n.url, buffer);
    let produced = 0;
    const produce = (count: number) => {
      for (let i = 0; i < count; i++) p.enqueue(sample({ t: Date.now() - 10_000 + produced++ }));
    };
    produce(10);
    await until('the first samples stored', async () => (await storedSeqs(h)).length === 10 || undefined);
    await n.kill();
    produce(60);
    await until('samples spilled to disk while NATS is away', () => buffer.spilled > 0 && readdirSync(spillDir).some((f) => f.startsWith('seg-')));
    await n.restart();
    produce(10);
    await until('every sample stored after NATS returned', async () => (await storedSeqs(h)).length === 80 || undefined, 30_000);
    expect(await storedSeqs(h)).toEqual(range(5000, 80));
    await until('the buffer and the spill dir emptied', () => buffer.size === 0 && !readdirSync(spillDir).some((f) => f.startsWith('seg-')));
    // In order: the detector took them in seq (= time) order, one each.
    const stored = await h.store.samples.samples({ stream: 's1', from: 0, to: Date.now() + 60_000 });
    expect(stored.map((s) => s.t)).toEqual([...stored.map((s) => s.t)].sort((a, b) => a - b));
  });

  it('a hub stopped between storing and acking: after its restart on the same durable consumers every sample is stored exactly once', async () => {
    const n = await nats();
    const c = config(n.url);
    const first = await hub(c);
    // The first hub's flush stores, then fails as a crash before the ack would: nothing is acked.
    await first.nats!.stop();
    let stored = 0;
    const crashing = new NatsUplink({
      hub: {
        clock: Date.now,
        heartbeat: (p, r, i) => first.hub.heartbeat(p, r, i),
        ingest: (s, o) => first.ingest(s, o),
        flush: async () => {
          stored += await first.hub.flush();
          throw new Error('crashed before the ack');
        },
      },
      config: c,
    });
    cleanups.push(() => crashing.stop());
    await crashing.start();
    await crashing.own(shardOf('s1'));
    const p = publisher(n.url, new UplinkBuffer({ seqStart: 9000 }));
    for (let i = 0; i < 30; i++) p.enqueue(sample({ t: Date.now() - 30_000 + i * 1000 }));
    await until('the samples stored by the first hub, unacked', async () => (await storedSeqs(first)).length === 30 || undefined);
    expect(stored).toBeGreaterThan(0);
    expect(crashing.stats.acks).toBe(0);
    await crashing.stop();
    await first.stop();
    // The same data dir, the same durable consumer `shard-<n>`: JetStream delivers the unacked samples again.
    const second = await hub(c, first.dataDir);
    await until('the redelivered samples applied', () => second.nats!.stats.samplesAccepted >= 30, 20_000);
    const nc = await connect({ servers: n.url });
    cleanups.push(() => nc.close());
    const consumer = await (await jetstreamManager(nc)).consumers.info(SAMPLE_STREAM, `shard-${shardOf('s1')}`);
    await until('every redelivered message acked', async () => (await (await jetstreamManager(nc)).consumers.info(SAMPLE_STREAM, consumer.name)).num_ack_pending === 0, 20_000, 100);
    expect(await storedSeqs(second)).toEqual(range(9000, 30));
  });

  it('a malformed message is refused naming its id and does not block the shard', async () => {
    const n = await nats();
    const { h, uplink, lines, js, subject } = await loggedUplink(n, config(n.url));
    await js.publish(subject, 'not json {', { msgID: 'probe-eu:1' });
    await js.publish(subject, JSON.stringify(sample({ seq: 2, fps: -1 })), { msgID: 'probe-eu:2' });
    await js.publish(subject, JSON.stringify(sample({ seq: 3 })), { msgID: 'probe-eu:3' });
    await until('the good sample after the bad ones stored', async () => (await storedSeqs(h)).includes(3) || undefined);
    expect(await storedSeqs(h)).toEqual([3]);
    expect(uplink.stats.samplesRefused).toEqual({ malformed: 1, out_of_range: 1 });
    expect(lines.filter((l) => l.includes('refused'))).toEqual([expect.stringContaining('"msgId":"probe-eu:1"'), expect.stringContaining('"msgId":"probe-eu:2"')]);
    expect(lines[0]).toContain(`"subject":"${subject}"`);
  });

  it('in a batch a bad sample is refused alone, naming the message and its index; a batch with a wrong id or shape is refused whole', async () => {
    const n = await nats();
    // Two probes of one region: a batch holds one probe's samples all the same.
    const { h, uplink, lines, js, subject } = await loggedUplink(n, config(n.url, ['s1'], ['probe-eu', 'probe-eu-2']));
    const batch = (seqs: number[], over: Record<number, Partial<Sample>> = {}) => JSON.stringify(seqs.map((seq) => sample({ seq, ...over[seq] })));
    // Seq 11 out of range, 12 another (configured) probe's: both refused, 10 and 13 stored.
    await js.publish(subject, batch([10, 11, 12, 13], { 11: { stallMs: 5000 }, 12: { probe: 'probe-eu-2' } }), { msgID: 'probe-eu:10-13' });
    // The id does not name the batch's first and last seq: refused whole.
    await js.publish(subject, batch([20, 21]), { msgID: 'probe-eu:20' });
    // Not a batch of samples at all.
    await js.publish(subject, '[]', { msgID: 'probe-eu:30-31' });
    await js.publish(subject, batch([40]), { msgID: 'probe-eu:40-40' });
    await until('the last batch stored', async () => (await storedSeqs(h)).includes(40) || undefined);
    expect(await storedSeqs(h)).toEqual([10, 13, 40]);
    // Counted per sample: the batch of two refused whole counts two, the empty one none.
    expect(uplink.stats.samplesRefused).toEqual({ out_of_range: 1, not_itself: 1, malformed: 2 });
    const refused = lines.filter((l) => l.includes('refused'));
    expect(refused).toHaveLength(3);
    expect(refused[0]).toMatch(/^samples of a message refused \(the rest of it applied\)/);
    expect(refused[0]).toContain('"msgId":"probe-eu:10-13"');
    expect(refused[0]).toMatch(/"index":1,"reason":"out_of_range".*"index":2,"reason":"not_itself","error":"a batch holds one probe's samples/);
    expect(refused[1]).toContain('the message id must be \\"probe-eu:20-21\\"');
    expect(refused[2]).toContain('"msgId":"probe-eu:30-31"');
  });
});
