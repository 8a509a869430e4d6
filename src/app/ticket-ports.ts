import type { TicketHub } from '../tickets/index.ts';
import type { Store } from '../store/ports.ts';
import type { Hub } from './hub.ts';

/** What the tickets take from the hub and its store (src/tickets/ports.ts). */
export function ticketHub(hub: Hub, store: Store): TicketHub {
  return {
    bus: hub.bus,
    incidents: hub.incidents,
    stored: store.incidents,
    audit: store.audit,
    evidence: { history: store.samples, timeline: (id) => store.incidents.timeline(id) },
  };
}
