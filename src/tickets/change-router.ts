import { createHash } from 'node:crypto';
import type { Incident } from '../model/incident.ts';
import type { IncidentChange, IncidentTopic } from '../model/topics.ts';
import type { TicketOutbox } from '../store/ports.ts';
import { changeLines } from './change-lines.ts';
import type { ReadIncident } from './incident-reader.ts';
import { resolutionOf } from './resolution.ts';
import type { MuteStage } from './mute.ts';
import type { VendorRouting } from './routing.ts';
import type { SlaClocks } from './sla-clocks.ts';
import { openSuffix, rowKey, type Notice, type NoticePayload, type Stage } from './stage.ts';

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
 *   incident.opened / raised  ─▶ open a ticket at every qualifying vendor (once per occurrence)
 *   incident.reopened         ─▶ a relapse: a new SLA generation and a new ticket at every qualifying
 *                                vendor, naming the solved one before it (a solved ticket is never reopened)
 *   incident.* changes        ─▶ update at the vendors holding the occurrence's ticket (severity, scope,
 *                                regions, controller actions)
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
        await this.o.clocks.restart(inc, now);
        return this.open(inc, now);
      case 'incident.raised':
      case 'incident.lowered':
        await this.update(inc, changeLines(change.entries), now, true);
        await this.o.clocks.severity(inc, now);
        return this.open(inc, now);
      case 'incident.updated': {
        const lines = changeLines(change.entries);
        // The controller escalating an incident already at that severity: no severity change, still news now.
        if (lines.length > 0) await this.update(inc, lines, now, change.entries.some((e) => e.type === 'escalated'));
        return;
      }
      case 'incident.resolved':
        return this.resolve(inc, now, resolutionOf(change.entries));
    }
  }

  /**
   * Opens a ticket for the incident's current occurrence at every qualifying vendor that has none
   * (the mute stage may hold them); a relapse's ticket names the vendor's ticket before it.
   */
  async open(inc: Incident, now: number): Promise<void> {
    if (inc.status === 'resolved') return;
    const rows = inc.reopenCount > 0 ? await this.o.outbox.forIncident(inc.id) : [];
    const notices: Notice[] = this.o.routing.qualifying(inc).map((vendor) => {
      const previousTicket = rows.filter((r) => r.vendor === vendor && r.action === 'open' && r.ref !== undefined).at(-1)?.ref;
      return { vendor, action: 'open', suffix: openSuffix(inc), payload: { incident: inc, ...(previousTicket !== undefined && { previousTicket }) } };
    });
    await this.o.opens.exec({ incident: inc, now }, notices);
  }

  /**
   * Resolves wherever anything went for the incident since that vendor's last resolve: once per
   * occurrence. `resolution`: the resolve is no fix (from the change; the message otherwise reads
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
   * An update at every vendor holding the ticket of the incident's current occurrence; the key is
   * per change. `urgent` (a severity change, a controller escalation): past the coalescing of updates.
   */
  private async update(inc: Incident, changes: string[], now: number, urgent = false): Promise<void> {
    const key = `update@${inc.updatedAt}:${createHash('sha1').update(changes.join('\n')).digest('hex').slice(0, 8)}`;
    const notices: Notice[] = [];
    for (const { name } of this.o.routing.vendors()) {
      if (await this.o.outbox.get(rowKey(inc.id, name, openSuffix(inc)))) notices.push({ vendor: name, action: 'update', suffix: key, payload: { incident: inc, changes }, ...(urgent && { urgent }) });
    }
    await this.o.send.exec({ incident: inc, now }, notices);
  }
}
