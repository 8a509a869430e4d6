import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { lineIncident } from '../helpers/incident.ts';
import type { Incident } from '../../src/model/incident.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { TicketsConfigSchema, type VendorConfig } from '../../src/tickets/config-schema.ts';
import { drillMessage } from '../../src/tickets/drill.ts';
import type { EvidenceBundle } from '../../src/tickets/evidence.ts';
import { buildMessage } from '../../src/tickets/message.ts';
import { TicketService } from '../../src/tickets/service.ts';
import { DeliveryError, type DeliveryContext, type TicketAction, type TicketMessage } from '../../src/tickets/types.ts';
import { createVendor } from '../../src/tickets/vendors.ts';
import { event, FakeSmtp, FakeVendor, until } from './helpers.ts';
import { hubOn, settledTimeline, ticketPorts } from './ticket-ports.ts';

/**
 * The contract every vendor adapter keeps, whatever its vendor: it is built from its config entry
 * (createVendor); it delivers every kind of message; it says whether a failure is worth retrying
 * (down or overloaded: yes; refused, or a secret missing from the environment: no, naming the
 * variable); and no secret gets out — not into an error, not into a log line or the timeline,
 * not into the payload beyond the one field the vendor reads it from — even when the vendor quotes
 * back what it got. Every secret below contains "s3cr3t", so a leak is a match of that.
 */

const LEAK = /s3cr3t/i;

interface Rig {
  vendor: FakeVendor;
  smtp: FakeSmtp;
}

interface VendorCase {
  type: VendorConfig['type'];
  config: (r: Rig) => Record<string, unknown>;
  /** Every secret of the entry, by environment variable. */
  env: (r: Rig) => Record<string, string>;
  /** What the vendor received so far, one text per request or mail, minus where the vendor reads a secret from. */
  received: (r: Rig) => string[];
  /** What people read of each request or mail so far (subject and body), in order; '' for one without text (a PagerDuty resolve). */
  readable: (r: Rig) => string[];
  /** Makes the vendor unreachable (connection refused). */
  down: (r: Rig) => Promise<void>;
  /** Makes the vendor refuse, quoting back what it got: 'refuse' for good, 'overload' for now. */
  refuse: (r: Rig, mode: 'refuse' | 'overload' | 'ok') => void;
}

/** An HTTP vendor: every request's body and headers, less the Authorization header and the body fields named. */
function httpReceived(r: Rig, secretFields: string[] = []): string[] {
  return r.vendor.received.map((q) => {
    const { authorization: _, ...headers } = q.headers;
    const body = q.body && typeof q.body === 'object' ? Object.fromEntries(Object.entries(q.body as object).filter(([k]) => !secretFields.includes(k))) : q.body;
    return JSON.stringify({ headers, body });
  });
}

const http = {
  down: (r: Rig) => r.vendor.down(),
  refuse: (r: Rig, mode: 'refuse' | 'overload' | 'ok') => void (r.vendor.mode = mode),
};

