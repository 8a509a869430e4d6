import type { Logger } from '../common/log.ts';
import type { OutboxRow, TicketOutbox } from '../store/ports.ts';
import type { TicketActing } from './acting.ts';
import { DeliveryError, type DeliveryResult, type TicketMessage, type TicketVendor } from './types.ts';

/** Due rows read at a time. */
const PAGE = 200;

/**
 * The delivery loop: sends the outbox's due rows to their vendors, at-least-once, in order per
 * (incident, vendor), retrying with exponential backoff what the adapter calls retryable
 * (DeliveryError.retryable; anything else thrown is retried too). The state is all in the
 * TicketOutbox, so a restarted hub picks up where the killed one stopped; a delivery interrupted
 * by the kill is sent again with the same idempotency key (PagerDuty dedup_key, desk
 * Idempotency-Key, email Message-ID).
 *
 * In a cluster a hub delivers only the rows of the incidents it acts on (acting.ts), asked right
 * before each send, and marks each outcome under the fence of the incident's stream. A hub that
 * lost the shard while the vendor was answering cannot mark the row: the vendor got the message,
 * the row stays pending, and the new owner sends it again under the same idempotency key (one
 * ticket at the vendor, as after a kill).
 */

export interface RetryPolicy {
  /** First retry after this, doubling each attempt. Default 1 s. */
  baseMs: number;
  /** Retry interval cap. Default 10 s. */
  maxMs: number;
  /** A row still failing this long after it was enqueued is given up (status failed). Default 24 h. */
  maxAgeMs: number;
}

// The cap bounds how late a ticket is after its vendor comes back: 10 s, not a minute.
export const DEFAULT_RETRY: RetryPolicy = { baseMs: 1000, maxMs: 10_000, maxAgeMs: 24 * 3_600_000 };

export type DeliveryOutcome =
  | { type: 'delivered'; result: DeliveryResult; attempts: number; delayMs: number }
  | { type: 'retry'; error: string; attempts: number; nextAt: number }
  | { type: 'failed'; error: string; attempts: number };

export interface OutboxDeliveryOptions {
  store: TicketOutbox;
  vendor: (name: string) => TicketVendor | undefined;
  /** Builds the message at delivery time; a throw drops the row as failed (nothing to send). */
  render: (row: OutboxRow) => Promise<TicketMessage>;
  clock: () => number;
  /** Which rows this hub delivers, and the fenced marks of their outcomes. */
  acting: TicketActing;
  retry?: Partial<RetryPolicy> | undefined;
  /** Awaited: a drain is over when the outcomes of its deliveries are recorded. */
  onOutcome?: (row: OutboxRow, outcome: DeliveryOutcome) => Promise<void>;
  logger?: Logger;
}

export function backoffMs(attempts: number, p: RetryPolicy): number {
  return Math.min(p.maxMs, p.baseMs * 2 ** Math.max(0, attempts - 1));
}

export class OutboxDelivery {
  private readonly retry: RetryPolicy;
  private running: Promise<number> | undefined;
  private closed = false;

  constructor(private readonly opts: OutboxDeliveryOptions) {
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
  }

  /**
   * Delivers everything due, repeating while deliveries unblock successors (open → update).
   * Concurrent calls share one run. Resolves with the number of rows delivered.
   */
  drain(): Promise<number> {
    if (!this.running) {
      this.running = this.run().finally(() => (this.running = undefined));
    }
    return this.running;
  }

  /**
   * Stops writing outcomes: a delivery still in flight is left pending in the store and sent again
   * after the next start (at-least-once), so the store can be closed without waiting for a slow vendor.
   */
  close(): void {
    this.closed = true;
  }

  /** Resolves when the current run (if any) is over. */
  idle(): Promise<unknown> {
    return this.running ?? Promise.resolve();
  }

