import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHub, type HubHandle } from '../../src/app/start.ts';
import { ConfigSchema, type Config } from '../../src/config/schema.ts';
import type { TimelineEntry } from '../../src/model/incident.ts';
import type { Sample } from '../../src/model/sample.ts';
import { buildMessage, markdownBody, subject, textBody } from '../../src/tickets/message.ts';
import { PagerDutyVendor } from '../../src/tickets/pagerduty.ts';
import { PagerDutyVendorSchema } from '../../src/tickets/config-schema.ts';
import { resolutionOf } from '../../src/tickets/resolution.ts';
import type { TicketMessage } from '../../src/tickets/types.ts';
import { until } from '../helpers/until.ts';
import { FakeVendor } from './helpers.ts';

/**
 * The tickets' part of a config reload, and what vendors hear when a stream leaves the config: its
 * incident is resolved, but the message says it is no fix.
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const T0 = 1_700_000_000_000;
const LINES = { primary: { url: 'rtmp://127.0.0.1/live/x' }, backup: { url: 'http://127.0.0.1:8000/live/x.flv' } };

async function vendor(): Promise<FakeVendor> {
  const v = await new FakeVendor().start();
  cleanups.push(() => v.stop());
  return v;
}

function config(dataDir: string, streams: string[], vendors: { name: string; url: string }[]): Config {
  return ConfigSchema.parse({
    hub: { dataDir },
    regions: ['eu'],
    streams: streams.map((id) => ({ id, lines: LINES })),
    vendors: vendors.map((v) => ({ ...v, type: 'webhook' })),
    roles: { describe: 'Alice' },
  });
}

/** A hub on a manual clock with the config's tickets; `window(id, down)` sends one window of both lines of a stream. */
async function hub(cfg: Config) {
  let now = T0;
  const handle: HubHandle = await startHub(cfg, { probes: false, listen: false, tickMs: 0, clock: () => now });
  cleanups.push(() => handle.stop());
  let seq = 0;
  const sample = (stream: string, line: string, down: boolean): Sample => ({
    probe: 'p-eu', region: 'eu', stream, line, seq: ++seq, t: now, windowMs: 1000, connected: !down, fps: down ? 0 : 25, bitrateBps: down ? 0 : 2e6, maxGapMs: 40, stallMs: 0, freezeMs: 0,
  });
  const window = (stream: string, down: readonly string[]) => {
    now += 1000;
    for (const line of ['primary', 'backup']) handle.ingest(sample(stream, line, down.includes(line)));
    handle.hub.tick();
  };
  return { handle, window };
}

type Delivered = { action: string; ticket: TicketMessage };
const delivered = (v: FakeVendor, path: string): Delivered[] => v.at(path).map((r) => r.body as Delivered);

