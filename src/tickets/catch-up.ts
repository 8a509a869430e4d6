import type { IncidentRepository, TicketOutbox } from '../store/ports.ts';
import type { ChangeRouter } from './change-router.ts';
import type { ReadIncident } from './incident-reader.ts';
import type { MuteStage } from './mute.ts';
import type { LiveIncidents } from './ports.ts';
import type { SlaClocks } from './sla-clocks.ts';

/** How far back the catch-up looks for incidents that got a ticket row. */
const CATCH_UP_WINDOW_MS = 7 * 86_400_000;

export interface CatchUpOptions {
  clocks: SlaClocks;
  mute: MuteStage;
  router: ChangeRouter;
  live: Pick<LiveIncidents, 'open'>;
  stored: Pick<IncidentRepository, 'timeline'>;
  outbox: Pick<TicketOutbox, 'incidentIds'>;
  readIncident: ReadIncident;
}

/**
 * What a (re)started service does before it follows the bus, for the incidents `keep` takes (this
 * hub's; when it takes a shard over, that shard's): restores the running SLA clocks and which
 * incidents a muter held, opens the tickets of the open incidents (a no-op for those already in
 * the outbox) and resolves what was resolved while it was down (or while no hub owned the shard).
 */
export async function catchUp(o: CatchUpOptions, now: number, keep: (incidentId: string) => boolean): Promise<void> {
  await o.clocks.restore(keep);
  const open = o.live.open().filter((inc) => keep(inc.id));
  // Held before the restart: still held (no second `ticket-held`), or released now.
  for (const inc of open) o.mute.restore(inc.id, await o.stored.timeline(inc.id));
  for (const inc of open) await o.router.open(inc, now);
  // Resolved while down (or the resolve was lost in a crash): the resolve key is per reopen
  // generation, so this is a no-op for what was already enqueued.
  const ids = new Set([...o.clocks.active().map((s) => s.incidentId), ...(await o.outbox.incidentIds(now - CATCH_UP_WINDOW_MS))]);
  for (const id of [...ids].filter(keep)) {
    const inc = await o.readIncident(id);
    if (inc?.status === 'resolved') await o.router.resolve(inc, now);
  }
}
