import type { Logger } from '../common/log.ts';
import type { OutboxRow, TicketOutbox } from '../store/ports.ts';
import { DeliveryError, type DeliveryResult, type TicketMessage, type TicketVendor } from './types.ts';

/**
 * The delivery loop: sends the outbox's due rows to their vendors, at-least-once, in order per
 * (incident, vendor), retrying with exponential backoff what the adapter calls retryable
 * (DeliveryError.retryable; anything else thrown is retried too). The state is all in the
 * TicketOutbox, so a restarted hub picks up where the killed one stopped; a delivery interrupted
 * by the kill is sent again with the same idempotency key (PagerDuty dedup_key, desk
 * Idempotency-Key, email Message-ID).
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
      for (let pass = 0; pass < 20 && !this.closed; pass++) {
        const rows = await this.opts.store.due(this.opts.clock(), 200);
        if (rows.length === 0) break;
        const results = await Promise.all(rows.map((r) => this.deliver(r)));
        const n = results.filter(Boolean).length;
        delivered += n;
        if (n === 0) break;
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
      await store.markFailed(row.id, error);
      await this.outcome(row, { type: 'failed', error, attempts });
      return false;
    }
    try {
      const ref = await store.ref(row.incidentId, row.vendor);
      const result = await vendor.send(msg, ref !== undefined ? { ref } : {});
      if (this.closed) return false;
      const now = clock();
      await store.markDelivered(row, now, result.ref);
      await this.outcome(row, { type: 'delivered', result, attempts, delayMs: now - row.createdAt });
      return true;
    } catch (err) {
      if (this.closed) return false;
      const now = clock();
      const error = (err as Error).message;
      const retryable = !(err instanceof DeliveryError) || err.retryable;
      if (!retryable || now - row.createdAt >= this.retry.maxAgeMs) {
        await store.markFailed(row.id, error);
        await this.outcome(row, { type: 'failed', error, attempts });
      } else {
        const nextAt = now + backoffMs(attempts, this.retry);
        await store.markRetry(row.id, nextAt, error);
        await this.outcome(row, { type: 'retry', error, attempts, nextAt });
      }
      return false;
    }
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
