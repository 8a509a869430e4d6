import type { TicketCounters } from './counters.ts';
import type { ReadIncident } from './incident-reader.ts';
import type { Muter } from './mute.ts';
import type { SlaClocks } from './sla-clocks.ts';
import { advanceSla, pauseSla, resumeSla } from './sla.ts';
import type { Stage } from './stage.ts';
import type { TicketTimeline } from './timeline.ts';

export interface AckResult {
  ok: boolean;
  error?: string;
  incidentId?: string;
  timeToAckMs?: number;
  /** Already acknowledged before (the first acknowledgement counts). */
  already?: boolean;
}

export interface EscalationOptions {
  clocks: SlaClocks;
  readIncident: ReadIncident;
  /** A muted incident's clock stops (pauses) until the muter lets it go. */
  muter: Muter | undefined;
  timeline: TicketTimeline;
  /** Where escalation notices go (coalesce: a held update goes first, then enqueue). */
  send: Stage;
  counters: TicketCounters;
}

/**
 * The escalation chain on the SLA clocks: on each tick, every step now due is written on the
 * timeline (`escalated`, by `sla`) and sent through its channel; the vendor's acknowledgement stops
 * the chain (`vendor-acknowledged` with the time it took).
 */
export class Escalation {
  constructor(private readonly o: EscalationOptions) {}

  async tick(now: number): Promise<void> {
    const { clocks, timeline, counters } = this.o;
    for (const st of clocks.active()) {
      const inc = await this.o.readIncident(st.incidentId);
      // A muted incident's clock stops: the vendor gets the rest of its response time after the
      // maintenance, not every step at once when it ends.
      const muted = inc !== undefined && this.o.muter?.holding(inc) !== undefined;
      const { state, due } = advanceSla(muted ? pauseSla(st, now) : resumeSla(st, now), clocks.policy, now);
      // A step fires only once its clock says so in the store, under this hub's fence: a former
      // owner of the incident's shard, paused past its lease, fires nothing.
      if (state !== st && !(await clocks.save(state))) continue;
      if (!inc) continue;
      for (const d of due) {
        counters.stats.escalations++;
        await timeline.record(inc.id, 'sla', 'escalated', { step: d.index + 1, name: d.name, channel: d.channel, severity: inc.severity, overdueMs: d.overdueMs }, now);
        const escalation = { step: d.index, name: d.name, overdueMs: d.overdueMs };
        await this.o.send.exec({ incident: inc, now }, [{ vendor: d.channel, action: 'escalate', suffix: `escalate:${state.generation}:${d.index}`, payload: { incident: inc, escalation } }]);
      }
    }
  }

  /** The vendor (or an operator on its behalf) acknowledged the incident's ticket. */
  async acknowledge(a: { incidentId: string; vendor: string; by: string }, now: number): Promise<AckResult> {
    const inc = await this.o.readIncident(a.incidentId);
    if (!inc) return { ok: false, error: `no incident "${a.incidentId}"` };
    const r = await this.o.clocks.acknowledge(inc, `${a.vendor}:${a.by}`, now);
    if (!r) return { ok: false, error: `incident "${inc.id}" is not this hub's to acknowledge now (another hub owns its stream)` };
    if (r.already) return { ok: true, incidentId: inc.id, timeToAckMs: r.timeToAckMs, already: true };
    this.o.counters.stats.acks++;
    await this.o.timeline.record(inc.id, 'sla', 'vendor-acknowledged', { vendor: a.vendor, ackBy: a.by, timeToAckMs: r.timeToAckMs }, now);
    return { ok: true, incidentId: inc.id, timeToAckMs: r.timeToAckMs };
  }
}