const CASES: VendorCase[] = [
  {
    type: 'webhook',
    config: () => ({ name: 'hook', type: 'webhook', urlEnv: 'HOOK_URL', secretEnv: 'HOOK_SECRET', tokenEnv: 'HOOK_TOKEN' }),
    env: (r) => ({ HOOK_URL: `${r.vendor.url}/hook/s3cr3t-hook-path?key=s3cr3t-hook-key`, HOOK_SECRET: 's3cr3t-hook-hmac', HOOK_TOKEN: 's3cr3t-hook-token' }),
    received: (r) => httpReceived(r),
    readable: (r) => r.vendor.received.map((q) => `${q.body.subject}\n${q.body.text}`),
    ...http,
  },
  {
    type: 'pagerduty',
    config: (r) => ({ name: 'pd', type: 'pagerduty', url: `${r.vendor.url}/v2/enqueue`, routingKeyEnv: 'PD_KEY' }),
    env: () => ({ PD_KEY: 's3cr3t-pd-routing-key' }),
    received: (r) => httpReceived(r, ['routing_key']),
    readable: (r) => r.vendor.received.map((q) => (q.body.payload ? `${q.body.payload.summary}\n${q.body.payload.custom_details.text}` : '')),
    ...http,
  },
  {
    type: 'desk',
    config: (r) => ({ name: 'desk', type: 'desk', url: r.vendor.url, tokenEnv: 'DESK_TOKEN', user: 'ops@example.com' }),
    env: () => ({ DESK_TOKEN: 's3cr3t-desk-token' }),
    received: (r) => httpReceived(r),
    // The uploads are the attached evidence file, not text.
    readable: (r) => r.vendor.at('/api/v2/tickets').map((q) => `${q.body.ticket.subject}\n${q.body.ticket.comment?.body}`),
    ...http,
  },
  {
    type: 'wecom',
    config: () => ({ name: 'wecom', type: 'wecom', urlEnv: 'WECOM_URL' }),
    env: (r) => ({ WECOM_URL: `${r.vendor.url}/im/wecom?key=s3cr3t-wecom-key` }),
    received: (r) => httpReceived(r),
    readable: (r) => r.vendor.received.map((q) => q.body.markdown.content),
    ...http,
  },
  {
    type: 'dingtalk',
    config: () => ({ name: 'ding', type: 'dingtalk', urlEnv: 'DING_URL', secretEnv: 'DING_SECRET' }),
    env: (r) => ({ DING_URL: `${r.vendor.url}/im/dingtalk?access_token=s3cr3t-ding-token`, DING_SECRET: 's3cr3t-ding-sign' }),
    received: (r) => httpReceived(r),
    readable: (r) => r.vendor.received.map((q) => `${q.body.markdown.title}\n${q.body.markdown.text}`),
    ...http,
  },
  {
    type: 'slack',
    config: () => ({ name: 'slack', type: 'slack', urlEnv: 'SLACK_URL' }),
    env: (r) => ({ SLACK_URL: `${r.vendor.url}/im/slack/T000/B000/s3cr3t-slack-path` }),
    received: (r) => httpReceived(r),
    readable: (r) => r.vendor.received.map((q) => [q.body.text, ...q.body.blocks.map((b: { text: { text: string } }) => b.text.text)].join('\n')),
    ...http,
  },
  {
    type: 'email',
    config: (r) => ({ name: 'mail', type: 'email', host: '127.0.0.1', port: r.smtp.port, from: 'sg@example.com', to: ['am@cdn.example'], userEnv: 'SMTP_USER', passwordEnv: 'SMTP_PASSWORD' }),
    env: () => ({ SMTP_USER: 's3cr3t-smtp-user', SMTP_PASSWORD: 's3cr3t-smtp-password' }),
    // The AUTH command is where the relay reads them.
    received: (r) => r.smtp.sessions.map((s) => JSON.stringify({ commands: s.commands.filter((c) => !c.startsWith('AUTH ')), data: s.data })),
    readable: (r) => r.smtp.sessions.map((s) => readMail(s.data)),
    down: (r) => r.smtp.stop(),
    refuse: (r, mode) => void (r.smtp.mode = mode),
  },
];

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function rig(): Promise<Rig> {
  const vendor = await new FakeVendor().start();
  const smtp = await new FakeSmtp().start();
  smtp.auth = Buffer.from('\0s3cr3t-smtp-user\0s3cr3t-smtp-password').toString('base64');
  cleanup.push(() => vendor.stop(), () => smtp.stop());
  return { vendor, smtp };
}

function entry(c: VendorCase, r: Rig): VendorConfig {
  return TicketsConfigSchema.parse({ vendors: [c.config(r)] }).vendors[0]!;
}

const T = 1_700_000_000_000;
const INCIDENT: Incident = lineIncident(T + 2000);

function message(action: Exclude<TicketAction, 'drill'>): TicketMessage {
  return buildMessage({
    action,
    idempotencyKey: `${INCIDENT.id}/v/${action}`,
    incident: action === 'resolve' ? { ...INCIDENT, status: 'resolved' } : INCIDENT,
    slaMs: 3_600_000,
    roles: { describe: { name: 'Alice' } },
    actions: [],
    ...(action === 'update' && { changes: ['severity P2 → P1'] }),
    ...(action === 'escalate' && { escalation: { step: 0, name: 'account manager', overdueMs: 1000 } }),
  });
}

/** A mail's subject and body, decoded (email.ts: RFC 2047 subject, base64 UTF-8 body). */
function readMail(data: string): string {
  const [headers = '', body = ''] = data.split('\r\n\r\n');
  const raw = /^Subject: (.*)$/m.exec(headers)?.[1] ?? '';
  const b64 = /^=\?UTF-8\?B\?(.*)\?=$/.exec(raw);
  return `${b64 ? Buffer.from(b64[1]!, 'base64').toString('utf8') : raw}\n${Buffer.from(body.replace(/\r\n/g, ''), 'base64').toString('utf8')}`;
}

