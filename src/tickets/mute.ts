import type { Incident } from '../model/incident.ts';
import type { TicketOutbox } from '../store/ports.ts';
import { rowKey, type Notice, type Stage, type StageContext } from './stage.ts';
import type { TicketTimeline } from './timeline.ts';

/**
 * Says whether something mutes an incident now (a maintenance silence), and which, by id. The
 * hub's silences answer it; the mute stage holds back the incident's new tickets and the
 * escalation stage stops its SLA clock while it answers.
 */
export interface Muter {
  holding(incident: Incident): { id: string } | undefined;
}

const HELD = 'ticket-held';
const RELEASED = 'ticket-released';

/**
 * Holds back the new tickets of a muted incident: they are not enqueued, and the timeline says
 * `ticket-held` (once, with the silence id). Tickets already open are not new, so a muted reopen
 * or raise of a ticketed incident holds nothing. Once the muter lets the incident go (the
 * tick runs held incidents through again), `ticket-released` and the tickets pass.
 */
export class MuteStage implements Stage {
  /** Incidents whose tickets are held now. */
  private readonly held = new Set<string>();

  constructor(
    private readonly muter: Muter | undefined,
    private readonly outbox: Pick<TicketOutbox, 'get'>,
    private readonly timeline: TicketTimeline,
  ) {}

  async exec(ctx: StageContext, notices: readonly Notice[]): Promise<Notice[]> {
    const { incident, now } = ctx;
    const silence = this.muter?.holding(incident);
    if (silence !== undefined) {
      if (!this.held.has(incident.id) && (await this.anyNew(incident.id, notices))) {
        this.held.add(incident.id);
        await this.timeline.record(incident.id, 'tickets', HELD, { silence: silence.id }, now);
      }
      return [];
    }
    if (this.held.delete(incident.id)) await this.timeline.record(incident.id, 'tickets', RELEASED, {}, now);
    return [...notices];
  }

  /** Incidents whose tickets are held, to run through again. */
  heldIds(): string[] {
    return [...this.held];
  }

  /** A held incident that will never get its tickets (resolved, gone). */
  forget(incidentId: string): void {
    this.held.delete(incidentId);
  }

  /** Forgets the held incidents `drop` takes (another hub holds or releases them now). */
  release(drop: (incidentId: string) => boolean): void {
    for (const id of [...this.held]) if (drop(id)) this.held.delete(id);
  }

  /** After a restart: held before it stays held, without a second `ticket-held`. */
  restore(incidentId: string, timeline: readonly { type: string; data: unknown }[]): void {
    if (heldOnTimeline(timeline)) this.held.add(incidentId);
  }

  private async anyNew(incidentId: string, notices: readonly Notice[]): Promise<boolean> {
    for (const n of notices) if (!(await this.outbox.get(rowKey(incidentId, n.vendor, n.suffix)))) return true;
    return false;
  }
}

/** Whether an incident's timeline says a muter holds its tickets now (the current recurrence). */
export function heldOnTimeline(entries: readonly { type: string; data: unknown }[]): boolean {
  let held = false;
  for (const e of entries) {
    const d = e.data as { by?: unknown; action?: unknown };
    if (e.type === 'reopened') held = false;
    else if (e.type === 'action' && d.by === 'tickets' && (d.action === HELD || d.action === RELEASED)) held = d.action === HELD;
  }
  return held;
}
