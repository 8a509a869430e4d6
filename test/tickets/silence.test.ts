import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Hub } from '../../src/app/hub.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { TicketsConfigSchema } from '../../src/tickets/config-schema.ts';
import { heldOnTimeline } from '../../src/tickets/mute.ts';
import { TicketService } from '../../src/tickets/service.ts';
import { event, FakeVendor } from './helpers.ts';
import { hubOn, settledTimeline, silenceSwitch, ticketPorts } from './ticket-ports.ts';

/**
 * A maintenance silence against the real service: SQLite file, local vendor over HTTP, and an
 * injected clock so that an hour of maintenance takes no time. Every tick() delivers the outbox
 * before it returns, so what the vendor got is checked right after it.
 */

const MIN = 60_000;
const T0 = 1_700_000_000_000;
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function rig() {
  const v = await new FakeVendor().start();
  cleanup.push(() => v.stop());
  const file = join(mkdtempSync(join(tmpdir(), 'sg-silence-')), 'hub.db');
  const config = TicketsConfigSchema.parse({
    vendors: [
      { name: 'pd', type: 'pagerduty', url: `${v.url}/v2/enqueue`, routingKeyEnv: 'PD_KEY' },
      { name: 'am-hook', type: 'webhook', url: `${v.url}/hook/account-manager`, use: 'escalation' },
    ],
    escalation: { sla: { P0: '15m' }, chain: [{ name: 'account manager', channel: 'am-hook' }, { name: 'account manager again', channel: 'am-hook', after: '5m' }] },
  });
  const r = {
    vendor: v,
    now: T0,
    silence: undefined as string | undefined,
    store: undefined as unknown as SqliteStore,
    hub: undefined as unknown as Hub,
    service: undefined as unknown as TicketService,
    /** The hub process (store, hub, tickets service) on the file; again: a restart, nothing kept in memory. */
    async boot() {
      if (r.service) {
        await r.service.stop();
        await r.hub.stop();
        r.store.close();
      }
      const store = new SqliteStore(file);
      cleanup.push(() => store.close());
      const hub = await hubOn(store, { reopenWindowMs: 24 * 60 * MIN, clock: () => r.now });
      cleanup.push(() => hub.stop());
      const service = new TicketService({ ...ticketPorts(hub, store), config, env: { PD_KEY: 'rk' }, tickMs: 0, clock: () => r.now, muter: silenceSwitch(() => r.silence) }).start();
      cleanup.push(() => service.stop());
      Object.assign(r, { store, hub, service });
    },
    detector(type: 'open' | 'clear') {
      const change = r.hub.incidents.onDetectorEvent(event(type, 'P0', r.now, { scope: 'stream' }), r.now);
      if (!change) throw new Error(`detector ${type} not applied`);
      return change.incident;
    },
    /** Moves the clock to T0 + `atMin` minutes and runs one tick (release, SLA, outbox). */
    async at(atMin: number) {
      r.now = T0 + atMin * MIN;
      await r.service.tick();
    },
    /** Ticket steps on the timeline (action, minute), in order. */
    async steps(id: string): Promise<[string, number][]> {
      return (await settledTimeline(r.hub, r.store, id))
        .filter((e) => (e.data as { by?: string }).by === 'tickets' || (e.data as { by?: string }).by === 'sla')
        .map((e) => [(e.data as { action: string }).action, (e.t - T0) / MIN]);
    },
    escalations: () => v.at('/hook/account-manager').map((x) => x.body.ticket.escalation.name as string),
  };
  await r.boot();
  return r;
}