/** The incident widened and got worse: the whole stream is down everywhere (P0, scope stream). */
const WIDENED: Incident = { ...lineIncident(T + 2000, { regions: ['eu', 'us'] }), severity: 'P0', peakSeverity: 'P0', scope: 'stream', related: ['s1/backup/down'] };
const WIDENED_CHANGES = ['severity P1 → P0', 'scope line → stream: every line of the stream, in every region (eu, us)'];

/** A JSON object or array of objects written into text: `{"…":` or `[{"…"`. */
const JSON_DUMP = /[{[]\s*"[^"\n]*"\s*:|\[\s*\{/;

const EVIDENCE: EvidenceBundle = {
  incidentId: WIDENED.id,
  generatedAt: new Date(T + 3000).toISOString(),
  stream: 's1',
  lines: ['backup', 'primary'],
  regions: ['eu', 'us'],
  onset: new Date(WIDENED.onset).toISOString(),
  window: { from: new Date(T - 120_000).toISOString(), to: new Date(T + 3000).toISOString() },
  lastSamples: { eu: [{ region: 'eu', line: 'primary', probe: 'p-eu', points: [{ t: T + 2000, connected: false, fps: 0, bitrateBps: 0, stallMs: 0, freezeMs: 0, maxGapMs: 0, error: 'refused' }] }] },
  history: [{ region: 'eu', line: 'primary', probe: 'p-eu', points: [{ t: T + 2000, connected: false, fps: 0, bitrateBps: 0, stallMs: 0, freezeMs: 0, maxGapMs: 0, error: 'refused' }] }],
  probeErrors: [`${new Date(T + 2000).toISOString()} eu p-eu primary refused ×3`],
  actions: [],
};

/** The error a send ends with (fails the test if it succeeds). */
async function failure(send: Promise<unknown>): Promise<DeliveryError> {
  const err = await send.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeliveryError);
  return err as DeliveryError;
}

