import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type HubHandle } from '../../src/app/start.ts';
import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import type { Sample } from '../../src/model/sample.ts';
import { sampleMessageId, shardOf, shardSubject } from '../../src/model/shard.ts';
import { natsMissing, startNats, type ThrowawayNats } from '../helpers/nats.ts';
import { postgresMissing, startPostgres, type ThrowawayPostgres } from '../helpers/postgres.ts';
import { until } from '../helpers/until.ts';

/**
 * Two hubs (startHub, in this process) of one cluster on one real PostgreSQL and one real
 * nats-server; a probe's samples published over NATS by hand. The shards split between the hubs;
 * the hub that owns a stream with an open incident stops, and the other adopts the stream: the
 * same incident, still open, continued by its detector.
 */
const SHARDS = 4;
const STREAMS = ['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8'];
const TOKEN = 'eu-token-0123456789';
let pg: ThrowawayPostgres | undefined;
let nats: ThrowawayNats | undefined;

beforeAll(async () => {
  if (postgresMissing || natsMissing) return;
  [pg, nats] = await Promise.all([startPostgres(), startNats()]);
}, 60_000);

afterAll(async () => {
  await nats?.stop();
  await pg?.stop();
});

function config(hub: string, natsUrl: string): Config {
  const text = [
    'hub: { listen: "127.0.0.1:0" }',
    'probe: { embedded: false }',
    'regions: [eu]',
    'store: { postgres: { urlEnv: SG_PG_URL } }',
    'uplink:',
    '  probes: [{ id: probe-eu, region: eu, tokenEnv: SG_TOKEN_EU }]',
    `  nats: { url: "${natsUrl}", shardCount: ${SHARDS}, ackWaitMs: 1000 }`,
    `cluster: { hub: ${hub}, lease: { renewMs: 200, expireMs: 1500, driftMarginMs: 300 } }`,
    'streams:',
    ...STREAMS.flatMap((s) => [`  - id: ${s}`, '    lines:', `      primary: { url: "rtmp://127.0.0.1:1/live/${s}" }`]),
    '',
  ].join('\n');
  const { config: c, errors } = parseConfig(text);
  if (!c) throw new Error(JSON.stringify(errors));
  return c;
}

/** The probe: one sample of every stream every 500 ms, the streams in `down` down, the others healthy (a probe seeing every stream down is blind). */
class Probe {
  seq = 0;
  down = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
  ) {}

  static async start(url: string): Promise<Probe> {
    const nc = await connect({ servers: url });
    const p = new Probe(nc, jetstream(nc));
    p.timer = setInterval(() => void p.publishAll(), 500);
    return p;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.nc.close();
  }

  private async publishAll(): Promise<void> {
    const t = Date.now();
    for (const stream of STREAMS) {
      const seq = this.seq++;
      const down = this.down.has(stream);
      const s: Sample = { probe: 'probe-eu', region: 'eu', stream, line: 'primary', seq, t, windowMs: 500, connected: !down, fps: down ? 0 : 25, bitrateBps: down ? 0 : 1e6, maxGapMs: 40, stallMs: 0, freezeMs: 0, ...(down && { error: 'refused' }) };
      await this.js.publish(shardSubject(shardOf(stream, SHARDS)), JSON.stringify(s), { msgID: sampleMessageId('probe-eu', seq) }).catch(() => undefined);
    }
  }
}

