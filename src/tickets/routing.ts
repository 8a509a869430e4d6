import { SEVERITY_RANK } from '../model/severity.ts';
import type { Incident } from '../model/incident.ts';
import type { RolesConfig, TicketsConfig, VendorConfig } from './config-schema.ts';
import { TicketRequestError } from './request-error.ts';
import type { SlaPolicy } from './sla.ts';

/**
 * Which vendors hear about what, from the config alone: the ticket vendors an incident qualifies
 * for (kind and minimum severity), the ticket vendors an operator may open one at by hand, and
 * the escalation policy (response targets and chain). One object for the service's life: a config
 * reload swaps the config it answers from (`use`).
 */
export class VendorRouting {
  private config: TicketsConfig;
  private slaPolicy: SlaPolicy;

  constructor(config: TicketsConfig) {
    this.config = config;
    this.slaPolicy = slaPolicyOf(config);
  }

  /** Answers from `config` from now on. */
  use(config: TicketsConfig): void {
    this.config = config;
    this.slaPolicy = slaPolicyOf(config);
  }

  get policy(): SlaPolicy {
    return this.slaPolicy;
  }

  /** The incident roles printed in every message. */
  get roles(): RolesConfig {
    return this.config.roles;
  }

  /** The whole tickets config in use (drills go through every vendor and chain step of it). */
  get current(): TicketsConfig {
    return this.config;
  }

  /** A configured vendor's entry (inbound webhooks check its secrets). */
  vendor(name: string): VendorConfig | undefined {
    return this.config.vendors.find((v) => v.name === name);
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

function slaPolicyOf(config: TicketsConfig): SlaPolicy {
  return {
    sla: config.escalation.sla,
    chain: config.escalation.chain.map((s) => ({ name: s.name, channel: s.channel, after: s.after, severities: s.severities })),
  };
}
