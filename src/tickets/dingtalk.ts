import { createHmac } from 'node:crypto';
import type { z } from 'zod';
import type { DingTalkVendorSchema } from './config-schema.ts';
import { endpoint, request } from './http-client.ts';
import { checkErrcode } from './im-reply.ts';
import { markdownBody, subject } from './message.ts';
import { secret, vendorSecrets } from './secrets.ts';
import type { DeliveryContext, DeliveryResult, TicketMessage, TicketVendor } from './types.ts';

/**
 * DingTalk group bot, for escalation and notices: `{msgtype: "markdown", markdown: {title, text}, at}`
 * → `{errcode: 0}`. With `secretEnv` the URL is signed (timestamp + HMAC). The bot URL carries its
 * access token, so it normally comes from `urlEnv`.
 */
export class DingTalkVendor implements TicketVendor {
  readonly type = 'dingtalk';
  readonly name: string;
  constructor(
    private readonly cfg: z.infer<typeof DingTalkVendorSchema>,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly clock: () => number = Date.now,
  ) {
    this.name = cfg.name;
  }

  async send(msg: TicketMessage, _ctx: DeliveryContext): Promise<DeliveryResult> {
    let url = endpoint(this.env, this.cfg);
    const key = secret(this.env, this.cfg.secretEnv, `vendor ${this.name}`);
    if (key !== undefined) {
      const ts = this.clock();
      url += `${url.includes('?') ? '&' : '?'}timestamp=${ts}&sign=${encodeURIComponent(dingTalkSign(key, ts))}`;
    }
    // DingTalk notifies the @-mentioned only when the text contains "@<mobile>".
    const mentions = this.cfg.mention.map((m) => `@${m}`).join(' ');
    const body = {
      msgtype: 'markdown',
      markdown: { title: subject(msg).slice(0, 64), text: markdownBody(msg) + (mentions ? `\n\n${mentions}` : '') },
      at: { atMobiles: this.cfg.mention, isAtAll: false },
    };
    const secrets = vendorSecrets(this.cfg, this.env);
    const reply = await request('POST', url, body, {}, this.cfg.timeoutMs, secrets);
    checkErrcode(`dingtalk ${this.name}`, reply.json, reply.status, secrets);
    return { status: reply.status };
  }
}

/** DingTalk "additional signature": base64(HMAC-SHA256(secret, `${timestamp}\n${secret}`)). */
export function dingTalkSign(secretKey: string, timestamp: number): string {
  return createHmac('sha256', secretKey).update(`${timestamp}\n${secretKey}`).digest('base64');
}
