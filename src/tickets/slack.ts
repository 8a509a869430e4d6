import type { z } from 'zod';
import type { SlackVendorSchema } from './config-schema.ts';
import { endpoint, request } from './http-client.ts';
import { markdownBody, subject } from './message.ts';
import { scrub, shownUrl, vendorSecrets } from './secrets.ts';
import { DeliveryError, type DeliveryContext, type DeliveryResult, type TicketMessage, type TicketVendor } from './types.ts';

/**
 * Slack incoming webhook, for escalation and notices: `{text, blocks}` → `ok`. The webhook URL is
 * its own secret, so it normally comes from `urlEnv`.
 */
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
    const secrets = vendorSecrets(this.cfg, this.env);
    const reply = await request('POST', url, body, {}, this.cfg.timeoutMs, secrets);
    if (reply.text.trim() !== 'ok' && reply.text.trim() !== '') throw new DeliveryError(`slack ${this.name} (${shownUrl(url, secrets)}): ${scrub(reply.text, secrets)}`, false, reply.status);
    return { status: reply.status };
  }
}
