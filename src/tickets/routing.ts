import { SEVERITY_RANK } from '../model/severity.ts';
import type { Incident } from '../model/incident.ts';
import type { TicketsConfig } from './config-schema.ts';
import { TicketRequestError } from './request-error.ts';
import type { SlaPolicy } from './sla.ts';

/**
 * Which vendors hear about what, from the config alone: the ticket vendors an incident qualifies
 * for (kind and minimum severity), the ticket vendors an operator may open one at by hand, and
 * the escalation policy (response targets and chain).
 */
export class VendorRouting {
  readonly policy: SlaPolicy;

  constructor(private readonly config: TicketsConfig) {
    this.policy = {
      sla: config.escalation.sla,
      chain: config.escalation.chain.map((s) => ({ name: s.name, channel: s.channel, after: s.after, severities: s.severities })),
    };
  }

  /** The ticket vendors that open a ticket for this incident as it is now. */
  qualifying(inc: Incident): string[] {
    return this.config.vendors.filter((v) => v.use !== 'escalation' && v.kinds.includes(inc.kind) && SEVERITY_RANK[inc.severity] <= SEVERITY_RANK[v.minSeverity]).map((v) => v.name);
  }

  /**
   * The ticket vendors a hand-made ticket goes to: `vendor`, or every one (`use` ticket or both).
   * Throws TicketRequestError `not_found` naming it and the ticket vendors there are.
   */
  byHand(vendor?: string): string[] {
    const names = this.config.vendors.filter((v) => v.use !== 'escalation').map((v) => v.name);
    if (vendor === undefined) {
      if (names.length === 0) throw new TicketRequestError('not_found', 'no ticket vendor configured');
      return names;
    }
    if (names.includes(vendor)) return [vendor];
    const known = `ticket vendors: ${names.join(', ') || 'none configured'}`;
    const channel = this.config.vendors.some((v) => v.name === vendor);
    throw new TicketRequestError('not_found', channel ? `"${vendor}" is an escalation channel, not a ticket vendor (${known})` : `no ticket vendor "${vendor}" (${known})`);
  }

  /** Configured vendor names with their adapter type and use. */
  vendors(): { name: string; type: string; use: string }[] {
    return this.config.vendors.map((v) => ({ name: v.name, type: v.type, use: v.use }));
  }
}
