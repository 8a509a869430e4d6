import type { z } from 'zod';
import type { WeComVendorSchema } from './config-schema.ts';
import { endpoint, request } from './http-client.ts';
import { checkErrcode } from './im-reply.ts';
import { markdownBody } from './message.ts';
import { vendorSecrets } from './secrets.ts';
import type { DeliveryContext, DeliveryResult, TicketMessage, TicketVendor } from './types.ts';

/**
 * WeCom group bot, for escalation and notices: `{msgtype: "markdown", markdown: {content}}` →
 * `{errcode: 0, errmsg: "ok"}`. The bot URL carries its key, so it normally comes from `urlEnv`.
 */
export class WeComVendor implements TicketVendor {
  readonly type = 'wecom';
  readonly name: string;
  constructor(
    private readonly cfg: z.infer<typeof WeComVendorSchema>,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.name = cfg.name;
  }

  async send(msg: TicketMessage, _ctx: DeliveryContext): Promise<DeliveryResult> {
    const mentions = this.cfg.mention.map((m) => `<@${m}>`).join(' ');
    // WeCom markdown is limited to 4096 bytes.
    const content = truncateBytes(markdownBody(msg) + (mentions ? `\n${mentions}` : ''), 4000);
    const secrets = vendorSecrets(this.cfg, this.env);
    const reply = await request('POST', endpoint(this.env, this.cfg), { msgtype: 'markdown', markdown: { content } }, {}, this.cfg.timeoutMs, secrets);
    checkErrcode(`wecom ${this.name}`, reply.json, reply.status, secrets);
    return { status: reply.status };
  }
}

function truncateBytes(s: string, max: number): string {
  const b = Buffer.from(s);
  if (b.length <= max) return s;
  return `${b.subarray(0, max - 4).toString('utf8').replace(/\uFFFD+$/, '')} …`;
}
