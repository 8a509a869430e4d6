import type { OutboxRow, TicketOutbox } from '../store/ports.ts';
import type { TicketActing } from './acting.ts';
import { heldUpdate, planUpdate } from './coalesce.ts';
import { rowKey, type Notice, type NoticePayload, type Stage, type StageContext } from './stage.ts';

export interface CoalesceStageOptions {
  outbox: Pick<TicketOutbox, 'forIncident' | 'amend'>;
  /** The vendor's `updateEvery` (ms) in the config in use. */
  updateEvery: (vendor: string) => number;
  /** Read at each step: a row is amended only while it is not due by this clock (it may be on its way otherwise). */
  clock: () => number;
  /** Amends only under the fence of the incident's stream. */
  acting: TicketActing;
}

/**
 * Coalesces the updates to a vendor (the rule: coalesce.ts). Passes on an update that goes now,
 * or holds it (passed on with `notBefore`, the enqueue stage writes it due then); merges an update
 * into the held one instead, in the outbox (nothing is lost across a restart: the held row is
 * there, with every change it took in); releases a held update before any other message to the
 * vendor, so that message is not kept waiting behind it — but a resolve takes the held update in
 * (its changes go with the resolve, one message instead of an update and a resolve 20 ms apart).
 */
export class CoalesceStage implements Stage {
  constructor(private readonly o: CoalesceStageOptions) {}

  async exec(ctx: StageContext, notices: readonly Notice[]): Promise<Notice[]> {
    const out: Notice[] = [];
    for (const n of notices) {
      const now = this.o.clock();
      const rows = (await this.o.outbox.forIncident(ctx.incident.id)).filter((r) => r.vendor === n.vendor);
      // Already in the outbox (a replayed change): the enqueue stage drops it.
      if (rows.some((r) => r.key === rowKey(ctx.incident.id, n.vendor, n.suffix))) {
        out.push(n);
        continue;
      }
      const held = heldUpdate(rows, now);
      if (n.action === 'resolve' && held) {
        out.push(takingIn(n, held));
        continue;
      }
      if (n.action !== 'update') {
        if (held) await this.amend(ctx.incident.id, held.key, { nextAt: now }, now);
        out.push(n);
        continue;
      }
      const plan = planUpdate(rows, now, this.o.updateEvery(n.vendor), n.urgent === true);
      if (plan.type === 'send') {
        out.push(plan.at > now ? { ...n, notBefore: plan.at } : n);
        continue;
      }
      const into = held!.payload as NoticePayload;
      if (into.coalesced?.includes(n.suffix)) continue; // merged before (a replayed change)
      const payload: NoticePayload = {
        ...into,
        incident: n.payload.incident,
        changes: [...(into.changes ?? []), ...(n.payload.changes ?? [])],
        coalesced: [...(into.coalesced ?? []), n.suffix],
        ...(n.payload.relapse !== undefined && { relapse: n.payload.relapse }), // the merged update reopens the ticket
      };
      if (await this.amend(ctx.incident.id, plan.into, { payload, nextAt: plan.at }, now)) continue;
      // The held row fell due meanwhile (it may be on its way): this one follows it after the interval.
      out.push(n.urgent ? n : { ...n, notBefore: held!.nextAt + this.o.updateEvery(n.vendor) });
    }
    return out;
  }

  /** Whether the held row `key` took the change (false: due, settled, or not this hub's to amend). */
  private async amend(incidentId: string, key: string, change: { payload?: unknown; nextAt?: number }, now: number): Promise<boolean> {
    const r = await this.o.acting.write(incidentId, `amending ticket ${key}`, (fence) => this.o.outbox.amend(key, change, now, fence));
    return r?.value === true;
  }
}

/** The resolve saying what the held update had to say: its changes first, and the row to settle as merged. */
function takingIn(resolve: Notice, held: OutboxRow): Notice {
  const h = held.payload as NoticePayload;
  const suffix = held.key.slice(rowKey(held.incidentId, held.vendor, '').length);
  return {
    ...resolve,
    payload: { ...resolve.payload, changes: [...(h.changes ?? []), ...(resolve.payload.changes ?? [])], coalesced: [suffix, ...(h.coalesced ?? [])] },
    supersedes: held.key,
  };
}
