import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { TicketsConfigSchema } from '../../src/tickets/config-schema.ts';
import { TicketService } from '../../src/tickets/service.ts';
import { FakeVendor, sleep, until } from './helpers.ts';
import { hubOn, settledTimeline, ticketPorts } from './ticket-ports.ts';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = join(here, '..', '..');
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** Runs the child until it enqueued (and `ready` holds), SIGKILLs it, returns the incident id. */
async function enqueueThenKill9(file: string, vendorUrl: string, ready: (sinceEnqueuedMs: number) => boolean): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'fixtures', 'outbox-child.ts'), file, vendorUrl], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, STREAMGUARD_LOG_LEVEL: 'silent' } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_code, signal) => r(signal)));
  cleanup.push(() => void child.kill('SIGKILL'));
  const id = await until(`child to enqueue (stderr: ${err})`, () => /enqueued (\S+)/.exec(out)?.[1], 30_000);
  const enqueuedAt = Date.now();
  await until('child to be mid-delivery', () => ready(Date.now() - enqueuedAt), 10_000);
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  return id;
}

async function restart(file: string, vendorUrl: string) {
  const store = new SqliteStore(file);
  cleanup.push(() => store.close());
  const hub = await hubOn(store);
  cleanup.push(() => hub.stop());
  const config = TicketsConfigSchema.parse({ vendors: [{ name: 'pd', type: 'pagerduty', url: `${vendorUrl}/v2/enqueue`, routingKeyEnv: 'PD_KEY' }] });
  const service = new TicketService({ ...ticketPorts(hub, store), config, env: { PD_KEY: 'rk' }, tickMs: 50, retry: { baseMs: 50, maxMs: 100 } }).start();
  cleanup.push(() => service.stop());
  return { store, hub, service };
}

describe('outbox survives kill -9', () => {
  it('enqueued, vendor refusing, process SIGKILLed → a new process delivers exactly once', async () => {
    const v = await new FakeVendor().start();
    cleanup.push(() => v.stop());
    await v.down();
    const file = join(mkdtempSync(join(tmpdir(), 'sg-outbox-kill-')), 'hub.db');
    // Let it fail against the refused port for a while (the child holds the database exclusively:
    // its attempts are read back after the kill).
    const id = await enqueueThenKill9(file, v.url, (ms) => ms > 300);
    await v.up();
    // The restarted hub is a new process too: it delivers what is pending and exits.
    const second = spawn(process.execPath, ['--import', 'tsx', join(here, 'fixtures', 'outbox-child.ts'), file, v.url, 'deliver'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, STREAMGUARD_LOG_LEVEL: 'silent' } });
    cleanup.push(() => void second.kill('SIGKILL'));
    let out = '';
    second.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => second.on('exit', (c) => r(c)));
    expect(code).toBe(0);
    expect(out).toContain('delivered 1');
    expect(v.at('/v2/enqueue')).toHaveLength(1);
    expect(v.at('/v2/enqueue')[0]!.body).toMatchObject({ event_action: 'trigger', dedup_key: id });
    // And a third start finds nothing to send.
    const { service } = await restart(file, v.url);
    await service.tick();
    await sleep(200);
    expect(v.at('/v2/enqueue')).toHaveLength(1);
    const row = (await service.status(id)).rows[0]!;
    expect(row.status).toBe('delivered');
    expect(row.attempts).toBeGreaterThan(1); // the killed process had tried
    expect(row.lastError).toBeUndefined();
  });

  it('killed while the request was in flight → resent after restart with the same dedup_key: still one PagerDuty alert', async () => {
    const v = await new FakeVendor().start();
    cleanup.push(() => v.stop());
    v.mode = 'hang';
    const file = join(mkdtempSync(join(tmpdir(), 'sg-outbox-kill-')), 'hub.db');
    const id = await enqueueThenKill9(file, v.url, () => v.received.length >= 1);
    v.mode = 'ok';
    const { service, store, hub } = await restart(file, v.url);
    await until('delivered after restart', async () => (await service.status(id)).rows[0]?.status === 'delivered');
    await sleep(300);
    const triggers = v.at('/v2/enqueue').filter((r) => r.body.event_action === 'trigger');
    expect(triggers).toHaveLength(2); // at-least-once: the in-flight one, and the resend
    expect(new Set(triggers.map((r) => r.body.dedup_key))).toEqual(new Set([id]));
    expect(v.alerts.size).toBe(1);
    expect((await settledTimeline(hub, store, id)).filter((e) => (e.data as { action?: string }).action === 'ticket-opened')).toHaveLength(1);
  });
});
