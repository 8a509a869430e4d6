import type { TicketOutbox } from '../store/ports.ts';
import type { ReadIncident } from './incident-reader.ts';
import { TicketRequestError } from './request-error.ts';
import type { VendorRouting } from './routing.ts';
import { rowKey, type Notice, type Stage } from './stage.ts';
import type { TicketTimeline } from './timeline.ts';

export interface ManualTicketResult {
  incidentId: string;
  /** Per vendor: `open` (a new ticket) or `update` (it had one: the request is added to it). */
  vendors: { vendor: string; sent: 'open' | 'update' }[];
}

export interface ManualTicketsOptions {
  routing: VendorRouting;
  outbox: Pick<TicketOutbox, 'get'>;
  /** Coalesce (a request goes at once), enqueue, and start the SLA clock if none runs. */
  send: Stage;
  readIncident: ReadIncident;
  timeline: TicketTimeline;
}

/**
 * Tickets an operator opens by hand, at any severity (minSeverity is for the automatic ones) and
 * muted or not (the operator asks for it). Idempotent per incident and vendor: a vendor that
 * already has the incident's ticket gets an update with the request instead of a second ticket,
 * and the automatic open later is the same outbox row.
 */
export class ManualTickets {
  constructor(private readonly o: ManualTicketsOptions) {}

  /** `vendor` omitted: every ticket vendor. Throws TicketRequestError on an unknown or resolved incident or an unknown vendor. */
  async open(r: { incidentId: string; by: string; reason: string; vendor?: string }, now: number): Promise<ManualTicketResult> {
    const inc = await this.o.readIncident(r.incidentId);
    if (!inc) throw new TicketRequestError('not_found', `no incident "${r.incidentId}"`);
    if (inc.status === 'resolved') throw new TicketRequestError('conflict', `incident "${inc.id}" is resolved`);
    const vendors: ManualTicketResult['vendors'] = [];
    const notices: Notice[] = [];
    for (const vendor of this.o.routing.byHand(r.vendor)) {
      if (await this.o.outbox.get(rowKey(inc.id, vendor, 'open'))) {
        notices.push({ vendor, action: 'update', suffix: `manual@${now}`, payload: { incident: inc, changes: [`ticket requested by ${r.by}: ${r.reason}`] }, urgent: true });
        vendors.push({ vendor, sent: 'update' });
      } else {
        notices.push({ vendor, action: 'open', suffix: 'open', payload: { incident: inc } });
        vendors.push({ vendor, sent: 'open' });
      }
    }
    await this.o.send.exec({ incident: inc, now }, notices);
    await this.o.timeline.record(inc.id, 'tickets', 'ticket-requested', { requestedBy: r.by, reason: r.reason, vendors }, now);
    return { incidentId: inc.id, vendors };
  }
}
