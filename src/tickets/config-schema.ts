import { z } from 'zod';
import { httpUrlSchema } from '../model/http-url.ts';
import { durationSchema } from '../model/duration.ts';
import { SeveritySchema, type Severity } from '../model/severity.ts';
import { IncidentKindSchema } from '../model/incident.ts';
import { envNameSchema, idSchema } from '../model/ids.ts';

/**
 * Config sections `vendors:`, `escalation:` and `roles:` (wired into the root config by
 * src/config/schema.ts). Secrets are never in the file: every secret is the NAME of an environment
 * variable (`routingKeyEnv: PD_ROUTING_KEY`), read when the service starts.
 *
 * ```yaml
 * vendors:
 *   - { name: cdn-pd, type: pagerduty, routingKeyEnv: PD_ROUTING_KEY }
 *   - { name: cdn-desk, type: desk, url: https://cdn.zendesk.com, tokenEnv: DESK_TOKEN, user: ops@example.com }
 *   - { name: ops-wecom, type: wecom, urlEnv: WECOM_HOOK, use: escalation }
 * escalation:
 *   sla: { P0: 15m, P1: 60m }
 *   chain:
 *     - { name: account manager, channel: am-email }
 *     - { name: 24/7 hotline, channel: hotline-pd, after: 5m }
 *     - { name: ops IM group, channel: ops-wecom, after: 10m }
 * roles:
 *   describe: { name: Alice, contact: "+86 …" }
 *   logs: Bob
 * ```
 */


/** Milliseconds, or `500ms`, `30s`, `15m`, `1h`: the config's one duration syntax (src/config/duration.ts). */
export const DurationSchema = durationSchema;

/**
 * Updates to a vendor about one incident at most this often by default: the evidence of a fault
 * arrives region by region and the controller acts within seconds, so the first half minute of an
 * incident is a burst of changes; a vendor reading a ticket wants them as one.
 */
export const DEFAULT_UPDATE_EVERY_MS = 30_000;

const name = idSchema;
const envName = envNameSchema;
const httpUrl = httpUrlSchema('put a URL that must carry them in an environment variable named by urlEnv, or a token in tokenEnv');

const common = {
  name,
  /** ticket: receives incidents (open/update/resolve); escalation: only escalation steps and drills; both. */
  use: z.enum(['ticket', 'escalation', 'both']).default('ticket'),
  /** Least severe incident that gets a ticket (P2 default: P3 goes to the digest only). */
  minSeverity: SeveritySchema.default('P2'),
  /** Incident kinds that get a ticket: a blind or impaired probe is our problem, not the vendor's. */
  kinds: z.array(IncidentKindSchema).default(['down', 'degraded']),
  timeoutMs: z.number().int().positive().default(10_000),
  /**
   * At most one update per incident this often (`30s`): an update that would come sooner is held
   * until then, and what changes meanwhile merges into it (it carries the latest state and every
   * change). Severity changes, controller escalations, requests by hand and the resolution go at
   * once. 0: every change at once.
   */
  updateEvery: DurationSchema.default(DEFAULT_UPDATE_EVERY_MS),
  /**
   * Token this vendor presents (`Authorization: Bearer …` or `?token=`) when it acknowledges through
   * the generic inbound webhook `POST /api/v1/tickets/webhooks/ack/<name>`.
   */
  ackTokenEnv: envName.optional(),
};

/** The endpoint: `url` in the file, or `urlEnv` when the URL itself carries a secret (IM bot keys). */
const endpoint = { url: httpUrl.optional(), urlEnv: envName.optional() };

export const WebhookVendorSchema = z.strictObject({
  ...common,
  ...endpoint,
  type: z.literal('webhook'),
  /** HMAC-SHA256 of the body, hex, in `X-Streamguard-Signature: sha256=<hex>`. */
  secretEnv: envName.optional(),
  /** Sent as `Authorization: Bearer <token>`. */
  tokenEnv: envName.optional(),
  headers: z.record(z.string(), z.string()).default({}),
});

export const PagerDutyVendorSchema = z.strictObject({
  ...common,
  type: z.literal('pagerduty'),
  url: httpUrl.default('https://events.pagerduty.com/v2/enqueue'),
  routingKeyEnv: envName,
  /** Override of the P0…P3 → critical/error/warning/info mapping. */
  severityMap: z.partialRecord(SeveritySchema, z.enum(['critical', 'error', 'warning', 'info'])).default({}),
  /** Webhook v3 signing secret, to verify acknowledgements from this PagerDuty account. */
  webhookSecretEnv: envName.optional(),
});

export const DeskVendorSchema = z.strictObject({
  ...common,
  ...endpoint,
  type: z.literal('desk'),
  /** Bearer token, or with `user` basic auth `user/token:<token>` (Zendesk API token style). */
  tokenEnv: envName.optional(),
  user: z.string().optional(),
  /** P0…P3 → desk priority (default urgent/high/normal/low). */
  priorityMap: z.partialRecord(SeveritySchema, z.string()).default({}),
  tags: z.array(z.string()).default(['streamguard']),
});

