import type { z } from 'zod';
import type { PagerDutyVendorSchema } from './config-schema.ts';
import { request } from './http-client.ts';
import { PD_SEVERITY, subject, textBody } from './message.ts';
import { scrub, secret, vendorSecrets } from './secrets.ts';
import { DeliveryError, type DeliveryContext, type DeliveryResult, type TicketMessage, type TicketVendor } from './types.ts';

type Config = z.infer<typeof PagerDutyVendorSchema>;

/**
 * PagerDuty Events API v2 (`POST /v2/enqueue`). dedup_key = the streamguard incident id, so every
 * open/update/escalation lands on one PagerDuty alert and a resent trigger is deduplicated by
 * PagerDuty itself; resolve closes it. Severity P0 → critical, P1 → error, P2 → warning, P3 → info.
 */
export class PagerDutyVendor implements TicketVendor {
  readonly type = 'pagerduty';
  readonly name: string;

  constructor(
    private readonly cfg: Config,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.name = cfg.name;
  }

  async send(msg: TicketMessage, _ctx: DeliveryContext): Promise<DeliveryResult> {
    const routingKey = secret(this.env, this.cfg.routingKeyEnv, `vendor ${this.name}`)!;
    const dedupKey = msg.dedupKey;
    if (msg.action === 'resolve') {
      // A resolve event carries no text: when it is no fix, say so on the alert first.
      if (msg.resolution) await this.post(this.trigger(msg, routingKey, dedupKey));
      return this.post({ routing_key: routingKey, event_action: 'resolve', dedup_key: dedupKey });
    }
    const body = this.trigger(msg, routingKey, dedupKey);
    const res = await this.post(body);
    // A drill must not leave a page open: resolve it at once (the trigger proved the channel).
    if (msg.action === 'drill') await this.post({ routing_key: routingKey, event_action: 'resolve', dedup_key: dedupKey });
    return res;
  }

  private trigger(msg: TicketMessage, routingKey: string, dedupKey: string): Record<string, unknown> {
    const severity = msg.action === 'drill' ? 'info' : (this.cfg.severityMap[msg.severity] ?? PD_SEVERITY[msg.severity]);
    const summary = (msg.action === 'drill' ? '[DRILL] streamguard contact test — no action needed' : msg.action === 'escalate' ? `ESCALATION: ${msg.title}` : msg.action === 'resolve' ? subject(msg) : msg.title).slice(0, 1024);
    const details: Record<string, unknown> = {
      action: msg.action,
      incident: msg.incidentId,
      status: msg.status,
      stream: msg.stream,
      lines: msg.lines,
      regions: msg.regions,
      onset: msg.onset,
      already_done: msg.actions,
      expected_response: msg.expectedResponse,
      roles: msg.roles.map((r) => `${r.label}: ${r.name}${r.contact ? ` (${r.contact})` : ''}`),
      text: textBody(msg, { evidence: false }),
    };
    if (msg.changes) details.changes = msg.changes;
    if (msg.escalation) details.escalation = msg.escalation;
    if (msg.evidence) details.evidence = msg.evidence;
    if (msg.drill || msg.action === 'drill') details.drill = true;
    const body: Record<string, unknown> = {
      routing_key: routingKey,
      event_action: 'trigger',
      dedup_key: dedupKey,
      client: 'streamguard',
      payload: {
        summary,
        source: msg.stream !== undefined ? `streamguard:${msg.stream}` : 'streamguard',
        severity,
        timestamp: msg.onset,
        component: msg.stream,
        group: msg.lines.join(','),
        class: msg.kind,
        custom_details: details,
      },
    };
    if (msg.link) body.links = [{ href: msg.link, text: 'streamguard incident' }];
    return body;
  }

  private async post(body: Record<string, unknown>): Promise<DeliveryResult> {
    const secrets = vendorSecrets(this.cfg, this.env);
    const reply = await request('POST', this.cfg.url, body, {}, this.cfg.timeoutMs, secrets);
    const j = reply.json as { status?: string; dedup_key?: string; message?: string } | undefined;
    if (j?.status !== undefined && j.status !== 'success') throw new DeliveryError(`PagerDuty: ${scrub(`${j.status} ${j.message ?? ''}`, secrets)}`, false, reply.status);
    return { status: reply.status, ...(typeof j?.dedup_key === 'string' && { ref: j.dedup_key }) };
  }
}
