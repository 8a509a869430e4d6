import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DurationSchema, ticketsConfigShape, TicketsConfigSchema } from '../../src/tickets/config-schema.ts';
import { missingSecrets } from '../../src/tickets/vendors.ts';

describe('tickets config schema', () => {
  it('defaults: no vendors, P0 15 min / P1 60 min, empty chain and roles', () => {
    expect(TicketsConfigSchema.parse({})).toEqual({ vendors: [], escalation: { sla: { P0: 900_000, P1: 3_600_000 }, chain: [] }, roles: {} });
  });

  it('parses every vendor type, durations and roles', () => {
    const cfg = TicketsConfigSchema.parse({
      vendors: [
        { name: 'pd', type: 'pagerduty', routingKeyEnv: 'PD_KEY', severityMap: { P2: 'error' } },
        { name: 'desk', type: 'desk', url: 'https://cdn.zendesk.example', tokenEnv: 'DESK_TOKEN', user: 'ops@example.com', minSeverity: 'P1' },
        { name: 'wc', type: 'wecom', urlEnv: 'WECOM_URL', use: 'escalation' },
        { name: 'dd', type: 'dingtalk', urlEnv: 'DING_URL', secretEnv: 'DING_SECRET', use: 'escalation', mention: ['138'] },
        { name: 'sl', type: 'slack', urlEnv: 'SLACK_URL', use: 'both' },
        { name: 'hook', type: 'webhook', url: 'http://127.0.0.1:9/x', secretEnv: 'HOOK_SECRET', ackTokenEnv: 'ACK' },
        { name: 'mail', type: 'email', host: 'smtp.example', from: 'sg@example.com', to: ['am@cdn.example'], use: 'escalation' },
      ],
      escalation: { sla: { P0: '30m', P1: '2h', P2: 5000 }, chain: [{ name: 'account manager', channel: 'mail' }, { name: 'hotline', channel: 'pd', after: '5m', severities: ['P0'] }] },
      roles: { describe: 'Alice', decide: { name: 'Dave', contact: '+86 1' } },
    });
    expect(cfg.vendors[0]).toMatchObject({ type: 'pagerduty', url: 'https://events.pagerduty.com/v2/enqueue', minSeverity: 'P2', use: 'ticket', kinds: ['down', 'degraded'], timeoutMs: 10_000 });
    expect(cfg.vendors[6]).toMatchObject({ port: 25, secure: false });
    expect(cfg.escalation.sla).toEqual({ P0: 1_800_000, P1: 7_200_000, P2: 5000 });
    expect(cfg.escalation.chain[1]).toMatchObject({ after: 300_000, severities: ['P0'] });
    expect(cfg.roles).toEqual({ describe: { name: 'Alice' }, decide: { name: 'Dave', contact: '+86 1' } });
    expect(missingSecrets(cfg.vendors, { PD_KEY: 'x' })).toContain('vendors.desk.tokenEnv: DESK_TOKEN is not set');
  });

  it('reports errors with their paths: unknown channel, duplicate name, missing url, bad duration, secret in the file', () => {
    const r = TicketsConfigSchema.safeParse({
      vendors: [
        { name: 'a', type: 'wecom' },
        { name: 'a', type: 'slack', url: 'https://hooks.slack.example/x' },
        { name: 'pd', type: 'pagerduty', routingKey: 'R0UT1NG' },
      ],
      escalation: { sla: { P0: '15 minutes' }, chain: [{ name: 'x', channel: 'nobody' }] },
    });
    expect(r.success).toBe(false);
    const issues = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues.some((i) => i.startsWith('vendors.0.url: vendor "a" needs url or urlEnv'))).toBe(true);
    expect(issues.some((i) => i.startsWith('vendors.2') && /routingKey/.test(i))).toBe(true);
    expect(issues.some((i) => i.startsWith('escalation.sla.P0: must be milliseconds or a duration'))).toBe(true);
    const dup = TicketsConfigSchema.safeParse({ vendors: [{ name: 'a', type: 'slack', url: 'https://x.example/' }, { name: 'a', type: 'slack', url: 'https://x.example/' }], escalation: { chain: [{ name: 'x', channel: 'nobody' }] } });
    const msgs = dup.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(msgs).toContain('vendors.1.name: duplicate vendor name "a"');
    expect(msgs).toContain('escalation.chain.0.channel: no vendor named "nobody"');
  });

  it('the shape spreads into a root config', () => {
    const Root = z.strictObject({ hub: z.object({}).default({}), ...ticketsConfigShape });
    expect(Root.parse({ roles: { logs: 'Bob' } }).roles).toEqual({ logs: { name: 'Bob' } });
    expect(DurationSchema.parse('1.5s')).toBe(1500);
  });
});