const im = {
  ...common,
  ...endpoint,
  /** Mobile numbers / user ids to @-mention (WeCom, DingTalk). */
  mention: z.array(z.string()).default([]),
};

export const WeComVendorSchema = z.strictObject({ ...im, type: z.literal('wecom') });
export const DingTalkVendorSchema = z.strictObject({
  ...im,
  type: z.literal('dingtalk'),
  /** "Additional signature" secret: adds timestamp & sign to the URL. */
  secretEnv: envName.optional(),
});
export const SlackVendorSchema = z.strictObject({ ...im, type: z.literal('slack') });

export const EmailVendorSchema = z.strictObject({
  ...common,
  type: z.literal('email'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(25),
  /** Implicit TLS (port 465). */
  secure: z.boolean().default(false),
  from: z.string().min(3),
  to: z.array(z.string().min(3)).min(1),
  userEnv: envName.optional(),
  passwordEnv: envName.optional(),
  /** EHLO name (default: os hostname). */
  helo: z.string().optional(),
});

export const VendorSchema = z
  .discriminatedUnion('type', [WebhookVendorSchema, PagerDutyVendorSchema, DeskVendorSchema, WeComVendorSchema, DingTalkVendorSchema, SlackVendorSchema, EmailVendorSchema])
  .superRefine((v, ctx) => {
    if (v.type !== 'pagerduty' && v.type !== 'email' && v.url === undefined && v.urlEnv === undefined) ctx.addIssue({ code: 'custom', message: `vendor "${v.name}" needs url or urlEnv`, path: ['url'] });
  });

export const VendorsSchema = z.array(VendorSchema).default([]).superRefine((vs, ctx) => {
  const seen = new Set<string>();
  vs.forEach((v, i) => {
    if (seen.has(v.name)) ctx.addIssue({ code: 'custom', message: `duplicate vendor name "${v.name}"`, path: [i, 'name'] });
    seen.add(v.name);
  });
});

export const EscalationStepSchema = z.strictObject({
  /** Who this step reaches, as named on the timeline ("account manager", "24/7 hotline"). */
  name: z.string().min(1),
  /** The vendor entry (by name) that carries the message. */
  channel: name,
  /** Delay after the SLA deadline (the first step usually 0; each later step after the previous one's). */
  after: DurationSchema.default(0),
  /** Only for these severities (default: all that have an SLA). */
  severities: z.array(SeveritySchema).optional(),
});

export const DEFAULT_SLA_MS: Readonly<Partial<Record<Severity, number>>> = { P0: 15 * 60_000, P1: 60 * 60_000 };

export const EscalationSchema = z
  .strictObject({
    /** Vendor response target per severity; a severity without one is never escalated. */
    sla: z.partialRecord(SeveritySchema, DurationSchema).default({ ...DEFAULT_SLA_MS }),
    chain: z.array(EscalationStepSchema).default([]),
  })
  .default({ sla: { ...DEFAULT_SLA_MS }, chain: [] });

/** One person (or a rota) in a role: a name, or a name with a contact. */
export const RolePersonSchema = z.union([z.string().min(1).transform((n) => ({ name: n })), z.strictObject({ name: z.string().min(1), contact: z.string().optional() })]);

/**
 * Incident roles named in every notification. Conventional keys: `describe` (describes the
 * problem to the vendor), `logs` (gathers logs and evidence), `comms` (talks to customers),
 * `decide` (decides on degradation); any other key is listed as it is.
 */
export const RolesSchema = z.record(name, RolePersonSchema).default({});

const TicketsSectionsSchema = z.strictObject({
  vendors: VendorsSchema,
  escalation: EscalationSchema,
  roles: RolesSchema,
});

/**
 * The three sections' shapes, to spread into the root config: `z.strictObject({ ...rest, ...ticketsConfigShape })`
 * (then also run `checkTicketsConfig` in the root's superRefine, or parse with TicketsConfigSchema).
 */
export const ticketsConfigShape = TicketsSectionsSchema.shape;

/** The sections with the cross-reference check (escalation channels name configured vendors). */
export const TicketsConfigSchema = TicketsSectionsSchema.superRefine((cfg, ctx) => {
  const names = new Set(cfg.vendors.map((v) => v.name));
  cfg.escalation.chain.forEach((s, i) => {
    if (!names.has(s.channel)) ctx.addIssue({ code: 'custom', message: `no vendor named "${s.channel}"`, path: ['escalation', 'chain', i, 'channel'] });
  });
});

export type VendorConfig = z.infer<typeof VendorSchema>;
export type EscalationConfig = z.infer<typeof EscalationSchema>;
export type EscalationStep = z.infer<typeof EscalationStepSchema>;
export type RolesConfig = z.infer<typeof RolesSchema>;
export type TicketsConfig = z.infer<typeof TicketsConfigSchema>;

/** Cross-references: every escalation step's channel names a configured vendor. Returns error messages with paths. */
export function checkTicketsConfig(cfg: TicketsConfig): string[] {
  const names = new Set(cfg.vendors.map((v) => v.name));
  return cfg.escalation.chain.flatMap((s, i) => (names.has(s.channel) ? [] : [`escalation.chain.${i}.channel: no vendor named "${s.channel}"`]));
}
