import { Hub, type HubOptions } from '../../src/app/hub.ts';
import { ticketHub } from '../../src/app/ticket-ports.ts';
import type { TimelineEntry } from '../../src/model/incident.ts';
import type { Store } from '../../src/store/ports.ts';
import type { Muter } from '../../src/tickets/mute.ts';
import type { TicketHub, TicketStorage } from '../../src/tickets/ports.ts';

/** A started hub core on a store, wired as the hub's wiring does it; no timers (tests drive it). */
export function hubOn(store: Store, opts: Partial<HubOptions> = {}): Promise<Hub> {
  return new Hub({ incidents: store.incidents, samples: store.samples, streams: [], tickMs: 0, compactEveryMs: 0, ...opts }).start();
}

/** An incident's stored timeline, once the hub's incident manager has written every change so far (it writes behind). */
export async function settledTimeline(hub: Hub, store: Store, incidentId: string): Promise<TimelineEntry[]> {
  await hub.incidents.settled();
  return store.incidents.timeline(incidentId);
}

/** The tickets' ports on a hub and its store, wired as the hub's wiring does it. */
export function ticketPorts(hub: Hub, store: Store): { hub: TicketHub; storage: TicketStorage } {
  return { hub: ticketHub(hub, store), storage: store };
}

/** A maintenance silence the test switches: `silence()` names the one holding every incident now, if any. */
export function silenceSwitch(silence: () => string | undefined): Muter {
  return {
    holding: () => {
      const id = silence();
      return id === undefined ? undefined : { id };
    },
  };
}
