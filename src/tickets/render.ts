import type { TimelineEntry } from '../model/incident.ts';
import type { OutboxRow } from '../store/ports.ts';
import type { RolesConfig } from './config-schema.ts';
import { actionWords } from './action-words.ts';
import { causeLines } from './cause-words.ts';
import { actionsIn, buildEvidence, type EvidenceOptions, type EvidenceSource } from './evidence.ts';
import type { ReadIncident } from './incident-reader.ts';
import { buildMessage } from './message.ts';
import { resolutionOf } from './resolution.ts';
import type { SlaClocks } from './sla-clocks.ts';
import type { NoticePayload } from './stage.ts';
import type { TicketAction, TicketMessage } from './types.ts';

export interface MessageRendererOptions {
  /** The roles in use when a message is built. */
  roles: () => RolesConfig;
  clocks: SlaClocks;
  readIncident: ReadIncident;
  evidence: EvidenceSource;
  evidenceOptions?: EvidenceOptions | undefined;
  /** Link for humans to an incident (console URL), put in every message. */
  link?: ((incidentId: string) => string) | undefined;
  clock: () => number;
}

/**
 * Builds the message of an outbox row when it is delivered, not when it was enqueued: the
 * evidence, what the controller did and the SLA are read then, so a ticket held back by a vendor
 * outage arrives with what is known when it arrives.
 */
export class MessageRenderer {
  constructor(private readonly o: MessageRendererOptions) {}

  async render(row: OutboxRow): Promise<TicketMessage> {
    const p = row.payload as NoticePayload;
    const current = (await this.o.readIncident(row.incidentId)) ?? p.incident;
    // An update describes the incident as it was at the change; the rest use the latest state.
    const inc = row.action === 'update' ? p.incident : current;
    const now = this.o.clock();
    const st = await this.o.clocks.get(inc.id);
    const slaMs = this.o.clocks.policy.sla[inc.severity];
    const withEvidence = row.action === 'open' || row.action === 'escalate';
    const timeline = await this.o.evidence.timeline(inc.id);
    const resolution = row.action === 'resolve' ? (p.resolution ?? resolutionOf(timeline)) : undefined;
    const relapse = p.relapse !== undefined ? relapseOf(p.relapse, timeline) : undefined;
    return buildMessage({
      action: row.action as TicketAction,
      idempotencyKey: row.key,
      incident: inc,
      ...(slaMs !== undefined && { slaMs }),
      ...(st && { slaStart: st.startedAt }),
      roles: this.o.roles(),
      causes: causeLines(inc, timeline),
      actions: actionsIn(timeline).map(actionWords),
      ...(withEvidence && { evidence: await buildEvidence(this.o.evidence, current, now, this.o.evidenceOptions) }),
      ...(p.changes && { changes: p.changes }),
      ...(p.escalation && { escalation: p.escalation }),
      ...(resolution && { resolution }),
      ...(relapse && { relapse }),
      ...(this.o.link && { link: this.o.link(inc.id) }),
    });
  }
}

/** The relapse a reopening update is about, from the incident's timeline (its `reopened` entry). */
function relapseOf(count: number, timeline: readonly TimelineEntry[]): NonNullable<TicketMessage['relapse']> {
  const reopened = timeline.filter((e) => e.type === 'reopened' && e.data.reopenCount === count).at(-1);
  const afterMs = reopened?.data.afterMs;
  return {
    count,
    ...(reopened && { at: new Date(reopened.t).toISOString() }),
    ...(typeof afterMs === 'number' && { afterMs }),
  };
}
