import type { Logger } from '../shared/log.ts';
import type { NewOutboxRow, OutboxRow, OutboxStore } from '../store/outbox.ts';
import { DeliveryError, type DeliveryResult, type TicketMessage, type TicketVendor } from './types.ts';

/**
 * Delivers outbox rows to vendors: at-least-once, in order per (incident, vendor), with
 * exponential backoff. The state is all in the store (src/store/outbox.ts), so a restarted hub
 * picks up where the killed one stopped; a delivery interrupted by the kill is sent again with
 * the same idempotency key (PagerDuty dedup_key, desk Idempotency-Key, email Message-ID).
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

export interface OutboxOptions {
  store: OutboxStore;
  vendor: (name: string) => TicketVendor | undefined;
  /** Builds the message at delivery time; undefined drops the row as failed (nothing to send). */
  render: (row: OutboxRow) => TicketMessage | undefined;
  clock: () => number;
  retry?: Partial<RetryPolicy>;
  onOutcome?: (row: OutboxRow, outcome: DeliveryOutcome) => void;
  logger?: Logger;
}

export function backoffMs(attempts: number, p: RetryPolicy): number {
  return Math.min(p.maxMs, p.baseMs * 2 ** Math.max(0, attempts - 1));
}

export class Outbox {
  private readonly retry: RetryPolicy;
  private running: Promise<number> | undefined;
  private closed = false;

  constructor(private readonly opts: OutboxOptions) {
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
  }

  /** Durable on return; false when the idempotency key was already there. */
  enqueue(row: NewOutboxRow): boolean {
    return this.opts.store.enqueue(row);
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
        const rows = this.opts.store.due(this.opts.clock(), 200);
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
    let msg: TicketMessage | undefined;
    try {
      if (!vendor) throw new DeliveryError(`no vendor "${row.vendor}" configured (any more)`, false);
      msg = this.opts.render(row);
      if (!msg) throw new DeliveryError('nothing to send (incident gone)', false);
    } catch (err) {
      const error = (err as Error).message;
      store.markFailed(row.id, error);
      this.outcome(row, { type: 'failed', error, attempts });
      return false;
    }
    try {
      const ref = store.ref(row.incidentId, row.vendor);
      const result = await vendor.send(msg, ref !== undefined ? { ref } : {});
      if (this.closed) return false;
      const now = clock();
      store.markDelivered(row, now, result.ref);
      this.outcome(row, { type: 'delivered', result, attempts, delayMs: now - row.createdAt });
      return true;
    } catch (err) {
      if (this.closed) return false;
      const now = clock();
      const error = (err as Error).message;
      const retryable = !(err instanceof DeliveryError) || err.retryable;
      if (!retryable || now - row.createdAt >= this.retry.maxAgeMs) {
        store.markFailed(row.id, error);
        this.outcome(row, { type: 'failed', error, attempts });
      } else {
        const nextAt = now + backoffMs(attempts, this.retry);
        store.markRetry(row.id, nextAt, error);
        this.outcome(row, { type: 'retry', error, attempts, nextAt });
      }
      return false;
    }
  }

  private outcome(row: OutboxRow, o: DeliveryOutcome): void {
    const log = this.opts.logger;
    if (o.type === 'delivered') log?.info({ key: row.key, attempts: o.attempts, delayMs: o.delayMs }, 'ticket delivered');
    else if (o.type === 'retry') log?.warn({ key: row.key, attempts: o.attempts, error: o.error, nextAt: o.nextAt }, 'ticket delivery failed; will retry');
    else log?.error({ key: row.key, attempts: o.attempts, error: o.error }, 'ticket delivery given up');
    try {
      this.opts.onOutcome?.(row, o);
    } catch (err) {
      log?.error({ err, key: row.key }, 'outbox outcome handler failed');
    }
  }
}
