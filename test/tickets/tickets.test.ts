import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Incident } from '../../src/model/incident.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { TicketsConfigSchema } from '../../src/tickets/config-schema.ts';
import express, { type RequestHandler } from 'express';
import { errorMiddleware, HttpError, notFound } from '../../src/http/index.ts';
import { incidentRoutes } from '../../src/incidents/routes.ts';
import { pagerDutySignature } from '../../src/tickets/pagerduty-signature.ts';
import { ticketRoutes } from '../../src/tickets/routes.ts';
import { dingTalkSign } from '../../src/tickets/dingtalk.ts';
import { DEFAULT_RETRY, type RetryPolicy } from '../../src/tickets/outbox.ts';
import { TicketService } from '../../src/tickets/service.ts';
import { event, FakeVendor, samples, sleep, until } from './helpers.ts';
import { hubOn, settledTimeline, silenceSwitch, ticketPorts } from './ticket-ports.ts';

const ENV = { PD_KEY: 'routing-key-1', DESK_TOKEN: 'desk-token', PD_WEBHOOK_SECRET: 'pd-secret', ACK_TOKEN: 'ack-token', DING_SECRET: 'ding-secret', HOTLINE_KEY: 'hotline-key' };

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function vendor(): Promise<FakeVendor> {
  const v = await new FakeVendor().start();
  cleanup.push(() => v.stop());
  return v;
}

/** `retry` defaults to a fast test policy; `{}` is the production default. */
async function setup(config: unknown, opts: { tickMs?: number; reopenWindowMs?: number; retry?: Partial<RetryPolicy>; hold?: () => string | undefined } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'sg-tickets-'));
  const store = new SqliteStore(join(dir, 'hub.db'));
  cleanup.push(() => store.close());
  const hub = await hubOn(store, { ...(opts.reopenWindowMs !== undefined && { reopenWindowMs: opts.reopenWindowMs }) });
  cleanup.push(() => hub.stop());
  const cfg = TicketsConfigSchema.parse(config);
  const ports = ticketPorts(hub, store);
  const service = new TicketService({ ...ports, config: cfg, env: ENV, tickMs: opts.tickMs ?? 50, retry: opts.retry ?? { baseMs: 50, maxMs: 200 }, ...(opts.hold && { muter: silenceSwitch(opts.hold) }) }).start();
  cleanup.push(() => service.stop());
  /** Opens (or applies) a detector event now; returns the incident. */
  function detector(type: Parameters<typeof event>[0], severity: Parameters<typeof event>[1], over: Parameters<typeof event>[3] = {}): Incident {
    const now = Date.now();
    const change = hub.incidents.onDetectorEvent(event(type, severity, now, over), now);
    if (!change) throw new Error(`detector ${type} not applied`);
    return change.incident;
  }
  const entries = (id: string) => settledTimeline(hub, store, id);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const timeline = async (id: string): Promise<Record<string, any>[]> => (await entries(id)).map((e) => ({ type: e.type, ...(e.data as Record<string, unknown>) }));
  return { store, hub, ports, service, cfg, detector, entries, timeline };
}

