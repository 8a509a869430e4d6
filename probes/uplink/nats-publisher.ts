import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../../src/common/log.ts';
import type { Sample } from '../../src/model/sample.ts';
import { batchMessageId, DEFAULT_SHARD_COUNT, shardOf, shardSubject } from '../../src/model/shard.ts';
import { redactUrls } from '../../src/model/redact-url.ts';
import { backoffDelay, type BackoffOptions } from '../backoff.ts';
import type { UplinkBuffer } from './buffer.ts';
import { oncePerTurn } from './once-per-turn.ts';

/**
 * The probe's samples over NATS JetStream instead of the hub's WebSocket (docs/architecture.md
 * "The NATS path"): the samples ready in one turn of the event loop go out as one message per
 * shard (a JSON array, at most `maxBatch` samples, message id `<probe>:<first seq>-<last seq>`), so
 * the per-message costs of NATS, JetStream and the consuming hub (a third of a draining hub's CPU,
 * bench/RESULTS.md) are paid once per batch; a probe's lines close their windows on a shared grid
 * (probes/line-prober.ts), so one probe's samples of one shard travel together. Samples leave the
 * UplinkBuffer only once JetStream acknowledged storing their message (its own PubAck, in
 * whatever order they come).
 *
 * A sliding window, not publish-a-batch-and-wait: up to `maxInFlight` samples between the oldest
 * not yet stored and the newest published, each PubAck opening room at once, so the rate is not
 * one batch per round trip. A publish that fails (timeout, lost connection) keeps its batch for a
 * resend as it was, same id, first thing after a backoff. While NATS is unreachable the buffer
 * holds the samples (memory, then its spill dir) and they are published again, oldest first, when
 * it returns. A batch published twice (its PubAck lost) carries the same id: JetStream drops the
 * copy inside the stream's duplicate window, and the hub drops what slips past it (its recent
 * seqs per probe, the store's (probe, seq) key).
 */

export interface NatsSamplePublisherOptions {
  /** nats://host:port (comma-separated for several servers of a cluster). */
  url: string;
  buffer: UplinkBuffer;
  /** Must equal the hubs' `uplink.nats.shardCount`. */
  shardCount?: number;
  /** The window: at most this many samples from the oldest not yet stored to the newest published (default 2000; bench/RESULTS.md). */
  maxInFlight?: number;
  /** Samples per message at most (default 64; 1 sends every sample alone). */
  maxBatch?: number;
  /** How long a PubAck may take before its batch is published again (default 5 s). */
  publishTimeoutMs?: number;
  logger?: Logger;
}

export interface NatsSamplePublisherStats {
  /** Samples stored by JetStream. */
  published: number;
  /** Messages stored by JetStream (`published` / `messages`: samples per message). */
  messages: number;
  /** PubAcks saying JetStream already had the message (a resend inside its duplicate window). */
  duplicates: number;
  /** Publishes that failed or timed out (each batch is resent). */
  failedPublishes: number;
}

/** One message: samples of one probe and one shard, seqs ascending. */
interface Batch {
  subject: string;
  samples: Sample[];
}

const RETRY_BACKOFF: BackoffOptions = { baseMs: 250, capMs: 5_000, jitter: 0.3 };

export class NatsSamplePublisher {
  readonly stats: NatsSamplePublisherStats = { published: 0, messages: 0, duplicates: 0, failedPublishes: 0 };
  private readonly opts: NatsSamplePublisherOptions;
  private readonly shardCount: number;
  private readonly maxInFlight: number;
  private readonly maxBatch: number;
  private readonly timeout: number;
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  /** Highest seq published (resends aside): new samples are taken after it. */
  private sentUpTo = -1;
  /** Published, PubAck awaited. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Failed batches to send again as they were, before anything new. */
  private resend: Batch[] = [];
  private readonly schedulePump = oncePerTurn(() => this.pump());
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(opts: NatsSamplePublisherOptions) {
    this.opts = opts;
    this.shardCount = opts.shardCount ?? DEFAULT_SHARD_COUNT;
    shardOf('', this.shardCount); // refuse a bad count at construction, not at the first sample
    this.maxInFlight = opts.maxInFlight ?? 2000;
    if (!Number.isSafeInteger(this.maxInFlight) || this.maxInFlight < 1) throw new RangeError(`maxInFlight must be a positive integer, got ${this.maxInFlight}`);
    this.maxBatch = opts.maxBatch ?? 64;
    if (!Number.isSafeInteger(this.maxBatch) || this.maxBatch < 1) throw new RangeError(`maxBatch must be a positive integer, got ${this.maxBatch}`);
    this.timeout = opts.publishTimeoutMs ?? 5_000;
  }

