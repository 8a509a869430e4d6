import { createHmac } from 'node:crypto';
import type { WebhookVendorSchema } from './config-schema.ts';
import { endpoint, request } from './http-client.ts';
import { subject, textBody } from './message.ts';
import { secret, vendorSecrets } from './secrets.ts';
import type { DeliveryContext, DeliveryResult, TicketMessage, TicketVendor } from './types.ts';
import type { z } from 'zod';

type Config = z.infer<typeof WebhookVendorSchema>;

/**
 * Generic JSON webhook: `POST url` with `{ source: "streamguard", action, ref, subject, text, ticket: TicketMessage }`
 * (`subject` and `text` for people, as an email would read; `ticket` for programs),
 * headers `Idempotency-Key` and, with `secretEnv`, `X-Streamguard-Signature: sha256=<hex HMAC of the body>`.
 * A JSON answer `{ "ref": "…" }` (or `id`) is kept as the ticket reference.
 */
export class WebhookVendor implements TicketVendor {
  readonly type = 'webhook';
  readonly name: string;

  constructor(
    private readonly cfg: Config,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.name = cfg.name;
  }

  async send(msg: TicketMessage, ctx: DeliveryContext): Promise<DeliveryResult> {
    const body = JSON.stringify({ source: 'streamguard', action: msg.action, ref: ctx.ref, subject: subject(msg), text: textBody(msg, { evidence: false }), ticket: msg });
    const headers: Record<string, string> = { ...this.cfg.headers, 'idempotency-key': msg.idempotencyKey };
    const key = secret(this.env, this.cfg.secretEnv, `vendor ${this.name}`);
    if (key !== undefined) headers['x-streamguard-signature'] = `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
    const token = secret(this.env, this.cfg.tokenEnv, `vendor ${this.name}`);
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const reply = await request('POST', endpoint(this.env, this.cfg), body, headers, this.cfg.timeoutMs, vendorSecrets(this.cfg, this.env));
    const j = reply.json as { ref?: unknown; id?: unknown } | undefined;
    const ref = j?.ref ?? j?.id;
    return { status: reply.status, ...(ref !== undefined && ref !== null && { ref: String(ref) }) };
  }
}
