import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { controllerPorts } from '../../src/app/control-ports.ts';
import { ticketHub } from '../../src/app/ticket-ports.ts';
import type { Ownership, OwnershipListener } from '../../src/cluster/ownership.ts';
import { ConfigSchema } from '../../src/config/schema.ts';
import { ControlConfigSchema } from '../../src/control/config-schema.ts';
import { Controller } from '../../src/control/controller.ts';
import { shardOf } from '../../src/model/shard.ts';
import type { ShardLease } from '../../src/store/cluster-ports.ts';
import { PostgresClusterSession } from '../../src/store/postgres/cluster-session.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { TicketsConfigSchema } from '../../src/tickets/config-schema.ts';
import { TicketService } from '../../src/tickets/service.ts';
import { recorder } from '../actuators/helpers.ts';
import { postgresMissing, usePostgres } from '../helpers/postgres.ts';
import { until } from '../helpers/until.ts';
import { event, FakeVendor } from '../tickets/helpers.ts';
import { hubOn } from '../tickets/ticket-ports.ts';

/**
 * A hub paused past its lease (a long GC pause, a frozen VM) wakes up still believing it owns
 * its shard, while another hub has taken the shard over on the same PostgreSQL. Whatever it then
 * decides, the store refuses under the stale fence: its controller switches nothing (no audit
 * row, no saved state, no call reaching the actuator's HTTP server), its tickets enqueue nothing
 * and fire no SLA step, and a delivery it made cannot be marked, so the new owner resends it under
 * the same idempotency key: one ticket at the vendor. Every refusal is in its log.
 */
const server = usePostgres();
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const SHARD = shardOf('s1');

/**
 * What a hub believes it holds: with a lease, it acts on every stream of the test (all on SHARD)
 * under that lease. A paused hub keeps believing it: only the store knows better.
 */
class BelievedLease implements Ownership {
  readonly listeners: OwnershipListener[] = [];

  constructor(public lease: ShardLease | undefined) {}

  actingOn(stream: string) {
    return this.lease && shardOf(stream) === SHARD ? { fence: this.lease } : undefined;
  }

  owns(stream: string): boolean {
    return this.actingOn(stream) !== undefined;
  }

  subscribe(listener: OwnershipListener): void {
    this.listeners.push(listener);
  }
}

/** A hub's log, as JSON lines. */
function captured() {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'debug', base: undefined }, { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) });
  return { logger, warnings: () => lines.filter((l) => l.level === 40).map((l) => l.msg) };
}

/** A database with SHARD leased to hub-a, and the takeover by hub-b (hub-a's lease released, or expired: the same for the store). */
async function leasedDatabase() {
  const url = await server().createDatabase();
  const cluster = await PostgresClusterSession.open(url, { expireMs: 60_000 });
  cleanups.push(() => cluster.close());
  const first = (await cluster.leases.acquire(SHARD, 'hub-a'))!;
  const takeOver = async () => {
    await cluster.leases.release(first);
    return (await cluster.leases.acquire(SHARD, 'hub-b'))!;
  };
  return { url, first, takeOver };
}

async function storeOn(url: string): Promise<PostgresStore> {
  const store = await PostgresStore.open(url);
  cleanups.push(() => store.close());
  return store;
}

const STALE = `shard ${SHARD}: the lease of hub-a at epoch 1 is stale (hub-b holds epoch 2); the write was refused`;

