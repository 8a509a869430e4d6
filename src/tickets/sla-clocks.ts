import type { Incident } from '../model/incident.ts';
import type { SlaTimers } from '../store/ports.ts';
import type { TicketActing } from './acting.ts';
import { acknowledgeSla, nextDueAt, resolveSla, severitySla, startSla, type SlaPolicy, type SlaState } from './sla.ts';
import type { Notice, Stage, StageContext } from './stage.ts';

/**
 * The vendor response clocks of incidents: the running ones in memory, every one persisted
 * through SlaTimers (a clock that is over, acknowledged or resolved, leaves memory and stays
 * stored). The arithmetic is the pure sla.ts; this keeps the states and writes them, each under
 * the fence of its incident's stream: only the clocks of the incidents this hub acts on run here.
 */
export class SlaClocks {
  private readonly running = new Map<string, SlaState>();

  constructor(
    private readonly timers: SlaTimers,
    /** The escalation policy in use (a config reload may replace it: read at each use). */
    private readonly routing: { readonly policy: SlaPolicy },
    private readonly acting: TicketActing,
  ) {}

  get policy(): SlaPolicy {
    return this.routing.policy;
  }

  /** Loads the clocks still running of the incidents `keep` takes (a restart: this hub's; a shard taken over: its streams'). */
  async restore(keep: (incidentId: string) => boolean): Promise<void> {
    for (const row of await this.timers.active()) if (keep(row.incidentId)) this.running.set(row.incidentId, row.data as SlaState);
  }

  /** Stops running the clocks of the incidents `drop` takes (another hub runs them now); their stored state stays. */
  release(drop: (incidentId: string) => boolean): void {
    for (const id of [...this.running.keys()]) if (drop(id)) this.running.delete(id);
  }

  /** The running clocks, as they are now. */
  active(): SlaState[] {
    return [...this.running.values()];
  }

  /** An incident's clock, running or over. */
  async get(incidentId: string): Promise<SlaState | undefined> {
    return this.running.get(incidentId) ?? ((await this.timers.get(incidentId))?.data as SlaState | undefined);
  }

  /** An incident's clock with the time its next escalation step falls due. */
  async status(incidentId: string): Promise<(SlaState & { nextDueAt?: number }) | undefined> {
    const st = await this.get(incidentId);
    if (!st) return undefined;
    const next = nextDueAt(st, this.policy);
    return { ...st, ...(next !== undefined && { nextDueAt: next }) };
  }

  /**
   * Writes the clock and keeps it running unless it is over. False, nothing written: this hub does
   * not act on the incident (any more), and its clock no longer runs here.
   */
  async save(st: SlaState): Promise<boolean> {
    const done = st.ackedAt !== undefined || st.resolvedAt !== undefined;
    const written = await this.acting.write(st.incidentId, 'saving the SLA clock', (fence) => this.timers.save(st.incidentId, st, done, fence));
    if (done || !written) this.running.delete(st.incidentId);
    else this.running.set(st.incidentId, st);
    return written !== undefined;
  }

  /** Starts the incident's clock now unless it ever had one. */
  async startOnce(inc: Incident, now: number): Promise<void> {
    if (this.running.has(inc.id) || (await this.timers.get(inc.id))) return;
    await this.save(startSla(inc.id, inc.severity, now));
  }

  /** A reopen: a clock the incident had starts over, as a new generation. */
  async restart(inc: Incident, now: number): Promise<void> {
    const prev = await this.get(inc.id);
    if (prev) await this.save(startSla(inc.id, inc.severity, now, prev));
  }

  /** The incident's severity changed: the running clock follows (sla.ts severitySla). */
  async severity(inc: Incident, now: number): Promise<void> {
    const st = this.running.get(inc.id);
    if (st) await this.save(severitySla(st, inc.severity, now, this.policy));
  }

  async resolve(inc: Incident, now: number): Promise<void> {
    const st = this.running.get(inc.id);
    if (st) await this.save(resolveSla(st, now));
  }

  /**
   * The vendor answered; the first answer counts. An incident without a clock is measured from its
   * opening. Undefined: not this hub's incident to acknowledge (nothing written).
   */
  async acknowledge(inc: Incident, by: string, now: number): Promise<{ timeToAckMs: number; already: boolean } | undefined> {
    const st = (await this.get(inc.id)) ?? startSla(inc.id, inc.severity, inc.openedAt);
    const r = acknowledgeSla(st, by, now);
    if (!r.already && !(await this.save(r.state))) return undefined;
    return { timeToAckMs: r.timeToAckMs, already: r.already };
  }
}

/** Starts the incident's clock once a ticket is on its way (any notice passed the stages before). */
export class StartSlaStage implements Stage {
  constructor(private readonly clocks: SlaClocks) {}

  async exec(ctx: StageContext, notices: readonly Notice[]): Promise<Notice[]> {
    if (notices.length > 0) await this.clocks.startOnce(ctx.incident, ctx.now);
    return [...notices];
  }
}
