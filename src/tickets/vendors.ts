import type { VendorConfig } from './config-schema.ts';
import { DeskVendor } from './desk.ts';
import { DingTalkVendor } from './dingtalk.ts';
import { EmailVendor } from './email.ts';
import { PagerDutyVendor } from './pagerduty.ts';
import { SlackVendor } from './slack.ts';
import type { TicketVendor } from './types.ts';
import { WebhookVendor } from './webhook.ts';
import { WeComVendor } from './wecom.ts';

/** One adapter per configured vendor entry. Secrets are read from `env` at each delivery. */
export function createVendor(cfg: VendorConfig, env: NodeJS.ProcessEnv = process.env): TicketVendor {
  switch (cfg.type) {
    case 'webhook':
      return new WebhookVendor(cfg, env);
    case 'pagerduty':
      return new PagerDutyVendor(cfg, env);
    case 'desk':
      return new DeskVendor(cfg, env);
    case 'wecom':
      return new WeComVendor(cfg, env);
    case 'dingtalk':
      return new DingTalkVendor(cfg, env);
    case 'slack':
      return new SlackVendor(cfg, env);
    case 'email':
      return new EmailVendor(cfg, env);
  }
}

/** Names of environment variables the config refers to that are not set (for `check` and start-up warnings). */
export function missingSecrets(vendors: readonly VendorConfig[], env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  for (const v of vendors) {
    for (const [k, val] of Object.entries(v)) {
      if (k.endsWith('Env') && typeof val === 'string' && !env[val]) out.push(`vendors.${v.name}.${k}: ${val} is not set`);
    }
  }
  return out;
}
