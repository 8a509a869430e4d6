import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../../src/common/log.ts';
import type { Sample } from '../../src/model/sample.ts';
import { DEFAULT_SHARD_COUNT, sampleMessageId, shardOf, shardSubject } from '../../src/model/shard.ts';
import { redactUrls } from '../../src/model/redact-url.ts';
import { backoffDelay, type BackoffOptions } from '../backoff.ts';
import type { UplinkBuffer } from './buffer.ts';
import { oncePerTurn } from './once-per-turn.ts';

/**
 * The probe's samples over NATS JetStream instead of the hub's WebSocket (docs/architecture.md
 * "The NATS path"): each sample goes to its stream's shard subject with the message id
 * `<probe>:<seq>`, and leaves the UplinkBuffer only once JetStream acknowledged storing it (its
 * own PubAck, in whatever order they come).
 *
 * A sliding window, not publish-a-batch-and-wait: up to `maxInFlight` samples between the oldest
 * not yet stored and the newest published, each PubAck opening room for one more at once, so the
 * rate is not one batch per round trip. A publish that fails (timeout, lost connection) keeps its
 * sample for a resend with the same id, first thing after a backoff. While NATS is unreachable
 * the buffer holds the samples (memory, then its spill dir) and they are published again, oldest
 * first, when it returns. A sample published twice (its PubAck
 * lost) carries the same id: JetStream drops the copy inside the stream's duplicate window, and
 * the hub drops what slips past it (its recent seqs per probe, the store's (probe, seq) key).
 */

export interface NatsSamplePublisherOptions {
  /** nats://host:port (comma-separated for several servers of a cluster). */
  url: string;
  buffer: UplinkBuffer;
  /** Must equal the hubs' `uplink.nats.shardCount`. */
  shardCount?: number;
  /** The window: at most this many samples from the oldest not yet stored to the newest published (default 2000; bench/RESULTS.md). */
  maxInFlight?: number;
  /** How long a PubAck may take before its sample is published again (default 5 s). */
  publishTimeoutMs?: number;
  logger?: Logger;
}

export interface NatsSamplePublisherStats {
  published: number;
  /** PubAcks saying JetStream already had the message (a resend inside its duplicate window). */
  duplicates: number;
  /** Publishes that failed or timed out (each sample is resent). */
  failedPublishes: number;
}

const RETRY_BACKOFF: BackoffOptions = { baseMs: 250, capMs: 5_000, jitter: 0.3 };

export class NatsSamplePublisher {
  readonly stats: NatsSamplePublisherStats = { published: 0, duplicates: 0, failedPublishes: 0 };
  private readonly opts: NatsSamplePublisherOptions;
  private readonly shardCount: number;
  private readonly maxInFlight: number;
  private readonly timeout: number;
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  /** Highest seq published (resends aside): new samples are taken after it. */
  private sentUpTo = -1;
  /** Published, PubAck awaited. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Failed publishes to send again, before anything new. */
  private resend: Sample[] = [];
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

  /** Samples published and awaiting their PubAck now. */
  get inFlightCount(): number {
    return this.inFlight.size;
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


  /** Fills the window: the failed samples first (oldest first), then the buffer's next ones. */
  private pump(): void {
    const js = this.js;
    if (this.stopped || !js || this.retryTimer) return;
    const buffer = this.opts.buffer;
    if (this.resend.length > 0) {
      const again = this.resend.sort((a, b) => a.seq - b.seq);
      this.resend = [];
      for (const s of again) this.publish(js, s);
    }
    const oldest = buffer.oldest;
    // One connection writes in call order, so each shard receives its samples in seq order.
    const room = this.maxInFlight - (oldest === undefined ? 0 : Math.max(0, this.sentUpTo - oldest + 1));
    if (room <= 0) return;
    for (const s of buffer.take(this.sentUpTo, room)) {
      this.publish(js, s);
      this.sentUpTo = s.seq;
    }
  }

  private publish(js: JetStreamClient, s: Sample): void {
    const { buffer, logger } = this.opts;
    const settled = js
      .publish(shardSubject(shardOf(s.stream, this.shardCount)), JSON.stringify(s), { msgID: sampleMessageId(s.probe, s.seq), timeout: this.timeout })
      .then(
        (pa) => {
          if (pa.duplicate) this.stats.duplicates++;
          this.stats.published++;
          this.failures = 0;
          buffer.ackOne(s.seq);
        },
        (err: unknown) => {
          this.stats.failedPublishes++;
          this.resend.push(s);
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