describe.skipIf(postgresMissing)('a former owner paused past its lease, on PostgreSQL', () => {
  it('controller: its switch is refused — no audit row, no saved state, no actuator call; the new owner kept the line', async () => {
    const { url, first, takeOver } = await leasedDatabase();
    const hook = await recorder();
    cleanups.push(() => hook.close());
    const cfg = ConfigSchema.parse({ regions: ['eu'], streams: [{ id: 's1', lines: { primary: { url: 'rtmp://127.0.0.1/live/s1' }, backup: { url: 'http://127.0.0.1:8000/live/s1.flv' } } }] });
    const control = ControlConfigSchema.parse({ actuators: [{ type: 'webhook', name: 'edge', url: hook.url, timeout: '1s', retries: 0 }] });
    const controllerOf = async (ownership: Ownership, logger: ReturnType<typeof captured>['logger']) => {
      const store = await storeOn(url);
      const hub = await hubOn(store, { streams: cfg.streams });
      cleanups.push(() => hub.stop());
      const controller = await new Controller({ ...controllerPorts(hub, store.audit, store.control, ownership), streams: cfg.streams, config: control, tickMs: 0, logger }).start();
      cleanups.push(() => controller.stop());
      return { store, controller };
    };
    const logA = captured();
    const a = await controllerOf(new BelievedLease(first), logA.logger);

    a.controller.pin('s1', { line: 'backup', reason: 'primary encoder maintenance', by: 'alice' });
    await a.controller.idle();
    expect(hook.received).toHaveLength(1);
    await until('hub-a to save the stream state', async () => (await a.store.control.all())[0]?.data !== undefined && ((await a.store.control.all())[0]!.data as { served?: { line: string } }).served?.line === 'backup');
    expect((await a.store.audit.recent(10)).map((e) => e.action).sort()).toEqual(['control.note.pin-set', 'control.switch', 'control.switch.calling', 'control.switch.done']);

    const second = await takeOver();
    const ownershipB = new BelievedLease(undefined);
    const b = await controllerOf(ownershipB, captured().logger);
    expect(b.controller.served('s1')).toBeUndefined();
    ownershipB.lease = second;
    await b.controller.adopt(['s1']);
    expect(b.controller.served('s1')?.active).toBe('backup');
    expect(b.controller.state('s1')?.line.pin).toMatchObject({ value: 'backup', by: 'alice' });
    const audit = await b.store.audit.recent(100);
    const saved = await b.store.control.all();

    // hub-a wakes up, still believing its lease, and an operator moves the stream back.
    a.controller.pin('s1', { line: 'primary', reason: 'maintenance over', by: 'bob' });
    await a.controller.idle();
    await until('hub-a to log every refusal', () => logA.warnings().filter((m) => m.endsWith(STALE)).length === 4);
    expect(logA.warnings().filter((m) => m.endsWith(STALE)).map((m) => m.slice(0, m.indexOf(' refused'))).sort()).toEqual([
      expect.stringMatching(/^control: calling the actuators for s1:switch:backup>primary:/),
      expect.stringMatching(/^control: recording control\.note\.pin-set s1:note:/),
      expect.stringMatching(/^control: recording control\.switch s1:switch:backup>primary:/),
      'control: saving the stream state',
    ]);
    expect(a.controller.metrics().actionsTotal).toContainEqual({ type: 'switch', outcome: 'fenced', value: 1 });
    expect(hook.received).toHaveLength(1);
    expect(await b.store.audit.recent(100)).toEqual(audit);
    expect(await b.store.control.all()).toEqual(saved);
  });

  it('tickets: no ticket enqueued, no SLA step fired, a delivery left unmarked; the new owner resends it under the same key — one ticket at the vendor', async () => {
    const { url, first, takeOver } = await leasedDatabase();
    const vendor = await new FakeVendor().start();
    cleanups.push(() => vendor.stop());
    const config = TicketsConfigSchema.parse({
      vendors: [
        { name: 'desk', type: 'desk', url: vendor.url, tokenEnv: 'DESK_TOKEN' },
        { name: 'hotline', type: 'webhook', url: `${vendor.url}/hook/hotline`, use: 'escalation' },
      ],
      escalation: { sla: { P1: '1m' }, chain: [{ name: 'hotline', channel: 'hotline' }] },
    });
    let now = Date.now();
    const ticketsOf = async (ownership: Ownership, logger: ReturnType<typeof captured>['logger']) => {
      const store = await storeOn(url);
      const hub = await hubOn(store);
      cleanups.push(() => hub.stop());
      const service = new TicketService({ hub: ticketHub(hub, store), storage: store, config, env: { DESK_TOKEN: 't' }, tickMs: 0, clock: () => now, ownership, logger }).start();
      cleanups.push(() => service.stop());
      return { store, hub, service };
    };
    const ticketPosts = (key: string) => vendor.received.filter((r) => r.path === '/api/v2/tickets.json' && r.headers['idempotency-key'] === key);

    const logA = captured();
    const a = await ticketsOf(new BelievedLease(first), logA.logger);
    const first1 = a.hub.incidents.onDetectorEvent(event('open', 'P1', now), now)!.incident;
    await a.service.tick();
    expect(ticketPosts(`${first1.id}/desk/open`)).toHaveLength(1);
    expect(await a.store.sla.get(first1.id)).toMatchObject({ done: false });

    const second = await takeOver();
    const ownershipB = new BelievedLease(undefined);
    const b = await ticketsOf(ownershipB, captured().logger);
    ownershipB.lease = second;
    await b.service.adopt(['s1']);
    const other = b.hub.incidents.onDetectorEvent(event('open', 'P1', now, { key: 's1/backup/down', line: 'backup' }), now)!.incident;
    await until('hub-b to enqueue its ticket', async () => (await b.store.outbox.get(`${other.id}/desk/open`)) !== undefined);
    const otherRow = (await b.store.outbox.get(`${other.id}/desk/open`))!;

    // hub-a wakes up a minute later, still believing its lease: a new incident, an SLA step due, a row due.
    now += 61_000;
    const late = a.hub.incidents.onDetectorEvent(event('open', 'P1', now, { key: 's1/spare/down', line: 'spare' }), now)!.incident;
    await a.service.tick();
    expect(await b.store.outbox.get(`${late.id}/desk/open`)).toBeUndefined();
    expect(await b.store.sla.get(late.id)).toBeUndefined();
    expect((await b.store.outbox.forIncident(first1.id)).map((r) => r.action)).toEqual(['open']);
    expect(await b.store.sla.get(first1.id)).toMatchObject({ data: { fired: [] } });
    expect(vendor.received.filter((r) => r.path === '/hook/hotline')).toHaveLength(0);
    // The vendor did get hub-a's delivery: it cannot be undone, only left unmarked.
    expect(ticketPosts(otherRow.key)).toHaveLength(1);
    expect(await b.store.outbox.get(otherRow.key)).toMatchObject({ status: 'pending', attempts: 0 });
    const refusals = logA.warnings().filter((m) => m.endsWith(STALE));
    expect(refusals).toEqual(
      expect.arrayContaining([`tickets: enqueueing ticket ${late.id}/desk/open refused: ${STALE}`, `tickets: saving the SLA clock refused: ${STALE}`, `tickets: marking ticket ${otherRow.key} delivered refused: ${STALE}`]),
    );
    expect(logA.warnings()).toContainEqual(expect.stringMatching(/^ticket sent to the vendor but not marked delivered: .* same idempotency key/));
    expect(a.service.stats.fenced).toBeGreaterThanOrEqual(3);

    // The owner escalates on its clocks (both incidents are a minute old) and resends the unmarked
    // row: the vendor takes it as the ticket it has.
    await b.service.tick();
    expect((await b.store.outbox.forIncident(first1.id)).map((r) => [r.action, r.status])).toEqual([
      ['open', 'delivered'],
      ['escalate', 'delivered'],
    ]);
    expect(vendor.received.filter((r) => r.path === '/hook/hotline')).toHaveLength(2);
    expect(ticketPosts(otherRow.key)).toHaveLength(2);
    expect(await b.store.outbox.get(otherRow.key)).toMatchObject({ status: 'delivered' });
    expect(vendor.tickets.size).toBe(2);
    // The outbox key is one row across hubs: the owner asked again for the first incident's ticket updates it.
    expect((await b.service.openByHand({ incidentId: first1.id, by: 'carol', reason: 'still down?' })).vendors).toEqual([{ vendor: 'desk', sent: 'update' }]);
    expect((await b.store.outbox.forIncident(first1.id)).filter((r) => r.action === 'open')).toHaveLength(1);
  });
});
