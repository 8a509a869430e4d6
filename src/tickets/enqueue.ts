import type { TicketOutbox } from '../store/ports.ts';
import type { TicketActing } from './acting.ts';
import type { TicketCounters } from './counters.ts';
import { rowKey, type Notice, type Stage, type StageContext } from './stage.ts';

/**
 * Writes notices to the durable outbox, one row each under its idempotency key
 * `incident/vendor/suffix`, due at once or at its `notBefore`. The outbox keeps a key once, so this is the dedup: a replayed change or
 * the start-up catch-up enqueues nothing twice, on any hub of a cluster (the key is unique in the
 * shared store too). Only under the fence of the incident's stream (acting.ts): a hub that no longer
 * owns it enqueues nothing. A notice that carries a held update (`supersedes`) settles that row as
 * merged. Passes every notice on, new or not.
 */
export class EnqueueStage implements Stage {
  constructor(
    private readonly outbox: Pick<TicketOutbox, 'enqueue' | 'merge'>,
    private readonly counters: TicketCounters,
    private readonly acting: TicketActing,
    /** Read when a held row is merged: only one not due by this clock is (a due one may be on its way). */
    private readonly clock: () => number,
  ) {}

  async exec(ctx: StageContext, notices: readonly Notice[]): Promise<Notice[]> {
    const { incident, now } = ctx;
    for (const n of notices) {
      const row = { key: rowKey(incident.id, n.vendor, n.suffix), incidentId: incident.id, vendor: n.vendor, action: n.action, payload: n.payload, createdAt: now, ...(n.notBefore !== undefined && { nextAt: n.notBefore }) };
      const inserted = await this.acting.write(incident.id, `enqueueing ticket ${row.key}`, (fence) => this.outbox.enqueue(row, fence));
      if (inserted?.value) this.counters.stats.enqueued++;
      // After the notice is in: a crash between the two leaves the held row to go first, nothing lost.
      // A held row that fell due meanwhile (it may be on its way) goes too, ahead of the notice.
      if (inserted?.value && n.supersedes !== undefined) await this.acting.write(incident.id, `merging ticket ${n.supersedes}`, (fence) => this.outbox.merge(n.supersedes!, this.clock(), fence));
    }
    return [...notices];
  }
}
