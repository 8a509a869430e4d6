import { createHash } from 'node:crypto';
import { IncidentScopeSchema, isWiderScope, type Incident, type TimelineEntry } from '../model/incident.ts';
import type { IncidentChange, IncidentTopic } from '../model/topics.ts';
import type { TicketOutbox } from '../store/ports.ts';
import { changeLines } from './change-lines.ts';
import type { ReadIncident } from './incident-reader.ts';
import { resolutionOf } from './resolution.ts';
import type { MuteStage } from './mute.ts';
import type { VendorRouting } from './routing.ts';
import type { SlaClocks } from './sla-clocks.ts';
import { rowKey, type Notice, type NoticePayload, type Stage } from './stage.ts';

export interface ChangeRouterOptions {
  routing: VendorRouting;
  outbox: Pick<TicketOutbox, 'get' | 'forIncident'>;
  /** New tickets: mute, coalesce (release a held update), enqueue, start the SLA clock. */
  opens: Stage;
  /** Everything else: coalesce, enqueue. */
  send: Stage;
  /** Holds the incidents whose tickets a muter holds back. */
  mute: MuteStage;
  clocks: SlaClocks;
  readIncident: ReadIncident;
}

/**
 * Turns the hub's incident changes into notices and runs them through their stages:
 *
 *   incident.opened / raised  ─▶ open a ticket at every qualifying vendor (once per incident, ever)
 *   incident.reopened         ─▶ a relapse (the same fault, back within the reopen window): reopen the
 *                                ticket at the vendors holding one, at once; a new SLA generation; an
 *                                open at the qualifying vendors that have none yet
 *   incident.* changes        ─▶ update at the vendors holding a ticket (severity, scope, regions,
 *                                controller actions)
 *   incident.resolved         ─▶ resolve wherever a ticket or escalation went since the last resolve
 */
export class ChangeRouter {
  constructor(private readonly o: ChangeRouterOptions) {}

  async handle(topic: IncidentTopic, change: IncidentChange, now: number): Promise<void> {
    const inc = change.incident;
    switch (topic) {
      case 'incident.opened':
        return this.open(inc, now);
      case 'incident.reopened':
        await this.reopen(inc, now);
        await this.o.clocks.restart(inc, now);
        return this.open(inc, now);
      case 'incident.raised':
      case 'incident.lowered':
        await this.update(inc, changeLines(change.entries), now, true);
        await this.o.clocks.severity(inc, now);
        return this.open(inc, now);
      case 'incident.updated': {
        const lines = changeLines(change.entries);
        if (lines.length > 0) await this.update(inc, lines, now, change.entries.some(isNewsNow));
        return;
      }
      case 'incident.resolved':
        return this.resolve(inc, now, resolutionOf(change.entries));
    }
  }

  /** Opens a ticket at every qualifying vendor that has none (the mute stage may hold them). */
  async open(inc: Incident, now: number): Promise<void> {
    if (inc.status === 'resolved') return;
    const notices: Notice[] = this.o.routing.qualifying(inc).map((vendor) => ({ vendor, action: 'open', suffix: 'open', payload: { incident: inc } }));
    await this.o.opens.exec({ incident: inc, now }, notices);
  }

  /**
   * Resolves wherever anything went for the incident since that vendor's last resolve: once per
   * reopen generation. `resolution`: the resolve is no fix (from the change; the message otherwise reads
   * it from the timeline).
   */
  async resolve(inc: Incident, now: number, resolution?: NoticePayload['resolution']): Promise<void> {
    const unresolved = new Map<string, boolean>();
    for (const r of await this.o.outbox.forIncident(inc.id)) unresolved.set(r.vendor, r.action !== 'resolve');
    const payload: NoticePayload = { incident: inc, ...(resolution && { resolution }) };
    const notices: Notice[] = [...unresolved].filter(([, open]) => open).map(([vendor]) => ({ vendor, action: 'resolve', suffix: `resolve:${inc.reopenCount}`, payload }));
    await this.o.send.exec({ incident: inc, now }, notices);
    await this.o.clocks.resolve(inc, now);
  }

  /** Runs the held incidents through again: those still open get their tickets once nothing mutes them. */
  async releaseHeld(now: number): Promise<void> {
    for (const id of this.o.mute.heldIds()) {
      const inc = await this.o.readIncident(id);
      if (inc && inc.status !== 'resolved') await this.open(inc, now);
      else this.o.mute.forget(id);
    }
  }

  /**
   * A relapse is the same fault: the vendor's ticket, solved at the resolve, is reopened (one
   * ticket for a flapping line, not one per return). An update keyed `reopen:<n>`, so a replayed
   * change or a restart never reopens twice; urgent: the vendor hears of the return at once.
   */
  private async reopen(inc: Incident, now: number): Promise<void> {
    const notices = await this.atTicketHolders(inc, { incident: inc, relapse: inc.reopenCount }, `reopen:${inc.reopenCount}`, true);
    await this.o.send.exec({ incident: inc, now }, notices);
  }

  /** An update at every vendor holding a ticket; the key is per change. `urgent` (a severity change, a controller escalation): past the coalescing of updates. */
  private async update(inc: Incident, changes: string[], now: number, urgent = false): Promise<void> {
    const key = `update@${inc.updatedAt}:${createHash('sha1').update(changes.join('\n')).digest('hex').slice(0, 8)}`;
    await this.o.send.exec({ incident: inc, now }, await this.atTicketHolders(inc, { incident: inc, changes }, key, urgent));
  }

  /** An update notice for every vendor the incident's open went to. */
  private async atTicketHolders(inc: Incident, payload: NoticePayload, suffix: string, urgent: boolean): Promise<Notice[]> {
    const notices: Notice[] = [];
    for (const { name } of this.o.routing.vendors()) {
      if (await this.o.outbox.get(rowKey(inc.id, name, 'open'))) notices.push({ vendor: name, action: 'update', suffix, payload, ...(urgent && { urgent }) });
    }
    return notices;
  }
}

/**
 * A change the vendor hears at once, past the coalescing of updates, though the severity stays: the
 * controller escalating, or the fault reaching further (regional → line: every region sees it now).
 * A narrowing waits like any update: the next one or the resolution carries it.
 */
function isNewsNow(e: TimelineEntry): boolean {
  if (e.type === 'escalated') return true;
  if (e.type !== 'scope-changed') return false;
  const from = IncidentScopeSchema.safeParse(e.data['from']);
  const to = IncidentScopeSchema.safeParse(e.data['to']);
  return from.success && to.success && isWiderScope(to.data, from.data);
}
