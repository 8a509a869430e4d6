import type { Logger } from '../common/log.ts';
import type { IncidentRepository } from '../store/ports.ts';
import type { LiveIncidents } from './ports.ts';

/** Who writes a ticket step: the ticket machinery, or the SLA clock and its escalation chain. */
export type TicketActor = 'tickets' | 'sla';

/**
 * Writes ticket steps on incident timelines (`type: "action"`, `by: "tickets" | "sla"`). A step
 * that cannot be written is logged, never thrown: a timeline entry must not stop a delivery.
 */
export class TicketTimeline {
  constructor(
    private readonly live: LiveIncidents,
    private readonly stored: Pick<IncidentRepository, 'get' | 'save'>,
    private readonly log?: Logger,
  ) {}

  async record(incidentId: string, by: TicketActor, action: string, detail: Record<string, unknown>, now: number): Promise<void> {
    try {
      const inc = await this.stored.get(incidentId);
      const current = inc && this.live.byDedupKey(inc.key);
      if (inc && current && current.id !== incidentId) {
        // A later incident holds this key in the manager: acting through it would put the old one
        // back in its place. Append the entry to the old incident's stored timeline only.
        await this.stored.save(inc, [{ incidentId, t: now, type: 'action', data: { by, action, ...detail } }]);
        return;
      }
      // A resolved incident the manager no longer holds (a delivery finishing after a restart) is acted on as stored.
      this.live.act(incidentId, { type: 'action', by, action, detail }, now, inc);
    } catch (err) {
      this.log?.warn({ err, incidentId, action }, 'could not record a ticket step on the incident timeline');
    }
  }
}
