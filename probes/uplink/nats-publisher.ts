import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../../src/common/log.ts';
import type { Sample } from '../../src/model/sample.ts';
import { DEFAULT_SHARD_COUNT, sampleMessageId, shardOf, shardSubject } from '../../src/model/shard.ts';
import { redactUrls } from '../../src/model/redact-url.ts';
import { backoffDelay, type BackoffOptions } from '../backoff.ts';
import type { UplinkBuffer } from './buffer.ts';

/**
 * The probe's samples over NATS JetStream instead of the hub's WebSocket (docs/architecture.md
 * "The NATS path"): each sample goes to its stream's shard subject with the message id
 * `<probe>:<seq>`, and leaves the UplinkBuffer only once JetStream acknowledged storing it (the
 * PubAck). While NATS is unreachable the buffer holds the samples (memory, then its spill dir) and
 * they are published again, oldest first, when it returns. A sample published twice (its PubAck
 * lost) carries the same id: JetStream drops the copy inside the stream's duplicate window, and
 * the hub drops what slips past it (its recent seqs per probe, the store's (probe, seq) key).
 */

export interface NatsSamplePublisherOptions {
  /** nats://host:port (comma-separated for several servers of a cluster). */
  url: string;
  buffer: UplinkBuffer;
  /** Must equal the hubs' `uplink.nats.shardCount`. */
  shardCount?: number;
  /** Samples published at once, awaiting their PubAcks (default 2000: a batch costs one round trip, so this bounds samples/s; bench/RESULTS.md). */
  maxInFlight?: number;
  /** How long a PubAck may take before the batch is published again (default 5 s). */
  publishTimeoutMs?: number;
  logger?: Logger;
}

export interface NatsSamplePublisherStats {
  published: number;
  /** PubAcks saying JetStream already had the message (a resend inside its duplicate window). */
  duplicates: number;
  failedBatches: number;
}

const RETRY_BACKOFF: BackoffOptions = { baseMs: 250, capMs: 5_000, jitter: 0.3 };

export class NatsSamplePublisher {
  readonly stats: NatsSamplePublisherStats = { published: 0, duplicates: 0, failedBatches: 0 };
  private readonly opts: NatsSamplePublisherOptions;
  private readonly shardCount: number;
  private readonly maxInFlight: number;
  private readonly timeout: number;
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private pumping: Promise<void> | undefined;
  private pumpAgain = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(opts: NatsSamplePublisherOptions) {
    this.opts = opts;
    this.shardCount = opts.shardCount ?? DEFAULT_SHARD_COUNT;
    shardOf('', this.shardCount); // refuse a bad count at construction, not at the first sample
    this.maxInFlight = opts.maxInFlight ?? 2000;
    this.timeout = opts.publishTimeoutMs ?? 5_000;
  }

  /** Connects in the background (retrying forever); samples enqueued meanwhile wait in the buffer. */
  start(): this {
    // waitOnFirstConnect: a NATS server that is down when the probe starts is retried like a lost one.
    void connect({ servers: this.opts.url.split(','), name: 'streamguard-probe', waitOnFirstConnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 500 })
      .then(async (nc) => {
        if (this.stopped) return void (await nc.close());
        this.nc = nc;
        this.js = jetstream(nc);
        this.opts.logger?.info({ nats: redactUrls(this.opts.url), unacked: this.opts.buffer.size }, 'connected to NATS');
        this.pump();
      })
      .catch((err: unknown) => this.opts.logger?.error({ err, nats: redactUrls(this.opts.url) }, 'cannot connect to NATS'));
    return this;
  }

  get connected(): boolean {
    return this.nc !== undefined && !this.nc.isClosed();
  }

  /** Keeps the sample (its seq is stamped here) and publishes it as soon as NATS allows. */
  enqueue(sample: Sample): void {
    this.opts.buffer.push(sample);
    this.pump();
  }

  /** Waits until every queued sample is stored by JetStream or `timeoutMs` passed; true if all were. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.opts.buffer.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, Math.min(50, deadline - Date.now())));
    return this.opts.buffer.size === 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.pumping;
    await this.nc?.close();
  }

  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    if (this.stopped || !this.js || this.retryTimer) return;
    this.pumping = this.publishAll(this.js).finally(() => {
      this.pumping = undefined;
      if (this.pumpAgain) {
        this.pumpAgain = false;
        this.pump();
      }
    });
  }

  /** Publishes the buffer oldest first, a batch at a time; a failed batch is retried after a backoff. */
  private async publishAll(js: JetStreamClient): Promise<void> {
    const { buffer, logger } = this.opts;
    while (!this.stopped) {
      const batch = buffer.take(buffer.acked, this.maxInFlight);
      if (batch.length === 0) return;
      try {
        // One connection writes in call order, so the batch reaches its shards in seq order.
        const acks = await Promise.all(
          batch.map((s) => js.publish(shardSubject(shardOf(s.stream, this.shardCount)), JSON.stringify(s), { msgID: sampleMessageId(s.probe, s.seq), timeout: this.timeout })),
        );
        for (const pa of acks) if (pa.duplicate) this.stats.duplicates++;
        this.stats.published += batch.length;
        buffer.ack(batch.at(-1)!.seq);
        this.failures = 0;
      } catch (err) {
        this.stats.failedBatches++;
        const delay = backoffDelay(this.failures++, RETRY_BACKOFF);
        logger?.warn({ err: (err as Error).message, unacked: buffer.size, retryInMs: delay }, 'publishing samples to NATS failed; kept, retrying');
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.pump();
        }, delay);
        return;
      }
    }
  }
}