describe('tickets across a config reload', () => {
  it('a stream removed with an open ticket: the vendor gets a resolve that says it is no fix (removed-from-config)', async () => {
    const v = await vendor();
    const dir = mkdtempSync(join(tmpdir(), 'sg-tickets-reload-'));
    const { handle, window } = await hub(config(dir, ['s1', 's2'], [{ name: 'desk', url: `${v.url}/hook/desk` }]));
    for (let i = 0; i < 5; i++) window('s2', ['primary', 'backup']);
    await until('the ticket', async () => {
      await handle.tickets!.tick();
      return delivered(v, '/hook/desk').some((d) => d.action === 'open');
    });

    const r = handle.reload(config(dir, ['s1'], [{ name: 'desk', url: `${v.url}/hook/desk` }]));
    expect(r).toMatchObject({ ok: true, changes: { removed: ['s2'] } });
    const resolve = await until('the resolve', async () => {
      await handle.tickets!.tick();
      return delivered(v, '/hook/desk').find((d) => d.action === 'resolve');
    });
    expect(resolve.ticket.resolution).toEqual({ cause: 'removed-from-config', note: 'stream "s2" was removed from the config' });
    expect(resolve.ticket.summary).toMatch(/Not a fault resolution \(removed-from-config\): stream "s2" was removed from the config; streamguard stopped watching it and did not see the fault clear\./);
  });

  it('vendors, escalation and roles are used for the next messages; a row queued for a removed vendor fails with a clear error', async () => {
    const v = await vendor();
    const dir = mkdtempSync(join(tmpdir(), 'sg-tickets-reload-'));
    const { handle, window } = await hub(config(dir, ['s1', 's2'], [{ name: 'old-desk', url: `${v.url}/hook/old` }]));
    for (let i = 0; i < 5; i++) window('s1', ['primary', 'backup']);
    const s1 = await until('the s1 ticket queued', async () => {
      await handle.hub.incidents.settled();
      const inc = handle.hub.incidents.open().find((i) => i.stream === 's1');
      return inc && (await handle.tickets!.status(inc.id)).rows.length > 0 ? inc : undefined;
    });

    const next = config(dir, ['s1', 's2'], [{ name: 'new-desk', url: `${v.url}/hook/new` }]);
    next.roles = { describe: { name: 'Bob' } };
    expect(handle.reload(next).ok).toBe(true);
    expect(handle.tickets!.vendors().map((x) => x.name)).toEqual(['new-desk']);

    const failed = await until('the old row given up', async () => {
      await handle.tickets!.tick();
      return (await handle.tickets!.status(s1.id)).rows.find((row) => row.vendor === 'old-desk' && row.status === 'failed');
    });
    expect(failed.lastError).toBe('no vendor "old-desk" configured (any more)');
    expect(v.at('/hook/old')).toEqual([]);

    for (let i = 0; i < 5; i++) window('s2', ['primary', 'backup']);
    const opened = await until('the s2 ticket at the new vendor', async () => {
      await handle.tickets!.tick();
      return delivered(v, '/hook/new').find((d) => d.action === 'open' && d.ticket.stream === 's2');
    });
    expect(opened.ticket.roles).toEqual([{ role: 'describe', label: 'describes the problem', name: 'Bob' }]);
  });
});

describe('the message of a resolve that is no fix', () => {
  const resolved = (data: Record<string, unknown>): TimelineEntry => ({ incidentId: 'i', t: 5, type: 'resolved', data });

  it('resolutionOf reads the last resolved entry: a cause makes it no fix; a clear or a manual resolve is none', () => {
    expect(resolutionOf([resolved({ cause: 'cleared' })])).toBeUndefined();
    expect(resolutionOf([resolved({ by: 'alice', manual: true })])).toBeUndefined();
    expect(resolutionOf([resolved({ cause: 'cleared' }), resolved({ by: 'config', cause: 'removed-from-config', note: 'stream "s2" was removed from the config' })])).toEqual({
      cause: 'removed-from-config',
      note: 'stream "s2" was removed from the config',
    });
  });

  const incident = { id: 's2/primary/down@1', key: 's2/primary/down', kind: 'down', stream: 's2', line: 'primary', status: 'resolved', severity: 'P0', peakSeverity: 'P0', scope: 'stream', onset: 0, openedAt: 1, detectionDelayMs: 1, updatedAt: 2, reopenCount: 0, regions: {} } as const;
  const msg = buildMessage({ action: 'resolve', idempotencyKey: 'k', incident: { ...incident, regions: {} }, roles: {}, actions: [], resolution: { cause: 'removed-from-config', note: 'stream "s2" was removed from the config' } });

  it('every rendering says it is no fix', () => {
    expect(subject(msg)).toBe('No longer monitored (removed-from-config), not a fix: [P0] stream s2 line primary down (stream)');
    for (const body of [textBody(msg), markdownBody(msg)]) expect(body).toMatch(/Not a fault resolution \(removed-from-config\): stream "s2" was removed from the config/);
  });

  it('PagerDuty: the alert is told before it is resolved (a resolve event carries no text)', async () => {
    const v = await vendor();
    const pd = new PagerDutyVendor(PagerDutyVendorSchema.parse({ name: 'pd', type: 'pagerduty', url: `${v.url}/v2/enqueue`, routingKeyEnv: 'SG_PD_KEY' }), { SG_PD_KEY: 'key' });
    await pd.send({ ...msg, action: 'open' }, {});
    await pd.send(msg, {});
    const events = v.at('/v2/enqueue').map((r) => r.body as { event_action: string; payload?: { summary: string } });
    expect(events.map((e) => e.event_action)).toEqual(['trigger', 'trigger', 'resolve']);
    expect(events[1]!.payload!.summary).toBe(subject(msg));
    expect(v.alerts.get(msg.dedupKey)!.status).toBe('resolved');
  });
});