describe.each(CASES)('vendor adapter contract: $type', (c) => {
  it('is built from its config entry and delivers open, update, escalate, resolve and a drill; the payload carries no secret', async () => {
    const r = await rig();
    const cfg = entry(c, r);
    const adapter = createVendor(cfg, c.env(r));
    expect({ name: adapter.name, type: adapter.type }).toEqual({ name: cfg.name, type: c.type });
    let ctx: DeliveryContext = {};
    for (const action of ['open', 'update', 'escalate', 'resolve'] as const) {
      const result = await adapter.send(message(action), ctx);
      if (action === 'open' && result.ref !== undefined) ctx = { ref: result.ref };
    }
    await adapter.send(drillMessage('drill-1', cfg, 'tester', T, TicketsConfigSchema.parse({})), {});
    const got = c.received(r);
    expect(got.length).toBeGreaterThanOrEqual(5);
    for (const text of got) expect(text).not.toMatch(LEAK);
  });

  it('what people read: the open (evidence attached or summed up, never dumped as JSON) and an update that says the new severity and scope', async () => {
    const r = await rig();
    const adapter = createVendor(entry(c, r), c.env(r));
    const build = (action: 'open' | 'update', over: Partial<Parameters<typeof buildMessage>[0]> = {}) =>
      buildMessage({ action, idempotencyKey: `${WIDENED.id}/v/${action}`, incident: WIDENED, slaMs: 900_000, roles: { describe: { name: 'Alice' } }, causes: ['eu (probe p-eu), since 2023-11-14 22:13:26 UTC: not connected — connection refused'], actions: ['2023-11-14 22:13:27 UTC policy:failover: switched to line backup (from primary)'], ...over });
    const opened = await adapter.send(build('open', { incident: lineIncident(T + 2000), evidence: EVIDENCE }), {});
    await adapter.send(build('update', { changes: WIDENED_CHANGES }), opened.ref !== undefined ? { ref: opened.ref } : {});
    const texts = c.readable(r);
    expect(texts).toHaveLength(2);
    const [open, update] = texts as [string, string];
    expect(open).toContain('[P1] stream s1 line primary down (line: eu)');
    expect(open).toContain('connection refused');
    expect(update).toContain('[P0] stream s1 line primary+backup down (stream: eu, us)');
    for (const change of WIDENED_CHANGES) expect(update).toContain(change);
    expect(update).toContain('every line of the stream, in every region');
    expect(update).toContain('switched to line backup');
    for (const text of texts) {
      expect(text).not.toMatch(JSON_DUMP);
      expect(text).not.toMatch(LEAK);
    }
  });

  it('a relapse: the update reopening the ticket leads with the relapse line (the desk sets the ticket open again)', async () => {
    const r = await rig();
    const adapter = createVendor(entry(c, r), c.env(r));
    const opened = await adapter.send(message('open'), {});
    const ctx: DeliveryContext = opened.ref !== undefined ? { ref: opened.ref } : {};
    await adapter.send(message('resolve'), ctx);
    const relapse = { count: 2, at: new Date(T + 60_000).toISOString(), afterMs: 40_000 };
    await adapter.send(buildMessage({ action: 'update', idempotencyKey: `${INCIDENT.id}/v/reopen:2`, incident: INCIDENT, slaMs: 3_600_000, roles: {}, actions: [], relapse }), ctx);
    const text = c.readable(r).at(-1)!;
    const line = 'Relapse 2: the fault came back at 2023-11-14 22:14:20 UTC, 40 s after it cleared; this ticket is open again.';
    // After the subject (and, in markdown, its blank line) the relapse line comes first.
    expect(text.split('\n').filter((l) => l.trim() !== '' && !l.includes('[P1]'))[0]).toContain(line);
    expect(text).toContain('Reopened: [P1]');
    if (c.type === 'desk') expect(r.vendor.at('/api/v2/tickets').at(-1)!.body.ticket.status).toBe('open');
    if (c.type === 'pagerduty') expect(r.vendor.received.at(-1)!.body.event_action).toBe('trigger');
  });

  it('down or overloaded: retryable; refused: not; no error quotes a secret, even one the vendor quoted back', async () => {
    const r = await rig();
    const adapter = createVendor(entry(c, r), c.env(r));
    c.refuse(r, 'overload');
    const overloaded = await failure(adapter.send(message('open'), {}));
    expect(overloaded.retryable).toBe(true);
    c.refuse(r, 'refuse');
    const refused = await failure(adapter.send(message('open'), {}));
    expect(refused.retryable).toBe(false);
    await c.down(r);
    const down = await failure(adapter.send(message('open'), {}));
    expect(down.retryable).toBe(true);
    for (const e of [overloaded, refused, down]) expect(e.message).not.toMatch(LEAK);
  });

  it('a secret missing from the environment: not retryable, the error names its variable and no other secret', async () => {
    const r = await rig();
    const env = c.env(r);
    for (const name of Object.keys(env)) {
      const { [name]: _missing, ...rest } = env;
      const err = await failure(createVendor(entry(c, r), rest).send(message('open'), {}));
      expect(err.retryable).toBe(false);
      expect(err.message).toContain(name);
      expect(err.message).not.toMatch(LEAK);
    }
  });

  it('through the service: retried, then given up; no secret in its log lines, the timeline or the outbox', async () => {
    const r = await rig();
    const lines: string[] = [];
    const logger = pino({ level: 'debug', base: undefined }, { write: (line: string) => void lines.push(line) });
    const store = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'sg-contract-')), 'hub.db'));
    cleanup.push(() => store.close());
    const hub = await hubOn(store);
    cleanup.push(() => hub.stop());
    const config = TicketsConfigSchema.parse({ vendors: [c.config(r)] });
    const service = new TicketService({ ...ticketPorts(hub, store), config, env: c.env(r), tickMs: 20, retry: { baseMs: 20, maxMs: 40 }, logger }).start();
    cleanup.push(() => service.stop());
    c.refuse(r, 'overload');
    const now = Date.now();
    const inc = hub.incidents.onDetectorEvent(event('open', 'P1', now), now)!.incident;
    const timeline = () => settledTimeline(hub, store, inc.id);
    const actions = async () => (await timeline()).map((e) => (e.data as { action?: string }).action);
    await until('a retry on the timeline', async () => (await actions()).includes('ticket-delivery-retrying'));
    c.refuse(r, 'refuse');
    await until('given up', async () => (await actions()).includes('ticket-failed'));
    const { rows } = await service.status(inc.id);
    expect(rows.map((x) => x.status)).toEqual(['failed']);
    expect(lines.some((l) => l.includes('ticket delivery given up'))).toBe(true);
    for (const text of [...lines, JSON.stringify(await timeline()), JSON.stringify(rows)]) expect(text).not.toMatch(LEAK);
  });
});
