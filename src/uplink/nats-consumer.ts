import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { Config } from '../config/schema.ts';
import type { Sample } from '../model/sample.ts';
import type { Logger } from '../common/log.ts';
import type { Commit } from '../common/reload.ts';
import { redactUrls } from '../model/redact-url.ts';
import { batchMessageId, PROBE_HEARTBEAT_SUBJECT, SAMPLE_STREAM, sampleMessageId, shardConsumerName, shardOf, shardSubject } from '../model/shard.ts';
import { ACK_RETRY_MS, AckRounds } from './ack-rounds.ts';
import { assignmentFor } from './assignments.ts';
import { RecentSeqs } from './recent-seqs.ts';
import { assignedLines, gateSample, type AssignedLines, type SampleRefusal } from './sample-gate.ts';
import { ensureSampleStream } from './sample-stream.ts';
import type { UplinkHub } from './server.ts';

/**
 * The hub end of the NATS path (docs/architecture.md "The NATS path"): for every shard this hub
 * owns, a durable pull consumer `shard-<n>` on the samples stream.
 *
 *   message ─▶ JSON ─▶ gate (the WebSocket uplink's check: the probe a configured one, its region,
 *   its assigned lines, a believable time) ─▶ id and shard match the sample ─▶ recent seqs ─▶ hub.ingest
 *   ─▶ group commit: one hub.flush() per event-loop turn, awaited ─▶ ack every message it covered
 *
 * A message is acked only once its sample is durable in the store, so an owner that dies before
 * the ack leaves it to be delivered again (after `ackWaitMs`) to the next owner of the shard,
 * which resumes the same durable consumer: nothing is lost. What was stored but not acked comes
 * again and the store's (probe, seq) key keeps one row; inside a running hub the recent seqs keep
 * the detector from seeing it twice. Bad input is logged with its message id and subject,
 * terminated (never redelivered: it cannot get better) and counted, so it never blocks its shard.
 *
 * Which shards: the caller decides (`own`, `release`): the config's `uplink.nats.shards` on a lone
 * hub; in a cluster the shard leases, through src/cluster/leased-ownership.ts (a shard is owned
 * once every part of the hub adopted its streams, and released before they forget them).
 */

export interface NatsUplinkOptions {
  hub: Pick<UplinkHub, 'clock' | 'ingest' | 'flush' | 'heartbeat'>;
  config: Config;
  logger?: Logger;
}

export interface NatsUplinkStats {
  samplesAccepted: number;
  /** Delivered again after being applied (an ack lost or late, a late republish): acked, not applied. */
  samplesDuplicate: number;
  samplesRefused: Partial<Record<SampleRefusal, number>>;
  /** Handed back to JetStream for later: the store's backlog was full. */
  samplesDeferred: number;
  acks: number;
  flushFailures: number;
}

/** Each configured probe's region and the lines its samples may name. */
type ProbeLines = ReadonlyMap<string, { region: string; assigned: AssignedLines }>;

function probeLines(config: Config): ProbeLines {
  const byRegion = new Map<string, AssignedLines>();
  const assignedIn = (region: string) => byRegion.get(region) ?? byRegion.set(region, assignedLines(assignmentFor(config, region, 0).targets)).get(region)!;
  return new Map(config.uplink.probes.map((p) => [p.id, { region: p.region, assigned: assignedIn(p.region) }]));
}

/** The id a message's body calls for: `<probe>:<seq>` for a lone sample, `<probe>:<first>-<last>` for a batch; undefined when it has no such shape. */
function messageIdOf(body: unknown): string | undefined {
  if (!Array.isArray(body)) return isSampleLike(body) ? sampleMessageId(body.probe, body.seq) : undefined;
  const first: unknown = body[0];
  const last: unknown = body[body.length - 1];
  return isSampleLike(first) && isSampleLike(last) ? batchMessageId(first.probe, first.seq, last.seq) : undefined;
}