  private async run(): Promise<number> {
    let delivered = 0;
    try {
      // Page by page through the due rows (in a cluster most may be other hubs' shards: skipped,
      // never in the way of this hub's); at the end, again from the start while deliveries made
      // the next rows of their incidents due.
      let after = 0;
      let sweepDelivered = 0;
      for (let pass = 0; pass < 20 && !this.closed; pass++) {
        const page = await this.opts.store.due(this.opts.clock(), PAGE, after);
        const rows = page.filter((r) => this.opts.acting.acts(r.incidentId));
        const n = (await Promise.all(rows.map((r) => this.deliver(r)))).filter(Boolean).length;
        delivered += n;
        sweepDelivered += n;
        if (page.length === PAGE) {
          after = page.at(-1)!.id;
          continue;
        }
        if (sweepDelivered === 0) break;
        after = 0;
        sweepDelivered = 0;
      }
    } catch (err) {
      if (!this.closed) this.opts.logger?.error({ err }, 'outbox run failed; retrying on the next tick');
    }
    return delivered;
  }

  private async deliver(row: OutboxRow): Promise<boolean> {
    const { store, clock } = this.opts;
    const attempts = row.attempts + 1;
    const vendor = this.opts.vendor(row.vendor);
    let msg: TicketMessage;
    try {
      if (!vendor) throw new DeliveryError(`no vendor "${row.vendor}" configured (any more)`, false);
      msg = await this.opts.render(row);
    } catch (err) {
      const error = (err as Error).message;
      if (await this.mark(row, 'failed', (fence) => store.markFailed(row.id, error, fence))) await this.outcome(row, { type: 'failed', error, attempts });
      return false;
    }
    // Asked right before the send: the shard may have changed hands since the row was due.
    if (!this.opts.acting.acts(row.incidentId)) return false;
    try {
      const ref = await store.ref(row.incidentId, row.vendor);
      const result = await vendor.send(msg, ref !== undefined ? { ref } : {});
      if (this.closed) return false;
      const now = clock();
      if (!(await this.mark(row, 'delivered', (fence) => store.markDelivered(row, now, result.ref, fence)))) {
        this.opts.logger?.warn(
          { key: row.key, vendor: row.vendor, ...(result.ref !== undefined && { ref: result.ref }) },
          'ticket sent to the vendor but not marked delivered: this hub no longer acts on its incident; its new owner sends it again under the same idempotency key, which the vendor takes as the same ticket',
        );
        return false;
      }
      await this.outcome(row, { type: 'delivered', result, attempts, delayMs: now - row.createdAt });
      return true;
    } catch (err) {
      if (this.closed) return false;
      const now = clock();
      const error = (err as Error).message;
      const retryable = !(err instanceof DeliveryError) || err.retryable;
      if (!retryable || now - row.createdAt >= this.retry.maxAgeMs) {
        if (await this.mark(row, 'failed', (fence) => store.markFailed(row.id, error, fence))) await this.outcome(row, { type: 'failed', error, attempts });
      } else {
        const nextAt = now + backoffMs(attempts, this.retry);
        if (await this.mark(row, 'retry', (fence) => store.markRetry(row.id, nextAt, error, fence))) await this.outcome(row, { type: 'retry', error, attempts, nextAt });
      }
      return false;
    }
  }

  /** Marks a row's outcome under its incident's fence; false when this hub may no longer (nothing written, logged by `acting`). */
  private async mark(row: OutboxRow, outcome: DeliveryOutcome['type'], write: Parameters<TicketActing['write']>[2]): Promise<boolean> {
    return (await this.opts.acting.write(row.incidentId, `marking ticket ${row.key} ${outcome}`, write)) !== undefined;
  }

  private async outcome(row: OutboxRow, o: DeliveryOutcome): Promise<void> {
    const log = this.opts.logger;
    if (o.type === 'delivered') log?.info({ key: row.key, attempts: o.attempts, delayMs: o.delayMs }, 'ticket delivered');
    else if (o.type === 'retry') log?.warn({ key: row.key, attempts: o.attempts, error: o.error, nextAt: o.nextAt }, 'ticket delivery failed; will retry');
    else log?.error({ key: row.key, attempts: o.attempts, error: o.error }, 'ticket delivery given up');
    try {
      await this.opts.onOutcome?.(row, o);
    } catch (err) {
      log?.error({ err, key: row.key }, 'outbox outcome handler failed');
    }
  }
}
