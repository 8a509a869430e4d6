import { createHmac } from 'node:crypto';
import type { z } from 'zod';
import type { DingTalkVendorSchema, SlackVendorSchema, WeComVendorSchema } from './config-schema.ts';
import { endpoint, redact, request, secret } from './http-client.ts';
import { markdownBody, subject } from './message.ts';
import { DeliveryError, type DeliveryContext, type DeliveryResult, type TicketMessage, type TicketVendor } from './types.ts';

/**
 * IM group bots for escalation and notices. The bot URL carries its key, so it normally comes from
 * `urlEnv`. Each platform answers HTTP 200 even when it refuses a message; the body says so.
 *
 *   WeCom     {msgtype: "markdown", markdown: {content}}            → {errcode: 0, errmsg: "ok"}
 *   DingTalk  {msgtype: "markdown", markdown: {title, text}, at}     → {errcode: 0}; optional signed URL
 *   Slack     {text, blocks}                                         → "ok"
 */

/** errcode answers worth retrying: system busy, rate limits. */
const RETRYABLE_ERRCODES = new Set([-1, 45009, 130101, 660026]);

function checkErrcode(vendor: string, json: unknown, status: number): void {
  const j = json as { errcode?: number; errmsg?: string } | undefined;
  if (j?.errcode !== undefined && j.errcode !== 0) throw new DeliveryError(`${vendor}: errcode ${j.errcode} ${j.errmsg ?? ''}`, RETRYABLE_ERRCODES.has(j.errcode), status);
}

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
    const reply = await request('POST', endpoint(this.env, this.cfg), { msgtype: 'markdown', markdown: { content } }, {}, this.cfg.timeoutMs);
    checkErrcode(`wecom ${this.name}`, reply.json, reply.status);
    return { status: reply.status };
  }
}

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
    const reply = await request('POST', url, body, {}, this.cfg.timeoutMs);
    checkErrcode(`dingtalk ${this.name}`, reply.json, reply.status);
    return { status: reply.status };
  }
}

/** DingTalk "additional signature": base64(HMAC-SHA256(secret, `${timestamp}\n${secret}`)). */
export function dingTalkSign(secretKey: string, timestamp: number): string {
  return createHmac('sha256', secretKey).update(`${timestamp}\n${secretKey}`).digest('base64');
}

export class SlackVendor implements TicketVendor {
  readonly type = 'slack';
  readonly name: string;
  constructor(
    private readonly cfg: z.infer<typeof SlackVendorSchema>,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.name = cfg.name;
  }

  async send(msg: TicketMessage, _ctx: DeliveryContext): Promise<DeliveryResult> {
    const mentions = this.cfg.mention.map((m) => `<@${m}>`).join(' ');
    // Slack mrkdwn: *bold*, not **bold**.
    const text = markdownBody(msg).replace(/\*\*(.+?)\*\*/g, '*$1*') + (mentions ? `\n${mentions}` : '');
    const body = {
      text: subject(msg),
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: subject(msg).slice(0, 150) } },
        { type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } },
      ],
    };
    const url = endpoint(this.env, this.cfg);
    const reply = await request('POST', url, body, {}, this.cfg.timeoutMs);
    if (reply.text.trim() !== 'ok' && reply.text.trim() !== '') throw new DeliveryError(`slack ${this.name} (${redact(url)}): ${reply.text.slice(0, 200)}`, false, reply.status);
    return { status: reply.status };
  }
}

function truncateBytes(s: string, max: number): string {
  const b = Buffer.from(s);
  if (b.length <= max) return s;
  return `${b.subarray(0, max - 4).toString('utf8').replace(/\uFFFD+$/, '')} …`;
}
