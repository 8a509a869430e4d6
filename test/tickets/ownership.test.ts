import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { TicketsConfigSchema } from '../../src/tickets/config-schema.ts';
import { TicketService } from '../../src/tickets/service.ts';
import { SwitchedOwnership } from '../helpers/switched-ownership.ts';
import { until } from '../helpers/until.ts';
import { event, FakeVendor } from './helpers.ts';
import { hubOn, ticketPorts } from './ticket-ports.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A hub on a SQLite file and a vendor to ticket, both stopped after the test. */
async function setUp() {
  const dir = mkdtempSync(join(tmpdir(), 'sg-tickets-own-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const store = new SqliteStore(join(dir, 'hub.db'));
  cleanups.push(() => store.close());
  const vendor = await new FakeVendor().start();
  cleanups.push(() => vendor.stop());
  const hub = await hubOn(store);
  cleanups.push(() => hub.stop());
  return { store, vendor, hub };
}

describe('tickets only for the incidents of the streams this hub owns', () => {
  it('not owned: no ticket, no clock; taken over: the open incident gets its ticket and its clock; given up: no escalation here', async () => {
    const { store, vendor, hub } = await setUp();
    const config = TicketsConfigSchema.parse({
      vendors: [
        { name: 'pd', type: 'pagerduty', url: `${vendor.url}/v2/enqueue`, routingKeyEnv: 'PD_KEY' },
        { name: 'hotline', type: 'webhook', url: `${vendor.url}/hook/hotline`, use: 'escalation' },
      ],
      escalation: { sla: { P1: '1m' }, chain: [{ name: 'hotline', channel: 'hotline' }] },
    });
    let now = Date.now();
    const ownership = new SwitchedOwnership();
    const service = new TicketService({ ...ticketPorts(hub, store), config, env: { PD_KEY: 'rk' }, tickMs: 0, clock: () => now, ownership }).start();
    cleanups.push(() => service.stop());

    const inc = hub.incidents.onDetectorEvent(event('open', 'P1', now), now)!.incident;
    await service.tick();
    expect(await store.outbox.forIncident(inc.id)).toEqual([]);
    expect(await store.sla.get(inc.id)).toBeUndefined();

    await ownership.give('s1');
    await until('the ticket of the open incident', () => vendor.alerts.get(inc.id)?.triggers === 1);
    expect(await store.sla.get(inc.id)).toMatchObject({ done: false });

    ownership.take('s1');
    now += 61_000;
    await service.tick();
    expect((await store.outbox.forIncident(inc.id)).map((r) => r.action)).toEqual(['open']);
    expect(await store.sla.get(inc.id)).toMatchObject({ data: { fired: [] } });
    expect(vendor.received.filter((r) => r.path === '/hook/hotline')).toEqual([]);
    await expect(service.openByHand({ incidentId: inc.id, by: 'alice', reason: 'still down?' })).rejects.toThrow(`incident "${inc.id}" is not this hub's to ticket now: another hub owns stream "s1"`);
  });

  it("a backlog of other hubs' due rows is paged past: this hub's ticket still goes out", async () => {
    const { store, vendor, hub } = await setUp();
    const config = TicketsConfigSchema.parse({ vendors: [{ name: 'pd', type: 'pagerduty', url: `${vendor.url}/v2/enqueue`, routingKeyEnv: 'PD_KEY' }] });
    const now = Date.now();
    // 450 rows due for a stream another hub owns (its vendor is down, say): more than two pages.
    for (let i = 0; i < 450; i++) {
      await store.outbox.enqueue({ key: `other/primary/down@${i}/pd/open`, incidentId: `other/primary/down@${i}`, vendor: 'pd', action: 'open', payload: {}, createdAt: now - 1000 });
    }
    const ownership = new SwitchedOwnership();
    const service = new TicketService({ ...ticketPorts(hub, store), config, env: { PD_KEY: 'rk' }, tickMs: 0, clock: () => now, ownership }).start();
    cleanups.push(() => service.stop());
    const inc = hub.incidents.onDetectorEvent(event('open', 'P1', now), now)!.incident;
    await ownership.give('s1');
    await until("this hub's ticket, behind the other hub's backlog", async () => {
      await service.tick();
      return vendor.alerts.get(inc.id)?.triggers === 1;
    });
    expect(vendor.received.filter((r) => JSON.stringify(r.body ?? '').includes('other/primary'))).toEqual([]);
    expect([...(await store.outbox.pendingByIncident()).values()].reduce((a, b) => a + b)).toBe(450);
    // Its pending gauge counts its own rows only: summed over the cluster, each row once.
    expect((await service.metrics()).outboxPending).toBe(0);
    await ownership.give('other');
    expect((await service.metrics()).outboxPending).toBe(450);
  });
});