describe('tickets held by a maintenance silence: the SLA clock', () => {
  it('held at open, across a hub restart: held once, opened when the silence ends, and the SLA counts from then', async () => {
    const r = await rig();
    r.silence = 'sil-encoder-swap';
    const inc = r.detector('open');
    await r.at(0);
    await r.boot(); // the hub restarts during the maintenance
    await r.at(1);
    await r.at(60);
    expect(r.vendor.received).toEqual([]);
    expect(await r.steps(inc.id)).toEqual([['ticket-held', 0]]);

    r.silence = undefined;
    await r.at(61);
    expect(await r.steps(inc.id)).toEqual([['ticket-held', 0], ['ticket-released', 61], ['ticket-opened', 61]]);
    const trigger = r.vendor.at('/v2/enqueue')[0]!.body;
    expect(trigger.payload.custom_details.expected_response).toEqual({ withinMs: 15 * MIN, by: new Date(T0 + 76 * MIN).toISOString() });
    await r.at(76 - 1 / MIN);
    expect(r.escalations()).toEqual([]);
    await r.at(76);
    expect(r.escalations()).toEqual(['account manager']);
    await r.at(81);
    expect(r.escalations()).toEqual(['account manager', 'account manager again']);
  });

  it('a silence set on a ticketed incident stops its clock; when it ends the vendor has the rest of its time, not every step at once', async () => {
    const r = await rig();
    const inc = r.detector('open');
    await r.at(0);
    expect(r.vendor.at('/v2/enqueue')).toHaveLength(1);
    await r.at(10);
    r.silence = 'sil-late';
    await r.at(11); // 11 of the 15 min used
    await r.boot(); // a paused clock stays paused across a restart
    await r.at(40);
    r.silence = undefined;
    await r.at(71); // before the fix: both steps fired here, 56 min "overdue"
    expect(r.escalations()).toEqual([]);
    expect((await r.service.status(inc.id)).sla?.nextDueAt).toBe(T0 + 75 * MIN);
    await r.at(75);
    expect(r.escalations()).toEqual(['account manager']);
    expect((await r.steps(inc.id)).filter(([a]) => a === 'escalated')).toEqual([['escalated', 75]]);
    expect((await r.steps(inc.id)).map(([a]) => a)).not.toContain('ticket-held'); // it had its ticket: nothing was held
  });

  it('relapsed during a silence: the ticket is reopened at once (the vendor had it), the new SLA waits for the end of the silence', async () => {
    const r = await rig();
    const inc = r.detector('open');
    await r.at(0);
    r.vendor.received.length = 0;
    r.now = T0 + 5 * MIN;
    r.detector('clear');
    await r.at(5);
    r.silence = 'sil-maintenance';
    await r.at(10);
    r.now = T0 + 20 * MIN;
    expect(r.detector('open').id).toBe(inc.id);
    await r.at(20);
    expect(r.vendor.alerts.get(inc.id)?.status).toBe('triggered');
    await r.at(80);
    r.silence = undefined;
    await r.at(81); // before the fix: both steps of the reopened SLA fired here
    expect(r.escalations()).toEqual([]);
    await r.at(96);
    expect(r.escalations()).toEqual(['account manager']);
    expect((await r.steps(inc.id)).map(([a]) => a)).not.toContain('ticket-held');
  });
});

describe('heldOnTimeline (pure)', () => {
  const held = { type: 'action', data: { by: 'tickets', action: 'ticket-held', silence: 's' } };
  const released = { type: 'action', data: { by: 'tickets', action: 'ticket-released' } };
  const opened = { type: 'action', data: { by: 'tickets', action: 'ticket-opened' } };
  const byOperator = { type: 'action', data: { by: 'alice', action: 'ticket-released' } };
  it('the last hold step of the current recurrence decides', () => {
    expect(heldOnTimeline([])).toBe(false);
    expect(heldOnTimeline([{ type: 'opened', data: {} }, held])).toBe(true);
    expect(heldOnTimeline([held, opened, byOperator])).toBe(true);
    expect(heldOnTimeline([held, released, opened])).toBe(false);
    expect(heldOnTimeline([held, released, held])).toBe(true);
    expect(heldOnTimeline([held, { type: 'resolved', data: {} }, { type: 'reopened', data: {} }])).toBe(false);
  });
});