function isSampleLike(x: unknown): x is { probe: string; seq: number } {
  return typeof x === 'object' && x !== null && typeof (x as { probe?: unknown }).probe === 'string' && typeof (x as { seq?: unknown }).seq === 'number';
}

/** Messages a shard's consumer may hold unacked: the batches in one group commit, with room to spare. */
const MAX_ACK_PENDING = 1_000;
/**
 * Samples applied and not yet durable, over all shards: past this a shard takes no more messages
 * until a commit covered them. The store sets the pace; without it a hub draining a backlog took
 * samples faster than it wrote them, filled the ingest's backlog and handed 90,000 of 200,000
 * samples back to JetStream (`nak`) in 10 s, each redelivered and parsed again.
 */
const MAX_UNCOMMITTED_SAMPLES = 10_000;
const DEFER_MS = 1_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class NatsUplink {
  readonly stats: NatsUplinkStats = { samplesAccepted: 0, samplesDuplicate: 0, samplesRefused: {}, samplesDeferred: 0, acks: 0, flushFailures: 0 };
  private readonly hub: NatsUplinkOptions['hub'];
  private readonly settings: NonNullable<Config['uplink']['nats']>;
  private readonly log: Logger | undefined;
  private probes: ProbeLines;
  private maxAgeMs: number;
  private readonly recent = new RecentSeqs();
  private readonly consuming = new Map<number, { messages: ConsumerMessages; done: Promise<void> }>();
  /** Shards whose samples are watched live (watchSamples), with the watchers of each stream. */
  private readonly watched = new Map<number, { sub: Subscription; streams: Map<string, Set<(s: Sample) => void>> }>();
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private jsm: JetStreamManager | undefined;
  /** Messages whose samples are ingested, acked after the next flush resolved. */
  private unacked: JsMsg[] = [];
  /** The samples those messages brought (the commit is paced in samples, not messages). */
  private unackedSamples = 0;
  /** The flush-and-ack rounds: one at a time, so a message is acked only after its sample is durable. */
  private readonly acks = new AckRounds(() => this.ackDurable());
  private closed = false;

  constructor(opts: NatsUplinkOptions) {
    const settings = opts.config.uplink.nats;
    if (!settings) throw new Error('uplink.nats is not configured');
    this.hub = opts.hub;
    this.settings = settings;
    this.log = opts.logger;
    this.maxAgeMs = opts.config.store.retention.raw;
    this.probes = probeLines(opts.config);
  }

  /** A reloaded config's probes and streams (what a sample may name); `uplink.nats` itself needs a restart. */
  prepareReload(next: Config): Commit {
    const probes = probeLines(next);
    return () => {
      this.probes = probes;
      this.maxAgeMs = next.store.retention.raw;
    };
  }

  /** Connects and declares the samples stream; rejects when NATS is unreachable. */
  async start(): Promise<void> {
    const nc = await connect({ servers: this.settings.url.split(','), name: 'streamguard-hub', maxReconnectAttempts: -1, reconnectTimeWait: 500 });
    this.nc = nc;
    this.js = jetstream(nc);
    this.jsm = await jetstreamManager(nc);
    await ensureSampleStream(this.jsm, this.settings.stream);
    nc.subscribe(PROBE_HEARTBEAT_SUBJECT, {
      callback: (err, m) => {
        if (!err) this.onHeartbeat(m.data);
      },
    });
    this.log?.info({ nats: redactUrls(this.settings.url), shardCount: this.settings.shardCount }, 'connected to NATS');
  }

  /**
   * Tells the other hubs that a probe connected to this one beat (every hub hears it, this one
   * too: a second beat changes nothing). Dropped while NATS is unreachable: the probe's samples
   * then wait in its buffer too.
   */
  shareHeartbeat(probe: string, region: string, intervalMs?: number): void {
    if (this.closed || !this.nc || this.nc.isClosed()) return;
    this.nc.publish(PROBE_HEARTBEAT_SUBJECT, JSON.stringify({ probe, region, ...(intervalMs !== undefined && { intervalMs }) }));
  }

  /** A probe's beat relayed by the hub it is connected to; only a probe of uplink.probes in its own region counts. */
  private onHeartbeat(data: Uint8Array): void {
    let beat: { probe?: unknown; region?: unknown; intervalMs?: unknown };
    try {
      beat = JSON.parse(new TextDecoder().decode(data)) as typeof beat;
    } catch {
      return;
    }
    const probe = typeof beat.probe === 'string' ? this.probes.get(beat.probe) : undefined;
    if (!probe || beat.region !== probe.region) return;
    const interval = typeof beat.intervalMs === 'number' && Number.isFinite(beat.intervalMs) && beat.intervalMs > 0 ? beat.intervalMs : undefined;
    this.hub.heartbeat(beat.probe as string, probe.region, interval);
  }

  /** The shards this hub consumes now. */
  owned(): number[] {
    return [...this.consuming.keys()].sort((a, b) => a - b);
  }

  /** Starts consuming a shard from its durable consumer's last ack. */
  async own(shard: number): Promise<void> {
    if (!this.js || !this.jsm) throw new Error('NatsUplink.own before start');
    if (!Number.isSafeInteger(shard) || shard < 0 || shard >= this.settings.shardCount) throw new RangeError(`shard ${shard} is not in 0..${this.settings.shardCount - 1}`);
    if (this.consuming.has(shard) || this.closed) return;
    const name = shardConsumerName(shard);
    const tuning = { ack_wait: nanos(this.settings.ackWaitMs), max_ack_pending: MAX_ACK_PENDING };
    try {
      await this.jsm.consumers.add(SAMPLE_STREAM, { durable_name: name, filter_subject: shardSubject(shard), ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, ...tuning });
    } catch {
      // It exists with other settings (an older hub's): keep its position, take ours.
      await this.jsm.consumers.update(SAMPLE_STREAM, name, tuning);
    }
    const consumer = await this.js.consumers.get(SAMPLE_STREAM, name);
    // Bounded in bytes, not messages: a message carries a batch of up to 64 samples (an older probe's, one).
    const messages = await consumer.consume({ max_bytes: 256 * 1024 });
    const done = (async () => {
      for await (const m of messages) {
        this.handle(shard, m);
        // A released shard stops waiting: what it handled is settled (or left unacked) by release().
        while (this.unackedSamples >= MAX_UNCOMMITTED_SAMPLES && this.consuming.get(shard)?.messages === messages) await (this.acks.retrying ? sleep(ACK_RETRY_MS) : this.acks.run());
      }
    })().catch((err: unknown) => this.log?.error({ err, shard }, 'consuming a shard failed'));
    this.consuming.set(shard, { messages, done });
    this.log?.info({ shard, consumer: name }, 'consuming shard');
  }

  /** Stops consuming a shard and acks what of it is durable; the unacked rest goes to its next owner. */
  async release(shard: number): Promise<void> {
    const c = this.consuming.get(shard);
    if (!c) return;
    this.consuming.delete(shard);
    await c.messages.close();
    await c.done;
    await this.settle();
    await this.nc?.flush();
    this.log?.info({ shard }, 'released shard');
  }

  /** Releases every shard, then closes the connection. */
  async stop(): Promise<void> {
    if (this.closed) return;
    for (const shard of this.owned()) await this.release(shard);
    this.closed = true;
    this.acks.stop();
    await this.nc?.close();
  }

  /**
   * Live samples of `stream` straight from its shard's subject, for a stream this hub does not
   * consume (a console here watching another hub's stream): core NATS, so nothing is acked, stored
   * or graded here. One subscription per shard while any of its streams is watched. Returns the stop.
   * Its cost: the whole shard's flow reaches this hub (subjects are per shard, not per stream), so a
   * page of other hubs' streams spread over many shards pulls most of the cluster's samples here.
   */
  watchSamples(stream: string, onSample: (s: Sample) => void): () => void {
    const nc = this.nc;
    if (!nc || this.closed) return () => undefined;
    const shard = shardOf(stream, this.settings.shardCount);
    let w = this.watched.get(shard);
    if (!w) {
      const streams = new Map<string, Set<(s: Sample) => void>>();
      const sub = nc.subscribe(shardSubject(shard), {
        callback: (err, m) => {
          if (err) return;
          let raw: unknown;
          try {
            raw = m.json();
          } catch {
            return;
          }
          for (const item of Array.isArray(raw) ? raw : [raw]) {
            // Most of a shard's samples are of streams nobody here watches: checked before the whole gate.
            const pushes = streams.get(String((item as { stream?: unknown } | null)?.stream));
            if (!pushes) continue;
            const gate = this.gate(item);
            if (gate.reason === undefined) for (const push of pushes) push(gate.sample);
          }
        },
      });
      this.watched.set(shard, (w = { sub, streams }));
    }
    const watch = w;
    const pushes = watch.streams.get(stream) ?? new Set();
    watch.streams.set(stream, pushes.add(onSample));
    return () => {
      pushes.delete(onSample);
      if (pushes.size > 0) return;
      watch.streams.delete(stream);
      if (watch.streams.size > 0 || this.watched.get(shard) !== watch) return;
      watch.sub.unsubscribe();
      this.watched.delete(shard);
    };
  }

  /** A message's sample checked as a probe's (uplink.probes, its assigned lines, a believable time), or why not. */
  private gate(raw: unknown): { sample: Sample; reason?: undefined } | { reason: SampleRefusal; error: string } {
    const probeId = typeof raw === 'object' && raw !== null ? (raw as { probe?: unknown }).probe : undefined;
    const probe = typeof probeId === 'string' ? this.probes.get(probeId) : undefined;
    if (!probe) return { reason: 'not_itself', error: `probe ${JSON.stringify(probeId)} is not one of uplink.probes` };
    return gateSample(raw, { probe: probeId as string, region: probe.region, assigned: probe.assigned, now: this.hub.clock(), offsetMs: 0, maxAgeMs: this.maxAgeMs });
  }

  /**
   * One message: a batch (a JSON array of one probe's samples of this shard, id
   * `<probe>:<first seq>-<last seq>`) or a lone sample of an older probe (id `<probe>:<seq>`). A
   * message whose shape or id is wrong is refused whole; inside a good batch a sample the gate
   * refuses is refused alone and the others are applied. The message is acked once what it
   * brought is durable, handed back (`nak`) when the store's backlog is full: its samples applied
   * already are then skipped as duplicates when it comes again.
   */
  private handle(shard: number, m: JsMsg): void {
    const id = m.headers?.get('Nats-Msg-Id') ?? '';
    let raw: unknown;
    try {
      raw = m.json();
    } catch {
      return this.refuse(m, id, 'malformed', 'not JSON');
    }
    const items = Array.isArray(raw) ? raw : [raw];
    const expected = messageIdOf(raw);
    if (expected === undefined) return this.refuse(m, id, 'malformed', 'expected a sample or a non-empty array of samples, each with a probe and a seq', items.length);
    if (id !== expected) return this.refuse(m, id, 'malformed', `the message id must be "${expected}" (${Array.isArray(raw) ? 'probe:first seq-last seq' : 'probe:seq'})`, items.length);
    // messageIdOf checked the first item names a probe: the one every sample of the batch must name.
    const batchProbe = (items[0] as { probe: string }).probe;
    let applied = 0;
    const refusals: { index: number; reason: SampleRefusal; error: string }[] = [];
    for (let i = 0; i < items.length; i++) {
      const gate = this.gate(items[i]);
      if (gate.reason !== undefined) {
        refusals.push({ index: i, reason: gate.reason, error: gate.error });
        continue;
      }
      const s = gate.sample;
      if (s.probe !== batchProbe) {
        refusals.push({ index: i, reason: 'not_itself', error: `a batch holds one probe's samples: "${s.probe}" in a batch of "${batchProbe}"` });
        continue;
      }
      const home = shardOf(s.stream, this.settings.shardCount);
      if (home !== shard) {
        refusals.push({ index: i, reason: 'malformed', error: `stream "${s.stream}" belongs to shard ${home}, not ${shard} (do probe and hub use the same shard count?)` });
        continue;
      }
      if (this.recent.has(s.probe, s.seq)) {
        this.stats.samplesDuplicate++;
        applied++;
        continue;
      }
      const r = this.hub.ingest(s, { trusted: true });
      if (!r.ok) {
        if (r.error.startsWith('store backlog full') || r.error === 'hub is stopping') {
          // Its refusals are counted when it comes again.
          this.stats.samplesDeferred += items.length - i;
          m.nak(DEFER_MS);
          return;
        }
        refusals.push({ index: i, reason: 'malformed', error: r.error });
        continue;
      }
      this.recent.add(s.probe, s.seq);
      this.stats.samplesAccepted++;
      applied++;
    }
    this.countRefusals(m, id, refusals, applied === 0);
    // Nothing in it could be used: terminated (never redelivered: it cannot get better).
    if (applied === 0) return void m.term();
    this.ackWhenDurable(m, applied);
  }

  /** Commits and acks everything handled so far (unless the store is failing: then it stays unacked). */
  private async settle(): Promise<void> {
    do await this.acks.run();
    while (this.unacked.length > 0 && !this.acks.retrying);
  }

  /** A whole message refused: each of its `samples` counted, logged with its id, terminated. */
  private refuse(m: JsMsg, id: string, reason: SampleRefusal, error: string, samples = 1): void {
    this.stats.samplesRefused[reason] = (this.stats.samplesRefused[reason] ?? 0) + samples;
    this.log?.warn({ msgId: id || '(none)', subject: m.subject, streamSeq: m.seq, reason, error }, 'sample message refused (terminated, not redelivered)');
    m.term();
  }

  /** Samples of a message refused one by one: each counted, one log line per message naming them by their index in it. */
  private countRefusals(m: JsMsg, id: string, refusals: readonly { index: number; reason: SampleRefusal; error: string }[], whole: boolean): void {
    if (refusals.length === 0) return;
    for (const r of refusals) this.stats.samplesRefused[r.reason] = (this.stats.samplesRefused[r.reason] ?? 0) + 1;
    const fields = { msgId: id, subject: m.subject, streamSeq: m.seq, refused: refusals.slice(0, 5), count: refusals.length };
    this.log?.warn(fields, whole ? 'sample message refused (terminated, not redelivered)' : 'samples of a message refused (the rest of it applied)');
  }

  private ackWhenDurable(m: JsMsg, samples: number): void {
    this.unacked.push(m);
    this.unackedSamples += samples;
    this.acks.request(this.unackedSamples);
  }

  /** Acks the messages handled so far once the hub's flush resolved; when it fails they wait for the retry. */
  private async ackDurable(): Promise<boolean> {
    if (this.unacked.length === 0) return true;
    const batch = this.unacked;
    const samples = this.unackedSamples;
    this.unacked = [];
    this.unackedSamples = 0;
    try {
      await this.hub.flush();
    } catch (err) {
      this.unacked = batch.concat(this.unacked);
      this.unackedSamples += samples;
      this.stats.flushFailures++;
      this.log?.error({ err, messages: batch.length }, 'writing NATS samples failed: acks withheld, retrying in 1 s');
      return false;
    }
    for (const m of batch) m.ack();
    this.stats.acks += batch.length;
    return true;
  }
}