describe.skipIf(postgresMissing !== undefined || natsMissing !== undefined)('a cluster of two hubs', () => {
  it('shares the shards; a stream with an open incident adopted by the other hub continues the same incident, neither resolved nor reopened by the handover', async () => {
    const url = await pg!.createDatabase();
    const env = { SG_PG_URL: url, SG_TOKEN_EU: TOKEN };
    const opts = { probes: false, control: false, tickets: false, env, listen: false as const };
    const a: HubHandle = await startHub(config('hub-a', nats!.url), opts);
    let b: HubHandle | undefined;
    const probe = await Probe.start(nats!.url);
    try {
      await until('hub-a to take every shard', () => a.cluster!.leases.shards().length === SHARDS, 15_000);
      b = await startHub(config('hub-b', nats!.url), opts);
      const hb = b;
      await until('the shards split 2/2', () => a.cluster!.leases.shards().length === 2 && hb.cluster!.leases.shards().length === 2, 15_000);
      expect(hb.cluster!.hub).toBe('hub-b');

      const stream = STREAMS.find((s) => a.cluster!.ownership.owns(s) && !hb.cluster!.ownership.owns(s))!;
      const theirs = STREAMS.find((s) => hb.cluster!.ownership.owns(s))!;
      expect(stream).toBeDefined();
      probe.down = new Set([stream, theirs]);
      const opened = await until('hub-a to open an incident on its stream', () => a.hub.incidents.open().find((i) => i.stream === stream), 15_000);
      await until("hub-b to open one on its own stream", () => hb.hub.incidents.open().find((i) => i.stream === theirs), 15_000);
      // Each detects on its own streams only.
      expect(hb.hub.lineViews(stream)).toEqual([]);
      expect(hb.hub.incidents.open().some((i) => i.stream === stream)).toBe(false);
      expect(a.hub.lineViews(theirs)).toEqual([]);

      // Long enough down for the replay to matter: hub-b's line state comes from what hub-a stored.
      await until('hub-a to store a few seconds of the stream', async () => {
        await a.hub.flush();
        return (await a.store.samples.samples({ stream, from: 0, to: Date.now() + 60_000 })).length >= 6;
      }, 15_000);
      await a.stop();
      await until('hub-b to take every shard', () => hb.cluster!.leases.shards().length === SHARDS, 15_000);
      const adopted = await until('hub-b to hold the same incident, open', () => hb.hub.incidents.open().find((i) => i.stream === stream), 15_000);
      expect(adopted.id).toBe(opened.id);
      await until("hub-b to consume the stream's shard (once adopted)", () => hb.nats!.owned().includes(shardOf(stream, SHARDS)), 10_000);
      expect(hb.hub.lineViews(stream).map((v) => v.level)).toEqual(['down']);
      const samplesBefore = hb.hub.detector.state.stats.samples;
      await until('hub-b to apply fresh samples of the stream', () => hb.hub.detector.state.stats.samples >= samplesBefore + 4 * STREAMS.length, 15_000);
      expect(hb.hub.incidents.open().find((i) => i.stream === stream)?.id).toBe(opened.id);

      // A sample hub-a stored, delivered again to hub-b, is not applied twice.
      await hb.hub.flush();
      const stored = (await hb.store.samples.samples({ stream, from: 0, to: Date.now() + 60_000 })).sort((x, y) => x.t - y.t);
      const old = stored.find((s) => s.t < adopted.updatedAt)!;
      const { duplicate, late } = hb.hub.detector.state.stats;
      expect(hb.ingest(old, { trusted: true }).ok).toBe(true);
      expect(hb.hub.detector.state.stats.duplicate + hb.hub.detector.state.stats.late).toBe(duplicate + late + 1);
      await hb.hub.flush();
      const again = await hb.store.samples.samples({ stream, from: 0, to: Date.now() + 60_000 });
      expect(again.filter((s) => s.seq === old.seq)).toHaveLength(1);

      // The line recovers: hub-b's detector resolves the incident it continued.
      probe.down.delete(stream);
      const resolved = await until('hub-b to resolve the incident', async () => {
        const inc = await hb.store.incidents.get(opened.id);
        return inc?.status === 'resolved' ? inc : undefined;
      }, 20_000);
      expect(resolved.id).toBe(opened.id);
      await hb.hub.incidents.settled();
      const types = (await hb.store.incidents.timeline(opened.id)).map((e) => e.type);
      expect(types.filter((t) => t === 'resolved')).toHaveLength(1);
      expect(types).not.toContain('reopened');
      const history = await hb.store.incidents.history({ from: 0, to: Date.now() + 1, stream, limit: 10 });
      expect(history.map((i) => i.id)).toEqual([opened.id]);
    } finally {
      await probe.stop();
      await b?.stop();
      await a.stop();
    }
  }, 60_000);
});
