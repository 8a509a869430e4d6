import type { Incident } from '../model/incident.ts';
import type { TicketAction, TicketMessage } from './types.ts';

/**
 * The ticket pipeline, after Alertmanager's notify pipeline: a change of an incident becomes
 * notices (one per vendor), and stages run one after the other over the notices of one incident,
 * each passing on those that go further. The mute stage holds back the new tickets of a silenced
 * incident, the coalesce stage holds back and merges updates that come too often, the enqueue
 * stage writes the rest to the durable outbox (whose idempotency key drops what was already
 * there), and the delivery loop (outbox.ts) sends the outbox, retrying what the vendor's adapter
 * calls retryable.
 */

/** What a notice carries to the message built at delivery (the outbox row's JSON payload). */
export interface NoticePayload {
  /** The incident as it was at the change. */
  incident: Incident;
  /** For an update: what changed, one line each. */
  changes?: string[];
  /** For an escalation: the chain step (0-based) and how late the vendor is. */
  escalation?: { step: number; name: string; overdueMs: number };
  /** For a resolve that is no fix (resolution.ts), as the change said it. */
  resolution?: TicketMessage['resolution'];
  /** For the update that reopens the ticket at a relapse: which relapse (the incident's reopenCount then). */
  relapse?: number;
  /** For an update held back: the suffixes of the later updates merged into it (coalesce-stage.ts). */
  coalesced?: string[];
}

/** One message to one vendor about the incident a stage runs for. */
export interface Notice {
  vendor: string;
  action: TicketAction;
  /** The idempotency key's last part: `open`, `update@…`, `reopen:1`, `resolve:0`, `escalate:0:2`, `manual@…`. */
  suffix: string;
  payload: NoticePayload;
  /** An update that goes at once, past the coalescing of updates: a severity change, an escalation, a request by hand. */
  urgent?: boolean;
  /** Not sent before this (hub time): an update held back by the coalescing. */
  notBefore?: number;
  /** The key of a held update this notice carries (a resolve taking it in): settled as merged once this one is in the outbox. */
  supersedes?: string;
}

/** The incident a stage runs for, and the time of the change. */
export interface StageContext {
  incident: Incident;
  now: number;
}

export interface Stage {
  /** Resolves with the notices that go on to the next stage. Runs even with none (a stage may act on the incident alone). */
  exec(ctx: StageContext, notices: readonly Notice[]): Promise<Notice[]>;
}

/** Stages in order, each given what the one before passed on. */
export class Pipeline implements Stage {
  constructor(private readonly stages: readonly Stage[]) {}

  async exec(ctx: StageContext, notices: readonly Notice[]): Promise<Notice[]> {
    let passed = [...notices];
    for (const stage of this.stages) passed = await stage.exec(ctx, passed);
    return passed;
  }
}

/** `incident/vendor/suffix`: the idempotency key of one outbox row. */
export function rowKey(incidentId: string, vendor: string, suffix: string): string {
  return `${incidentId}/${vendor}/${suffix}`;
}
