import type { ResolveCause } from '../model/incident.ts';
import type { Severity } from '../model/severity.ts';
import type { EvidenceBundle } from './evidence.ts';

/** What a message is about: the ticket's life, an escalation step, or a drill. */
export type TicketAction = 'open' | 'update' | 'resolve' | 'escalate' | 'drill';

export interface RoleLine {
  role: string;
  /** Human label of the role ("describes the problem"). */
  label: string;
  name: string;
  contact?: string;
}

/**
 * One vendor-neutral message; each adapter renders it in its vendor's format. Built when the
 * outbox row is delivered (the evidence and what the controller did are read then).
 */
export interface TicketMessage {
  action: TicketAction;
  /** `incident/vendor/action…`: the vendor dedups on it (header `Idempotency-Key`, dedup_key …). */
  idempotencyKey: string;
  incidentId: string;
  /** Stable per incident (the incident id): PagerDuty dedup_key, desk external_id. */
  dedupKey: string;
  severity: Severity;
  title: string;
  /** One-paragraph plain-text summary (what, where, since when, why, what was done). */
  summary: string;
  status: string;
  stream?: string;
  lines: string[];
  regions: string[];
  kind: string;
  scope: string;
  /**
   * An open incident whose reach narrowed as regions recovered: the wider scope it had. Its
   * `regions` are every region that ever saw it, so `scope` alone would misname them.
   */
  narrowedFrom?: string;
  /** Fault onset (first bad sample), ISO 8601. */
  onset: string;
  openedAt: string;
  /** When it resolved, ISO 8601 (a resolved incident). */
  resolvedAt?: string;
  /** Why, per region, in words with the figures and thresholds (cause-words.ts), one line each. */
  causes: string[];
  /** What the controller (or an operator) already did, one sentence each (action-words.ts). */
  actions: string[];
  /** The vendor's response target for this severity, and the time it falls due. */
  expectedResponse?: { withinMs: number; by: string };
  roles: RoleLine[];
  /** For update: what changed, one line each. */
  changes?: string[];
  /**
   * For resolve: the incident was resolved without its fault being seen to clear (its stream left
   * the config): every rendering says so, the vendor must not take it for a fix.
   */
  resolution?: { cause: ResolveCause; note?: string };
  /**
   * For the update of a relapse (the fault came back within the reopen window after the incident
   * resolved): the ticket, solved at the resolve, is reopened. Which relapse, when (ISO 8601), and
   * how long after it cleared.
   */
  relapse?: { count: number; at?: string; afterMs?: number };
  /** For escalate: the chain step. */
  escalation?: { step: number; name: string; overdueMs: number };
  /** For open (and on request): the evidence bundle. */
  evidence?: EvidenceBundle;
  /** Link for humans (console), when configured. */
  link?: string;
  /** A drill: clearly a test, nobody should act. */
  drill?: boolean;
}

export interface DeliveryContext {
  /** The vendor's ticket reference from the open delivery (desk ticket id …), when one exists. */
  ref?: string;
}

export interface DeliveryResult {
  /** Reference the vendor gave the ticket (kept and passed to later deliveries). */
  ref?: string;
  /** HTTP status or SMTP reply code, for reports. */
  status?: number;
}

/** One vendor, desk, IM group or mailbox. Stateless; the outbox keeps the state. */
export interface TicketVendor {
  readonly name: string;
  readonly type: string;
  send(msg: TicketMessage, ctx: DeliveryContext): Promise<DeliveryResult>;
}

/** A failed delivery. `retryable` false means sending the same again cannot help (400, 401 …). */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
  ) {
    super(message);
  }
}
