import type { OutboxRow } from '../store/ports.ts';
import type { TicketCounters } from './counters.ts';
import type { DeliveryOutcome } from './outbox.ts';
import type { NoticePayload } from './stage.ts';
import type { TicketTimeline } from './timeline.ts';

/**
 * What a delivery attempt means for the incident: counted, and on its timeline — a ticket opened
 * or resolved (with the vendor's reference), an escalation delivered, the first failed attempt of
 * a row, a row given up.
 */
export class DeliveryOutcomes {
  constructor(
    private readonly timeline: TicketTimeline,
    private readonly counters: TicketCounters,
    private readonly clock: () => number,
  ) {}

  async record(row: OutboxRow, o: DeliveryOutcome): Promise<void> {
    const now = this.clock();
    const payload = row.payload as NoticePayload;
    const { stats } = this.counters;
    this.counters.deliveryAttempt(row.vendor, o.type);
    if (o.type === 'delivered') {
      stats.delivered++;
      if (row.action === 'open') this.counters.ticketOpened(row.vendor, payload.incident.severity);
      const detail = { vendor: row.vendor, ...(o.result.ref !== undefined && { ref: o.result.ref }), attempts: o.attempts, delayMs: o.delayMs };
      if (row.action === 'open') await this.timeline.record(row.incidentId, 'tickets', 'ticket-opened', detail, now);
      else if (row.action === 'resolve') await this.timeline.record(row.incidentId, 'tickets', 'ticket-resolved', detail, now);
      else if (row.action === 'escalate') await this.timeline.record(row.incidentId, 'sla', 'escalation-delivered', { ...detail, step: (payload.escalation?.step ?? 0) + 1 }, now);
    } else if (o.type === 'retry') {
      stats.retries++;
      // Once per row: "the vendor endpoint is failing" is news, every retry is not.
      if (o.attempts === 1) await this.timeline.record(row.incidentId, 'tickets', 'ticket-delivery-retrying', { vendor: row.vendor, ticket: row.action, error: o.error }, now);
    } else {
      stats.failed++;
      await this.timeline.record(row.incidentId, 'tickets', 'ticket-failed', { vendor: row.vendor, ticket: row.action, attempts: o.attempts, error: o.error }, now);
    }
  }
}
