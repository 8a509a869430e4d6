import type { z } from 'zod';
import type { DeskVendorSchema } from './config-schema.ts';
import { endpoint, request } from './http-client.ts';
import { DESK_PRIORITY, subject, textBody } from './message.ts';
import { secret, vendorSecrets } from './secrets.ts';
import { DeliveryError, type DeliveryContext, type DeliveryResult, type TicketMessage, type TicketVendor } from './types.ts';

type Config = z.infer<typeof DeskVendorSchema>;

/**
 * A REST ticket desk in the Zendesk style (Jira Service Management maps the same way):
 *
 *   open     POST {base}/api/v2/uploads.json?filename=evidence-….json   the evidence bundle (JSON) → {upload: {token}}
 *            POST {base}/api/v2/tickets.json            {ticket: {subject, comment: {body, uploads: [token]}, priority, external_id, tags}} → {ticket: {id}}
 *   update   PUT  {base}/api/v2/tickets/{id}.json       {ticket: {subject, comment: {body, public}, priority}}; a relapse's also status "open"
 *   resolve  PUT  {base}/api/v2/tickets/{id}.json       {ticket: {subject, status: "solved", comment: {body}}}
 *
 * The create carries `Idempotency-Key` (the desk answers a repeat with the same ticket) and
 * external_id = incident id. Escalations and updates before any ticket exists create one.
 */
export class DeskVendor implements TicketVendor {
  readonly type = 'desk';
  readonly name: string;

  constructor(
    private readonly cfg: Config,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.name = cfg.name;
  }

  async send(msg: TicketMessage, ctx: DeliveryContext): Promise<DeliveryResult> {
    const priority = this.cfg.priorityMap[msg.severity] ?? DESK_PRIORITY[msg.severity];
    if (msg.action === 'open' || msg.action === 'drill' || ctx.ref === undefined) {
      if (msg.action === 'resolve') throw new DeliveryError(`desk ${this.name}: nothing to resolve (no ticket was opened)`, false);
      const created = await this.create(msg, priority);
      if (msg.action === 'drill' && created.ref !== undefined) await this.put(created.ref, { status: 'solved', comment: { body: 'Drill finished: closing.', public: false } }, `${msg.idempotencyKey}/close`);
      return created;
    }
    const body = textBody(msg, { evidence: false });
    // The subject follows the incident (severity, scope, regions), not only the comments.
    if (msg.action === 'resolve') return { ...(await this.put(ctx.ref, { subject: msg.title, status: 'solved', comment: { body, public: true } }, msg.idempotencyKey)), ref: ctx.ref };
    // A relapse (the same fault back within the reopen window) reopens the solved ticket.
    return { ...(await this.put(ctx.ref, { subject: msg.title, priority, comment: { body, public: true }, ...(msg.relapse && { status: 'open' }) }, msg.idempotencyKey)), ref: ctx.ref };
  }

  private async create(msg: TicketMessage, priority: string): Promise<DeliveryResult> {
    // The comment is for people; the evidence bundle goes with it as a JSON file.
    const attachment = msg.evidence && (await this.upload(`evidence-${msg.incidentId.replace(/[^A-Za-z0-9._-]+/g, '_')}.json`, JSON.stringify(msg.evidence, null, 2), `${msg.idempotencyKey}/evidence`));
    const body = textBody(msg) + (attachment ? `\n\nThe whole evidence bundle is attached: ${attachment.filename}` : '');
    const ticket: Record<string, unknown> = {
      subject: subject(msg),
      comment: { body, ...(attachment && { uploads: [attachment.token] }) },
      priority,
      type: 'incident',
      external_id: msg.dedupKey,
      tags: [...this.cfg.tags, `severity_${msg.severity.toLowerCase()}`, ...(msg.drill || msg.action === 'drill' ? ['drill'] : [])],
    };
    const reply = await request('POST', `${this.base()}/api/v2/tickets.json`, { ticket }, this.headers(msg.idempotencyKey), this.cfg.timeoutMs, vendorSecrets(this.cfg, this.env));
    const id = (reply.json as { ticket?: { id?: unknown } } | undefined)?.ticket?.id;
    if (id === undefined || id === null) throw new DeliveryError(`desk ${this.name}: created, but the answer has no ticket.id`, false, reply.status);
    return { status: reply.status, ref: String(id) };
  }

  /** Uploads a file for the next comment (`POST /api/v2/uploads.json?filename=…`); its token attaches it. */
  private async upload(filename: string, content: string, key: string): Promise<{ filename: string; token: string }> {
    const reply = await request('POST', `${this.base()}/api/v2/uploads.json?filename=${encodeURIComponent(filename)}`, content, this.headers(key), this.cfg.timeoutMs, vendorSecrets(this.cfg, this.env));
    const token = (reply.json as { upload?: { token?: unknown } } | undefined)?.upload?.token;
    if (typeof token !== 'string') throw new DeliveryError(`desk ${this.name}: uploaded the evidence, but the answer has no upload.token`, false, reply.status);
    return { filename, token };
  }

  private async put(ref: string, ticket: Record<string, unknown>, key: string): Promise<DeliveryResult> {
    const reply = await request('PUT', `${this.base()}/api/v2/tickets/${encodeURIComponent(ref)}.json`, { ticket }, this.headers(key), this.cfg.timeoutMs, vendorSecrets(this.cfg, this.env));
    return { status: reply.status };
  }

  private base(): string {
    return endpoint(this.env, this.cfg).replace(/\/+$/, '');
  }

  private headers(key: string): Record<string, string> {
    const h: Record<string, string> = { 'idempotency-key': key };
    const token = secret(this.env, this.cfg.tokenEnv, `vendor ${this.name}`);
    if (token !== undefined) h.authorization = this.cfg.user !== undefined ? `Basic ${Buffer.from(`${this.cfg.user}/token:${token}`).toString('base64')}` : `Bearer ${token}`;
    return h;
  }
}
