import type { Incident, TimelineEntry } from '../model/incident.ts';
import { actionSentence } from '../tickets/action-words.ts';
import { regionCauses, type RegionCause } from '../tickets/cause-words.ts';
import type { VendorConfig } from '../tickets/config-schema.ts';
import { actionsIn } from '../tickets/evidence.ts';
import { heldOnTimeline } from '../tickets/mute.ts';
import { reachWords } from '../tickets/scope-words.ts';
import { ticketLink } from '../tickets/ticket-link.ts';

/** One vendor's ticket for the incident, as its timeline tells it. */
export interface CardTicket {
  vendor: string;
  /** The vendor's ticket id (absent until it answered with one). */
  ref?: string;
  /** Its page, when the vendor has one (ticket-link.ts). */
  url?: string;
  state: 'requested' | 'retrying' | 'open' | 'failed' | 'resolved';
  /** When it reached that state (hub clock). */
  at: number;
  /** The vendor's acknowledgement: who, on their side. */
  ackBy?: string;
  error?: string;
}

/**
 * An incident as the console's card shows it, in the words the vendor tickets use (cause, reach,
 * actions), so the page carries no wording of its own. Times are unix ms: the page shows them in
 * the viewer's zone.
 */
export interface IncidentCard {
  id: string;
  severity: string;
  status: string;
  kind: string;
  scope: string;
  stream?: string;
  line?: string;
  probe?: string;
  /** How far it reaches, in words ("only eu sees it, the other regions see the line fine"). */
  reach: string;
  regions: RegionCause[];
  onset: number;
  openedAt: number;
  /** When this occurrence began: the latest reopen, else the open. */
  since: number;
  reopenCount: number;
  acknowledged?: { by: string; at: number; note?: string };
  /** What streamguard and operators did (switches, features, escalations, acks), oldest first. */
  did: { t: number; by: string; what: string }[];
  tickets: CardTicket[];
  /** A silence holds its vendor ticket back. */
  ticketHeld: boolean;
  /** On a hub of a cluster: the hub that owns the incident's stream, the one that acts on it (absent on a lone hub). */
  owner?: string;
}

export function incidentCard(incident: Incident, timeline: readonly TimelineEntry[], vendor: (name: string) => VendorConfig | undefined): IncidentCard {
  const ack = [...timeline].reverse().find((e) => e.type === 'acknowledged');
  return {
    id: incident.id,
    severity: incident.severity,
    status: incident.status,
    kind: incident.kind,
    scope: incident.scope,
    ...(incident.stream !== undefined && { stream: incident.stream }),
    ...(incident.line !== undefined && { line: incident.line }),
    ...(incident.probe !== undefined && { probe: incident.probe }),
    reach: reachWords(incident.scope, Object.keys(incident.regions).sort()),
    regions: regionCauses(incident, timeline),
    onset: incident.onset,
    openedAt: incident.openedAt,
    since: incident.reopenedAt ?? incident.openedAt,
    reopenCount: incident.reopenCount,
    ...(incident.status !== 'open' && ack && { acknowledged: { by: String(ack.data.by), at: ack.t, ...(typeof ack.data.note === 'string' && { note: ack.data.note }) } }),
    did: actionsIn(timeline).map((a) => ({ t: Date.parse(a.t), by: a.by, what: actionSentence(a) })),
    tickets: ticketsOf(timeline, vendor),
    ticketHeld: heldOnTimeline(timeline),
  };
}

/** Each vendor's ticket from the ticket machinery's timeline steps (by `tickets` or `sla`). */
function ticketsOf(timeline: readonly TimelineEntry[], vendor: (name: string) => VendorConfig | undefined): CardTicket[] {
  const byVendor = new Map<string, CardTicket>();
  const set = (name: string, t: number, change: Partial<CardTicket>) => byVendor.set(name, { ...(byVendor.get(name) ?? { vendor: name, state: 'requested', at: t }), ...change });
  for (const e of timeline) {
    const d = e.data;
    if (e.type !== 'action') continue;
    if (d.action === 'ticket-requested' && Array.isArray(d.vendors)) {
      for (const v of d.vendors as { vendor?: unknown }[]) if (typeof v.vendor === 'string' && !byVendor.has(v.vendor)) set(v.vendor, e.t, {});
      continue;
    }
    if (typeof d.vendor !== 'string') continue;
    const name = d.vendor;
    if (d.action === 'ticket-opened') {
      const ref = typeof d.ref === 'string' ? d.ref : undefined;
      const url = ref !== undefined ? ticketLink(vendor(name), ref) : undefined;
      set(name, e.t, { state: 'open', at: e.t, ...(ref !== undefined && { ref }), ...(url !== undefined && { url }) });
    } else if (d.action === 'ticket-resolved') set(name, e.t, { state: 'resolved', at: e.t });
    else if (d.action === 'vendor-acknowledged') set(name, e.t, { ackBy: String(d.ackBy) });
    else if (d.action === 'ticket-delivery-retrying' && byVendor.get(name)?.ref === undefined) set(name, e.t, { state: 'retrying', at: e.t, error: String(d.error) });
    else if (d.action === 'ticket-failed' && d.ticket === 'open') set(name, e.t, { state: 'failed', at: e.t, error: String(d.error) });
  }
  return [...byVendor.values()].sort((a, b) => a.vendor.localeCompare(b.vendor));
}
