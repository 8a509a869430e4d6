import type { Hub } from '../../src/app/hub.ts';
import { ticketHub } from '../../src/app/ticket-ports.ts';
import type { Store } from '../../src/store/ports.ts';
import type { Muter } from '../../src/tickets/mute.ts';
import type { TicketHub, TicketStorage } from '../../src/tickets/ports.ts';

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