  /** Connects in the background (retrying forever); samples enqueued meanwhile wait in the buffer. */
  start(): this {
    // waitOnFirstConnect: a NATS server that is down when the probe starts is retried like a lost one.
    // noAsyncTraces: no Error with a stack built for every request (17 % of the publisher's CPU in a profile; bench/RESULTS.md).
    void connect({ servers: this.opts.url.split(','), name: 'streamguard-probe', waitOnFirstConnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 500, noAsyncTraces: true })
      .then(async (nc) => {
        if (this.stopped) return void (await nc.close());
        this.nc = nc;
        this.js = jetstream(nc);
        this.opts.logger?.info({ nats: redactUrls(this.opts.url), unacked: this.opts.buffer.size }, 'connected to NATS');
        this.schedulePump();
      })
      .catch((err: unknown) => this.opts.logger?.error({ err, nats: redactUrls(this.opts.url) }, 'cannot connect to NATS'));
    return this;
  }

  get connected(): boolean {
    return this.nc !== undefined && !this.nc.isClosed();
  }

  /** Messages published and awaiting their PubAck now. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Samples in the window now: from the oldest not yet stored to the newest published (at most `maxInFlight`). */
  get windowSize(): number {
    const oldest = this.opts.buffer.oldest;
    return oldest === undefined ? 0 : Math.max(0, this.sentUpTo - oldest + 1);
  }

  /** Keeps the sample (its seq is stamped here) and publishes it as soon as the window allows. */
  enqueue(sample: Sample): void {
    this.opts.buffer.push(sample);
    this.schedulePump();
  }

  /** Waits until every queued sample is stored by JetStream or `timeoutMs` passed; true if all were. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.opts.buffer.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, Math.min(50, deadline - Date.now())));
    return this.opts.buffer.size === 0;
  }

  /** Publishes nothing more, waits for the PubAcks in flight (each at most the publish timeout), closes. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await Promise.all(this.inFlight);
    await this.nc?.close();
  }


  /** Fills the window: the failed batches first (oldest first), then the buffer's next samples, one message per shard. */
  private pump(): void {
    const js = this.js;
    if (this.stopped || !js || this.retryTimer) return;
    const buffer = this.opts.buffer;
    if (this.resend.length > 0) {
      const again = this.resend.sort((a, b) => a.samples[0]!.seq - b.samples[0]!.seq);
      this.resend = [];
      for (const b of again) this.publish(js, b);
    }
    const room = this.maxInFlight - this.windowSize;
    if (room <= 0) return;
    const taken = buffer.take(this.sentUpTo, room);
    if (taken.length === 0) return;
    this.sentUpTo = taken.at(-1)!.seq;
    // One connection writes in call order, so each shard receives its batches in seq order.
    const open = new Map<number, Batch>();
    for (const s of taken) {
      const shard = shardOf(s.stream, this.shardCount);
      let batch = open.get(shard);
      if (!batch) open.set(shard, (batch = { subject: shardSubject(shard), samples: [] }));
      batch.samples.push(s);
      if (batch.samples.length >= this.maxBatch) {
        this.publish(js, batch);
        open.delete(shard);
      }
    }
    for (const batch of open.values()) this.publish(js, batch);
  }

  private publish(js: JetStreamClient, batch: Batch): void {
    const { buffer, logger } = this.opts;
    const first = batch.samples[0]!;
    const msgID = batchMessageId(first.probe, first.seq, batch.samples.at(-1)!.seq);
    const settled = js
      .publish(batch.subject, JSON.stringify(batch.samples), { msgID, timeout: this.timeout })
      .then(
        (pa) => {
          if (pa.duplicate) this.stats.duplicates++;
          this.stats.published += batch.samples.length;
          this.stats.messages++;
          this.failures = 0;
          for (const s of batch.samples) buffer.ackOne(s.seq);
        },
        (err: unknown) => {
          this.stats.failedPublishes++;
          this.resend.push(batch);
          if (this.retryTimer || this.stopped) return;
          const delay = backoffDelay(this.failures++, RETRY_BACKOFF);
          logger?.warn({ err: (err as Error).message, unacked: buffer.size, retryInMs: delay }, 'publishing samples to NATS failed; kept, retrying');
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.schedulePump();
          }, delay);
        },
      )
      .finally(() => {
        this.inFlight.delete(settled);
        this.schedulePump();
      });
    this.inFlight.add(settled);
  }
}