describe('tickets: one ticket per incident, updates and resolution follow', () => {
  it('PagerDuty and desk get one ticket each with the evidence; failover, raise and resolve follow; IM escalation channel gets nothing', async () => {
    const v = await vendor();
    const t = await setup({
      vendors: [
        { name: 'cdn-pd', type: 'pagerduty', url: `${v.url}/v2/enqueue`, routingKeyEnv: 'PD_KEY' },
        // The failover is in the open, or an update held back at most this long after it.
        { name: 'cdn-desk', type: 'desk', url: v.url, tokenEnv: 'DESK_TOKEN', user: 'ops@example.com', updateEvery: '200ms' },
        { name: 'ops-im', type: 'wecom', url: `${v.url}/im/wecom?key=secret`, use: 'escalation' },
      ],
      roles: { describe: { name: 'Alice', contact: '+86 100' }, logs: 'Bob', comms: 'Carol', decide: 'Dave' },
    });
    const now = Date.now();
    t.store.samples.append(samples(now - 30_000, 31, (i) => (i >= 25 ? { connected: false, fps: 0, bitrateBps: 0, error: 'refused' } : {})).filter((s) => s.line === 'primary' || !s.error));
    const inc = t.detector('open', 'P1');
    t.hub.incidents.act(inc.id, { type: 'action', by: 'policy:failover', action: 'failover', detail: { from: 'primary', to: 'backup' } }, Date.now());

    await until('PD trigger and desk ticket', () => v.alerts.size === 1 && v.tickets.size === 1);
    const trigger = v.at('/v2/enqueue')[0]!.body;
    expect(trigger).toMatchObject({ routing_key: 'routing-key-1', event_action: 'trigger', dedup_key: inc.id, payload: { severity: 'error', source: 'streamguard:s1' } });
    expect(trigger.payload.summary).toContain('[P1] stream s1 line primary down');
    const details = trigger.payload.custom_details;
    expect(details.roles).toEqual(['describes the problem: Alice (+86 100)', 'gathers logs: Bob', 'talks to customers: Carol', 'decides on degradation: Dave']);
    expect(details.expected_response.withinMs).toBe(60 * 60_000);
    expect(details.evidence.probeErrors.join('\n')).toMatch(/eu p-eu primary refused ×\d/);
    expect(Object.keys(details.evidence.lastSamples).sort()).toEqual(['eu', 'us']);
    expect(details.evidence.history.length).toBeGreaterThan(0);

    const [ticketId, ticket] = [...v.tickets.entries()][0]!;
    expect(ticket.subject).toContain('[P1]');
    expect(ticket.priority).toBe('high');
    expect(ticket.externalId).toBe(inc.id);
    expect(ticket.body).toContain('describes the problem: Alice');
    expect(ticket.body).toContain('Latest sample of each line:');
    expect(ticket.body).not.toMatch(/[{[]\s*"/); // no JSON in the text: the bundle is attached
    expect(ticket.attachments).toEqual([{ filename: `evidence-${inc.id.replace(/[^A-Za-z0-9._-]+/g, '_')}.json`, content: expect.objectContaining({ incidentId: inc.id, probeErrors: expect.any(Array) }) }]);
    expect(v.at('/api/v2/tickets.json')[0]!.headers.authorization).toBe(`Basic ${Buffer.from('ops@example.com/token:desk-token').toString('base64')}`);

    // The failover is on the ticket: in the open itself or as the first comment.
    await until('failover on the desk ticket', () => (ticket.body + ticket.comments.join('\n')).includes('failover'));

    t.detector('raise', 'P0', { previous: 'P1', scope: 'stream' });
    await until('raise reaches both', () => ticket.comments.some((c) => c.includes('severity P1 → P0')) && v.at('/v2/enqueue').length >= 2);
    expect(ticket.priority).toBe('urgent');
    expect(v.alerts.get(inc.id)).toMatchObject({ status: 'triggered' });

    t.detector('clear', 'P0');
    await until('resolve reaches both', () => v.alerts.get(inc.id)?.status === 'resolved' && ticket.status === 'solved');

    // A replayed bus event (or a restart catch-up) never opens a second ticket.
    await t.hub.incidents.settled();
    const stored = (await t.store.incidents.get(inc.id))!;
    t.hub.bus.publish('incident.opened', { incident: { ...stored, status: 'open' }, entries: [] });
    await t.service.tick(); // after the replayed change: taken, and the outbox drained
    await until('nothing left to send', async () => (await t.service.metrics()).outboxPending === 0);
    expect(v.tickets.size).toBe(1);
    expect(v.at('/api/v2/tickets.json')).toHaveLength(1);
    expect(v.alerts.size).toBe(1);
    expect(v.at('/im/')).toHaveLength(0);

    expect(await t.service.metrics()).toMatchObject({ ticketsTotal: expect.arrayContaining([{ vendor: 'cdn-pd', severity: 'P1', value: 1 }, { vendor: 'cdn-desk', severity: 'P1', value: 1 }]), escalationsTotal: 0, outboxPending: 0 });
    const tl = await t.timeline(inc.id);
    expect(tl.filter((e) => e.action === 'ticket-opened').map((e) => e.vendor).sort()).toEqual(['cdn-desk', 'cdn-pd']);
    expect(tl.find((e) => e.action === 'ticket-opened' && e.vendor === 'cdn-desk')?.ref).toBe(String(ticketId));
    expect(tl.filter((e) => e.action === 'ticket-resolved').map((e) => e.vendor).sort()).toEqual(['cdn-desk', 'cdn-pd']);
  });

  it('below minSeverity and blind probes get no ticket; a P3 raised to P1 gets one then', async () => {
    const v = await vendor();
    const t = await setup({ vendors: [{ name: 'pd', type: 'pagerduty', url: `${v.url}/v2/enqueue`, routingKeyEnv: 'PD_KEY', minSeverity: 'P1' }] });
    t.detector('open', 'P1', { key: 'probe/p-eu/blind', kind: 'blind', scope: 'probe', probe: 'p-eu', stream: undefined, line: undefined });
    const inc = t.detector('open', 'P3');
    await t.service.tick();
    await sleep(100);
    expect(v.received).toHaveLength(0);
    t.detector('raise', 'P1', { previous: 'P3' });
    await until('ticket after raise', () => v.alerts.get(inc.id));
    expect(v.at('/v2/enqueue')).toHaveLength(1);
  });
});

describe('tickets: a later incident on the same key', () => {
  it('gets its own ticket; a late step recorded on the old one does not displace it in the hub', async () => {
    const v = await vendor();
    const t = await setup({ vendors: [{ name: 'pd', type: 'pagerduty', url: `${v.url}/v2/enqueue`, routingKeyEnv: 'PD_KEY' }] }, { reopenWindowMs: 10 });
    const a = t.detector('open', 'P1');
    t.detector('clear', 'P1');
    await sleep(30);
    const b = t.detector('open', 'P1');
    expect(b.id).not.toBe(a.id);
    await until('two alerts, the first resolved', () => v.alerts.size === 2 && v.alerts.get(a.id)?.status === 'resolved');
    expect((await t.service.acknowledge({ incidentId: a.id, vendor: 'pd', by: 'late' })).ok).toBe(true);
    expect(t.hub.incidents.byDedupKey(a.key)?.id).toBe(b.id);
    expect((await t.timeline(a.id)).some((e) => e.action === 'vendor-acknowledged')).toBe(true);
  });
});

describe('tickets: a relapse', () => {
  it('within the reopen window: the same incident reopens, its desk ticket is reopened with the relapse line and PagerDuty re-triggered; the second resolve closes both again', async () => {
    const v = await vendor();
    const t = await setup({ vendors: [{ name: 'pd', type: 'pagerduty', url: `${v.url}/v2/enqueue`, routingKeyEnv: 'PD_KEY' }, { name: 'desk', type: 'desk', url: v.url }] });
    const inc = t.detector('open', 'P1');
    await until('ticket', () => v.tickets.size === 1 && v.alerts.size === 1);
    t.detector('clear', 'P1');
    const ticket = [...v.tickets.values()][0]!;
    await until('solved', () => ticket.status === 'solved' && v.alerts.get(inc.id)?.status === 'resolved');
    const again = t.detector('open', 'P1');
    expect(again.id).toBe(inc.id);
    expect(again.reopenCount).toBe(1);
    await until('reopened', () => ticket.status === 'open' && v.alerts.get(inc.id)?.status === 'triggered');
    expect(ticket.comments.at(-1)).toMatch(/^Reopened: .*\n\nRelapse 1: the fault came back at [^,]+ UTC, \d+(\.\d+)? m?s after it cleared; this ticket is open again\./);
    t.detector('clear', 'P1');
    await until('solved again', () => ticket.status === 'solved' && v.alerts.get(inc.id)?.status === 'resolved');
    expect(v.tickets.size).toBe(1);
    expect(v.at('/api/v2/tickets.json')).toHaveLength(1);
    expect((await t.service.status(inc.id)).rows.filter((r) => r.vendor === 'desk').map((r) => r.key.slice(inc.id.length))).toEqual(['/desk/open', '/desk/resolve:0', '/desk/reopen:1', '/desk/resolve:1']);
  });
});

describe('tickets: restart catch-up', () => {
  it('an incident resolved while the service was stopped is resolved at the vendor on start, once', async () => {
    const v = await vendor();
    const t = await setup({ vendors: [{ name: 'pd', type: 'pagerduty', url: `${v.url}/v2/enqueue`, routingKeyEnv: 'PD_KEY' }] });
    const inc = t.detector('open', 'P1');
    await until('ticket', () => v.alerts.get(inc.id));
    await t.service.acknowledge({ incidentId: inc.id, vendor: 'pd', by: 'x' }); // SLA done: no timer left to find it by
    await t.service.stop();
    t.detector('clear', 'P1'); // published while nobody follows the bus
    await t.hub.incidents.settled();
    expect(v.alerts.get(inc.id)?.status).toBe('triggered');
    const again = new TicketService({ ...t.ports, config: t.cfg, env: ENV, tickMs: 50 }).start();
    cleanup.push(() => again.stop());
    await until('resolved after start', () => v.alerts.get(inc.id)?.status === 'resolved');
    // Delivered as the outbox knows it: a third service must not find it still pending and send it again.
    await until('the resolve marked delivered', async () => (await again.status(inc.id)).rows.every((r) => r.status === 'delivered'));
    const third = new TicketService({ ...t.ports, config: t.cfg, env: ENV, tickMs: 0 }).start();
    await third.tick();
    await third.stop();
    expect(v.at('/v2/enqueue').filter((r) => r.body.event_action === 'resolve')).toHaveLength(1);
  });
});

describe('tickets: vendor endpoint down', () => {
  it('connection refused for a while → the ticket is delivered exactly once when it returns', async () => {
    const v = await vendor();
    await v.down();
    const t = await setup({ vendors: [{ name: 'pd', type: 'pagerduty', url: `${v.url}/v2/enqueue`, routingKeyEnv: 'PD_KEY' }] });
    const inc = t.detector('open', 'P0', { scope: 'stream' });
    await until('a few failed attempts', async () => ((await t.service.status(inc.id)).rows[0]?.attempts ?? 0) >= 3);
    expect((await t.service.status(inc.id)).rows[0]).toMatchObject({ status: 'pending' });
    expect((await t.service.status(inc.id)).rows[0]!.lastError).toMatch(/ECONNREFUSED/);
    await v.up();
    await until('delivered', async () => (await t.service.status(inc.id)).rows[0]?.status === 'delivered');
    await sleep(300);
    expect(v.at('/v2/enqueue')).toHaveLength(1);
    const tl = await t.timeline(inc.id);
    expect(tl.filter((e) => e.action === 'ticket-delivery-retrying')).toHaveLength(1);
    expect(tl.filter((e) => e.action === 'ticket-opened')).toHaveLength(1);
  });

  it('down for a full minute (30 s refused, 30 s reset) with the default backoff → one ticket, delivered within the backoff cap of its return', async () => {
    const v = await vendor();
    await v.down();
    const t = await setup({ vendors: [{ name: 'pd', type: 'pagerduty', url: `${v.url}/v2/enqueue`, routingKeyEnv: 'PD_KEY' }] }, { tickMs: 200, retry: {} });
    const inc = t.detector('open', 'P0', { scope: 'stream' });
    await sleep(30_000);
    v.mode = 'reset';
    await v.up();
    await sleep(30_000);
    v.mode = 'ok';
    const back = Date.now();
    await until('delivered', async () => (await t.service.status(inc.id)).rows[0]?.status === 'delivered', DEFAULT_RETRY.maxMs + 5000);
    const delay = Date.now() - back;
    expect(delay).toBeLessThanOrEqual(DEFAULT_RETRY.maxMs + 1000);
    await sleep(500);
    const row = (await t.service.status(inc.id)).rows[0]!;
    expect(v.rejected).toBeGreaterThanOrEqual(1); // the reset half was tried
    expect(row.attempts).toBeGreaterThanOrEqual(7);
    expect(v.at('/v2/enqueue')).toHaveLength(1);
    expect(v.alerts.get(inc.id)).toMatchObject({ status: 'triggered', triggers: 1 });
    expect((await t.timeline(inc.id)).filter((e) => e.action === 'ticket-opened')).toHaveLength(1);
  }, 100_000);

  it('HTTP 500 for a while → one desk ticket; the update queued meanwhile follows it, in order', async () => {
    const v = await vendor();
    v.mode = '500';
    const t = await setup({ vendors: [{ name: 'desk', type: 'desk', url: v.url, tokenEnv: 'DESK_TOKEN', updateEvery: '200ms' }] });
    const inc = t.detector('open', 'P1');
    t.hub.incidents.act(inc.id, { type: 'action', by: 'policy:failover', action: 'failover', detail: { to: 'backup' } }, Date.now());
    await until('rejected twice', () => v.rejected >= 2);
    expect(v.received).toHaveLength(0);
    v.mode = 'ok';
    await until('ticket and its comment', () => [...v.tickets.values()][0]?.comments.some((c) => c.includes('failover')));
    await until('nothing left to send', async () => (await t.service.metrics()).outboxPending === 0);
    expect(v.at('/api/v2/tickets.json')).toHaveLength(1);
    expect(v.tickets.size).toBe(1);
    expect(v.received.map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual(['POST /api/v2/uploads.json', 'POST /api/v2/tickets.json', 'PUT /api/v2/tickets/100.json']);
    for (const r of v.received) expect(r.headers.authorization).toBe('Bearer desk-token');
  });

  it('a permanent refusal (400) is not retried and is on the timeline', async () => {
    const v = await vendor();
    const t = await setup({ vendors: [{ name: 'hook', type: 'webhook', url: `${v.url}/nowhere` }] });
    const inc = t.detector('open', 'P1');
    await until('failed', async () => (await t.service.status(inc.id)).rows[0]?.status === 'failed');
    expect(v.received).toHaveLength(1);
    expect((await t.timeline(inc.id)).find((e) => e.action === 'ticket-failed')?.error).toMatch(/HTTP 404/);
  });
});

const escalationVendors = (v: FakeVendor) => [
  { name: 'cdn-pd', type: 'pagerduty', url: `${v.url}/v2/enqueue`, routingKeyEnv: 'PD_KEY', webhookSecretEnv: 'PD_WEBHOOK_SECRET' },
  { name: 'am-hook', type: 'webhook', url: `${v.url}/hook/account-manager`, use: 'escalation', ackTokenEnv: 'ACK_TOKEN' },
  { name: 'hotline', type: 'pagerduty', url: `${v.url}/v2/enqueue`, routingKeyEnv: 'HOTLINE_KEY', use: 'escalation' },
  { name: 'ops-im', type: 'dingtalk', url: `${v.url}/im/dingtalk?access_token=x`, secretEnv: 'DING_SECRET', use: 'escalation', mention: ['13800000000'] },
];
const chain = [
  { name: 'account manager', channel: 'am-hook' },
  { name: '24/7 hotline', channel: 'hotline', after: '150ms' },
  { name: 'ops IM group', channel: 'ops-im', after: '150ms' },
];

describe('tickets: SLA expiry and escalation', () => {
  it('unacknowledged past the short P0 target → account manager, hotline page, IM group, in order, each on the timeline; resolve closes the page', async () => {
    const v = await vendor();
    const t = await setup({ vendors: escalationVendors(v), escalation: { sla: { P0: '300ms', P1: '1h' }, chain }, roles: { describe: 'Alice' } });
    const opened = Date.now();
    const inc = t.detector('open', 'P0', { scope: 'stream' });
    await until('IM group reached', () => v.at('/im/dingtalk').length === 1, 5000);
    const tl = await t.timeline(inc.id);
    const esc = tl.filter((e) => e.action === 'escalated');
    expect(esc.map((e) => [e.step, e.name, e.channel])).toEqual([
      [1, 'account manager', 'am-hook'],
      [2, '24/7 hotline', 'hotline'],
      [3, 'ops IM group', 'ops-im'],
    ]);
    const stored = await t.entries(inc.id);
    const times = esc.map((e) => (stored.find((x) => (x.data as { step?: number; action?: string }).step === e.step && (x.data as { action?: string }).action === 'escalated')!.t));
    // Each at its time or the tick after: deadline 300 ms, then 150 ms more per step.
    expect(times[0]! - opened).toBeGreaterThanOrEqual(300);
    expect(times[1]! - opened).toBeGreaterThanOrEqual(450);
    expect(times[2]! - opened).toBeGreaterThanOrEqual(600);
    expect(times[0]! <= times[1]! && times[1]! <= times[2]!).toBe(true);
    expect(esc[1]!.overdueMs).toBeGreaterThanOrEqual(150);
    expect(esc[2]!.overdueMs).toBeGreaterThanOrEqual(300);
    await until('every escalation delivered', async () => (await t.timeline(inc.id)).filter((e) => e.action === 'escalation-delivered').length === 3);

    const am = v.at('/hook/account-manager')[0]!;
    expect(am.body.action).toBe('escalate');
    expect(am.body.ticket.escalation).toMatchObject({ step: 0, name: 'account manager' });
    expect(am.headers['idempotency-key']).toBe(`${inc.id}/am-hook/escalate:0:0`);
    const hotline = v.at('/v2/enqueue').filter((r) => r.body.routing_key === 'hotline-key');
    expect(hotline).toHaveLength(1);
    expect(hotline[0]!.body.payload.summary).toMatch(/^ESCALATION/);
    const im = v.at('/im/dingtalk')[0]!;
    expect(im.path).toMatch(/timestamp=\d+&sign=/);
    const ts = Number(/timestamp=(\d+)/.exec(im.path)![1]);
    expect(decodeURIComponent(/sign=([^&]+)/.exec(im.path)![1]!)).toBe(dingTalkSign('ding-secret', ts));
    expect(im.body.msgtype).toBe('markdown');
    expect(im.body.markdown.text).toContain('ESCALATION');
    expect(im.body.markdown.text).toContain('describes the problem: Alice');
    expect(im.body.markdown.text).toContain('@13800000000');

    t.detector('clear', 'P0');
    await until('page resolved', () => v.at('/v2/enqueue').filter((r) => r.body.routing_key === 'hotline-key' && r.body.event_action === 'resolve').length === 1);
    // The IM group hears it is over too.
    await until('IM all clear', () => v.at('/im/dingtalk').some((r) => String(r.body.markdown.title).startsWith('Resolved')));
  });
});

describe('tickets: inbound acknowledgement', () => {
  /** The tickets' routes in an express app with the hub's error middleware (and, with `incidents`, the incident routes after them, as the hub mounts them). */
  async function mount(t: Awaited<ReturnType<typeof setup>>, withIncidentRoutes = false) {
    // The hub's token check, reduced to one operator token.
    const operatorOnly: RequestHandler = (req, _res, next) => {
      if (req.headers.authorization !== 'Bearer operator') throw new HttpError('forbidden', 'needs the operator token');
      next();
    };
    const app = express();
    // In front of every route but the webhooks, as the hub's one gate puts it.
    app.use((req, res, next) => (req.path.startsWith('/api/v1/tickets/webhooks/') ? next() : operatorOnly(req, res, next)));
    app.use(ticketRoutes(t.service, { env: ENV }));
    if (withIncidentRoutes) app.use(incidentRoutes({ repository: t.store.incidents, recent: () => t.hub.incidents.recent() }));
    app.use(notFound, errorMiddleware());
    const server = http.createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  function pdEvent(incidentKey: string) {
    return JSON.stringify({
      event: {
        id: '01DEN7ZTLKP8H0BC6ZMTH3VF5S',
        event_type: 'incident.acknowledged',
        resource_type: 'incident',
        occurred_at: new Date().toISOString(),
        agent: { id: 'PLH1HKV', summary: 'CDN support engineer', type: 'user_reference' },
        data: { id: 'Q1ABCDEF', type: 'incident', status: 'acknowledged', incident_key: incidentKey, title: 'x' },
      },
    });
  }

  it('PagerDuty v3 webhook: bad signature rejected; signed acknowledgement stops escalation and records time to ack', async () => {
    const v = await vendor();
    const t = await setup({ vendors: escalationVendors(v), escalation: { sla: { P0: '1500ms' }, chain } });
    const base = await mount(t);
    const inc = t.detector('open', 'P0', { scope: 'stream' });
    await until('ticket', () => v.alerts.get(inc.id));

    const body = pdEvent(inc.id);
    const url = `${base}/api/v1/tickets/webhooks/pagerduty/cdn-pd`;
    let r = await fetch(url, { method: 'POST', body, headers: { 'x-pagerduty-signature': pagerDutySignature(body, 'wrong-secret') } });
    expect(r.status).toBe(401);
    r = await fetch(url, { method: 'POST', body, headers: {} });
    expect(r.status).toBe(401);
    r = await fetch(url, { method: 'POST', body: body.replace('acknowledged', 'acknowledgeD'), headers: { 'x-pagerduty-signature': pagerDutySignature(body, 'pd-secret') } });
    expect(r.status).toBe(401); // signature is over the exact body
    r = await fetch(url, { method: 'POST', body, headers: { 'x-pagerduty-signature': `v1=deadbeef, ${pagerDutySignature(body, 'pd-secret')}` } });
    expect(r.status).toBe(200);
    const ack = (await r.json()) as { ok: boolean; timeToAckMs: number };
    expect(ack.ok).toBe(true);
    expect(ack.timeToAckMs).toBeGreaterThanOrEqual(0);
    expect(ack.timeToAckMs).toBeLessThan(1500);

    await sleep(2200); // past the deadline and the whole chain
    expect(v.at('/hook')).toHaveLength(0);
    expect(v.at('/im/')).toHaveLength(0);
    const tl = await t.timeline(inc.id);
    expect(tl.filter((e) => e.action === 'escalated')).toHaveLength(0);
    expect(tl.find((e) => e.action === 'vendor-acknowledged')).toMatchObject({ by: 'sla', vendor: 'cdn-pd', ackBy: 'CDN support engineer', timeToAckMs: ack.timeToAckMs });
    expect((await t.service.status(inc.id)).sla?.ackedAt).toBeDefined();

    // A second acknowledgement changes nothing; an unknown incident is a 404.
    r = await fetch(url, { method: 'POST', body, headers: { 'x-pagerduty-signature': pagerDutySignature(body, 'pd-secret') } });
    expect(await r.json()).toMatchObject({ already: true, timeToAckMs: ack.timeToAckMs });
    const other = pdEvent('nope@1');
    r = await fetch(url, { method: 'POST', body: other, headers: { 'x-pagerduty-signature': pagerDutySignature(other, 'pd-secret') } });
    expect(r.status).toBe(404);
  });

  it('generic webhook with a token; evidence and ticket status routes', async () => {
    const v = await vendor();
    const t = await setup({ vendors: escalationVendors(v), escalation: { sla: { P1: '300ms' }, chain } });
    const base = await mount(t, true);
    const inc = t.detector('open', 'P1');
    await until('escalated to the account manager', () => v.at('/hook/account-manager').length === 1, 5000);
    const url = `${base}/api/v1/tickets/webhooks/ack/am-hook`;
    let r = await fetch(url, { method: 'POST', headers: { authorization: 'Bearer wrong' }, body: JSON.stringify({ incident: inc.id }) });
    expect(r.status).toBe(401);
    r = await fetch(`${url}?token=ack-token`, { method: 'POST', body: JSON.stringify({ incident: inc.id, by: 'account manager Zhang' }) });
    expect(r.status).toBe(200);
    const ack = (await r.json()) as { timeToAckMs: number };
    expect(ack.timeToAckMs).toBeGreaterThanOrEqual(300);
    await sleep(600);
    // Step 1 fired before the ack, steps 2 and 3 never.
    expect((await t.timeline(inc.id)).filter((e) => e.action === 'escalated').map((e) => e.step)).toEqual([1]);
    expect(v.at('/v2/enqueue').filter((x) => x.body.routing_key === 'hotline-key')).toHaveLength(0);

    r = await fetch(`${base}/api/v1/incidents/${encodeURIComponent(inc.id)}/evidence`, { headers: { authorization: 'Bearer operator' } });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ incidentId: inc.id, stream: 's1', lines: ['primary'], regions: ['eu'] });
    r = await fetch(`${base}/api/v1/incidents/${inc.id}/evidence`, { headers: { authorization: 'Bearer operator' } });
    expect(r.status).toBe(200); // raw slashes too
    r = await fetch(`${base}/api/v1/incidents/${encodeURIComponent(inc.id)}/evidence`);
    expect(r.status).toBe(403);
    r = await fetch(`${base}/api/v1/tickets?incident=${encodeURIComponent(inc.id)}`, { headers: { authorization: 'Bearer operator' } });
    const status = (await r.json()) as { rows: { key: string; status: string }[] };
    expect(status.rows.map((x) => [x.key.slice(inc.id.length), x.status])).toEqual([
      ['/cdn-pd/open', 'delivered'],
      ['/am-hook/escalate:0:0', 'delivered'],
    ]);
    r = await fetch(`${base}/api/v1/tickets/nothing-here`, { headers: { authorization: 'Bearer operator' } });
    expect(r.status).toBe(404);
    r = await fetch(`${base}/api/v1/incidents/${encodeURIComponent(inc.id)}`, { headers: { authorization: 'Bearer operator' } });
    expect(r.status).toBe(200); // the API's own incident route still answers
  });
});

describe('tickets: drill', () => {
  it('sends a marked test through every vendor and escalation channel and reports which answered and how fast', async () => {
    const v = await vendor();
    const dead = await vendor();
    await dead.down();
    const t = await setup({
      vendors: [
        ...escalationVendors(v),
        { name: 'desk', type: 'desk', url: v.url, tokenEnv: 'DESK_TOKEN' },
        { name: 'wecom', type: 'wecom', url: `${v.url}/im/wecom?key=k`, use: 'escalation' },
        { name: 'slack', type: 'slack', url: `${v.url}/im/slack/T000/B000/XXX`, use: 'escalation' },
        { name: 'gone', type: 'webhook', url: `${dead.url}/hook`, use: 'escalation' },
      ],
      escalation: { sla: { P0: '15m' }, chain: [...chain, { name: 'backup contact', channel: 'gone' }] },
      roles: { describe: 'Alice' },
    });
    const pending = t.service.drill({ by: 'night-shift', waitAckMs: 3000 });
    // A human acknowledges the drill through the generic webhook.
    const drillId = await until('drill message at the account manager', () => v.at('/hook/account-manager')[0]?.body.ticket.incidentId as string | undefined);
    expect((await t.service.acknowledge({ incidentId: drillId, vendor: 'am-hook', by: 'Zhang' })).ok).toBe(true);
    const report = await pending;
    expect(report.ok).toBe(false);
    const by = Object.fromEntries(report.channels.map((c) => [c.name, c]));
    for (const name of ['cdn-pd', 'am-hook', 'hotline', 'ops-im', 'desk', 'wecom', 'slack']) {
      expect(by[name], name).toMatchObject({ ok: true });
      expect(by[name]!.ms).toBeGreaterThanOrEqual(0);
    }
    expect(by.gone).toMatchObject({ ok: false, uses: ['escalation: backup contact'] });
    expect(by.gone!.error).toMatch(/ECONNREFUSED/);
    expect(by.hotline!.uses).toEqual(['escalation: 24/7 hotline']);
    expect(by['cdn-pd']!.uses).toEqual(['ticket']);
    expect(report.acknowledged).toMatchObject({ vendor: 'am-hook', by: 'Zhang' });

    // Clearly marked everywhere; PagerDuty pages are resolved at once, the desk ticket closed.
    const pd = v.at('/v2/enqueue');
    expect(pd.filter((r) => r.body.event_action === 'trigger').every((r) => r.body.payload.summary.startsWith('[DRILL]') && r.body.payload.severity === 'info')).toBe(true);
    expect([...v.alerts.values()].every((a) => a.status === 'resolved')).toBe(true);
    const ticket = [...v.tickets.values()][0]!;
    expect(ticket.subject).toMatch(/^\[DRILL\]/);
    expect(ticket.status).toBe('solved');
    expect(v.at('/im/wecom')[0]!.body.markdown.content).toContain('DRILL');
    expect(v.at('/im/slack')[0]!.body.text).toContain('[DRILL]');
    expect((await t.store.audit.recent(5)).find((a) => a.action === 'tickets.drill')).toMatchObject({ actor: 'night-shift' });
  });
});

describe('tickets: opened by hand', () => {
  it('opens a ticket below minSeverity; again → an update, never a second ticket; the automatic open later is the same ticket', async () => {
    const v = await vendor();
    const t = await setup({ vendors: [{ name: 'desk', type: 'desk', url: v.url, tokenEnv: 'DESK_TOKEN', minSeverity: 'P1' }] });
    const inc = t.detector('open', 'P2', { kind: 'degraded', key: 's1/primary/degraded' });
    await sleep(200);
    expect(v.tickets.size).toBe(0);
    expect(await t.service.openByHand({ incidentId: inc.id, by: 'alice', reason: 'viewers complain' })).toEqual({ incidentId: inc.id, vendors: [{ vendor: 'desk', sent: 'open' }] });
    await until('the ticket', () => v.tickets.size === 1);
    expect((await t.service.openByHand({ incidentId: inc.id, by: 'bob', reason: 'still bad', vendor: 'desk' })).vendors).toEqual([{ vendor: 'desk', sent: 'update' }]);
    const [ticket] = [...v.tickets.values()];
    await until('the request on the ticket', () => ticket!.comments.some((c) => c.includes('ticket requested by bob: still bad')));
    t.detector('raise', 'P1', { kind: 'degraded', key: 's1/primary/degraded' });
    await until('the raise on the ticket', () => ticket!.priority === 'high');
    await sleep(300);
    expect(v.tickets.size).toBe(1);
    expect((await t.timeline(inc.id)).filter((e) => e.action === 'ticket-requested').map((e) => e.requestedBy)).toEqual(['alice', 'bob']);
  });

  it('refuses an unknown incident or vendor and a resolved incident', async () => {
    const v = await vendor();
    const t = await setup({ vendors: [{ name: 'desk', type: 'desk', url: v.url, tokenEnv: 'DESK_TOKEN' }, { name: 'ops-im', type: 'wecom', url: `${v.url}/im/wecom?key=k`, use: 'escalation' }] });
    const inc = t.detector('open', 'P1');
    await expect(t.service.openByHand({ incidentId: 'nope', by: 'a', reason: 'r' })).rejects.toThrow(/no incident "nope"/);
    await expect(t.service.openByHand({ incidentId: inc.id, by: 'a', reason: 'r', vendor: 'other' })).rejects.toThrow(/no ticket vendor "other" \(ticket vendors: desk\)/);
    await expect(t.service.openByHand({ incidentId: inc.id, by: 'a', reason: 'r', vendor: 'ops-im' })).rejects.toThrow(/"ops-im" is an escalation channel, not a ticket vendor \(ticket vendors: desk\)/);
    expect(t.service.ticketVendorsFor()).toEqual(['desk']);
    expect(t.service.ticketVendorsFor('desk')).toEqual(['desk']);
    t.detector('clear', 'P1');
    await expect(t.service.openByHand({ incidentId: inc.id, by: 'a', reason: 'r' })).rejects.toThrow(/is resolved/);
  });
});

describe('tickets: held by a maintenance silence', () => {
  it('a silenced incident gets no ticket and no escalation; when the silence ends, still open → its ticket, then the SLA chain', async () => {
    const v = await vendor();
    let silence: string | undefined = 'sil-maintenance';
    const t = await setup({ vendors: escalationVendors(v), escalation: { sla: { P0: '300ms', P1: '1h' }, chain } }, { hold: () => silence });
    const inc = t.detector('open', 'P0', { scope: 'stream' });
    await sleep(800);
    expect(v.received).toEqual([]);
    expect((await t.timeline(inc.id)).filter((e) => e.action === 'ticket-held')).toEqual([expect.objectContaining({ by: 'tickets', silence: 'sil-maintenance' })]);
    silence = undefined;
    await until('the ticket', async () => (await t.timeline(inc.id)).some((e) => e.action === 'ticket-opened'));
    await until('the chain', async () => (await t.timeline(inc.id)).filter((e) => e.action === 'escalated').length === 3, 5000);
    const types = (await t.timeline(inc.id)).map((e) => e.action).filter(Boolean);
    expect(types.indexOf('ticket-released')).toBeLessThan(types.indexOf('escalated'));
  });

  it('a silence set after the ticket holds its escalation; a silence ending after resolve opens nothing', async () => {
    const v = await vendor();
    let silence: string | undefined;
    const t = await setup({ vendors: escalationVendors(v), escalation: { sla: { P0: '300ms', P1: '1h' }, chain } }, { hold: () => silence });
    const inc = t.detector('open', 'P0', { scope: 'stream' });
    await until('the ticket', async () => (await t.timeline(inc.id)).some((e) => e.action === 'ticket-opened'));
    silence = 'sil-late';
    await sleep(700);
    expect((await t.timeline(inc.id)).filter((e) => e.action === 'escalated')).toEqual([]);
    silence = undefined;
    await until('the chain', async () => (await t.timeline(inc.id)).filter((e) => e.action === 'escalated').length === 3, 5000);

    silence = 'sil-2';
    const other = t.detector('open', 'P0', { key: 's1/backup/down', line: 'backup', scope: 'stream' });
    await sleep(200);
    t.detector('clear', 'P0', { key: 's1/backup/down', line: 'backup' });
    silence = undefined;
    await sleep(400);
    expect((await t.service.status(other.id)).rows).toEqual([]);
  });
});
