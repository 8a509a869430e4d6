import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { controllerPorts } from '../../src/app/control-ports.ts';
import { ConfigSchema } from '../../src/config/schema.ts';
import { ControlConfigSchema } from '../../src/control/config-schema.ts';
import type { ControlAction } from '../../src/actuators/types.ts';
import { Controller } from '../../src/control/controller.ts';
import { decisionEntry } from '../../src/control/recorder.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { recorder } from '../actuators/helpers.ts';
import { SwitchedOwnership } from '../helpers/switched-ownership.ts';
import { hubOn } from '../tickets/ticket-ports.ts';
import { until } from '../helpers/until.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const cfg = ConfigSchema.parse({ regions: ['eu'], streams: [{ id: 's1', lines: { primary: { url: 'rtmp://127.0.0.1/live/s1' }, backup: { url: 'http://127.0.0.1:8000/live/s1.flv' } } }] });

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'sg-control-own-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const store = new SqliteStore(join(dir, 'hub.db'));
  cleanups.push(() => store.close());
  const hook = await recorder();
  cleanups.push(() => hook.close());
  const hub = await hubOn(store, { streams: cfg.streams });
  cleanups.push(() => hub.stop());
  const config = ControlConfigSchema.parse({ actuators: [{ type: 'webhook', name: 'edge', url: hook.url, timeout: '1s', retries: 0 }] });
  return { store, hook, hub, config };
}

describe('the controller acts only on the streams this hub owns', () => {
  it('a lone hub (the default) acts on every stream, its audit log as it always was', async () => {
    const { store, hook, hub, config } = await setup();
    const c = await new Controller({ ...controllerPorts(hub, store.audit, store.control), streams: cfg.streams, config, tickMs: 0 }).start();
    c.pin('s1', { line: 'backup', reason: 'encoder maintenance', by: 'alice' });
    await c.idle();
    await c.stop();
    expect(hook.received).toHaveLength(1);
    expect((await store.audit.recent(10)).map((e) => e.action).sort()).toEqual(['control.note.pin-set', 'control.switch', 'control.switch.done']);
  });

  it('not owned: serves, decides and writes nothing, refuses operator commands; taken over: resumes the saved state; given up: forgets it, changing nothing', async () => {
    const { store, hook, hub, config } = await setup();
    const before = await new Controller({ ...controllerPorts(hub, store.audit, store.control), streams: cfg.streams, config, tickMs: 0 }).start();
    before.pin('s1', { line: 'backup', reason: 'encoder maintenance', by: 'alice' });
    await before.idle();
    await before.stop();
    const audit = await store.audit.recent(100);
    const saved = await store.control.all();

    const ownership = new SwitchedOwnership();
    const c = await new Controller({ ...controllerPorts(hub, store.audit, store.control, ownership), streams: cfg.streams, config, tickMs: 0 }).start();
    cleanups.push(() => c.stop());
    expect(c.served('s1')).toBeUndefined();
    expect(() => c.pin('s1', { line: 'primary', reason: 'back', by: 'bob' })).toThrow(`stream "s1" is not this hub's to act on now: another hub of the cluster owns it`);
    c.tick();

    await ownership.give('s1');
    expect(c.served('s1')?.active).toBe('backup');
    expect(c.state('s1')?.line).toMatchObject({ active: 'backup', pin: { value: 'backup', by: 'alice', reason: 'encoder maintenance' } });

    ownership.take('s1');
    expect(c.served('s1')).toBeUndefined();
    expect(c.state('s1')?.line.pin).toBeUndefined();
    c.tick();
    await c.stop();
    expect(hook.received).toHaveLength(1);
    expect(await store.audit.recent(100)).toEqual(audit);
    expect(await store.control.all()).toEqual(saved);
  });

  it('given up again while its saved state is read: forgotten again; meanwhile operator commands wait', async () => {
    const { store, hub, config } = await setup();
    const before = await new Controller({ ...controllerPorts(hub, store.audit, store.control), streams: cfg.streams, config, tickMs: 0 }).start();
    before.pin('s1', { line: 'backup', reason: 'encoder maintenance', by: 'alice' });
    await before.idle();
    await before.stop();

    const ownership = new SwitchedOwnership();
    const c = await new Controller({ ...controllerPorts(hub, store.audit, store.control, ownership), streams: cfg.streams, config, tickMs: 0 }).start();
    cleanups.push(() => c.stop());
    ownership.streams.add('s1');
    const adopting = c.adopt(['s1']);
    expect(() => c.unpin('s1', 'bob', 'done')).toThrow(`stream "s1" is being taken over by this hub: its saved state is being read; try again in a moment`);
    ownership.take('s1');
    await adopting;
    expect(c.served('s1')).toBeUndefined();
    expect(c.state('s1')?.line.pin).toBeUndefined();
  });

  it('a saved state older than the last audited switch (the former owner stopped before its save went through): the audit log wins, no second switch', async () => {
    const { store, hook, hub, config } = await setup();
    const before = await new Controller({ ...controllerPorts(hub, store.audit, store.control), streams: cfg.streams, config, tickMs: 0 }).start();
    before.pin('s1', { line: 'backup', reason: 'encoder maintenance', by: 'alice' });
    await before.idle();
    await before.stop();
    const switchedAt = (await store.audit.recent(100)).find((e) => e.action === 'control.switch')!.t;
    // What a save from before the switch left: on the primary, no pin.
    const [kept] = await store.control.all();
    const doc = kept!.data as { served?: object; pin?: unknown };
    const { pin: _pin, ...unpinned } = doc;
    await store.control.save('s1', { ...unpinned, active: 'primary', served: { ...doc.served, line: 'primary' } }, switchedAt - 1000);

    const ownership = new SwitchedOwnership();
    const c = await new Controller({ ...controllerPorts(hub, store.audit, store.control, ownership), streams: cfg.streams, config, tickMs: 0 }).start();
    cleanups.push(() => c.stop());
    await ownership.give('s1');
    expect(c.served('s1')?.active).toBe('backup');
    expect(c.state('s1')?.line.active).toBe('backup');
    c.tick();
    await c.idle();
    expect(hook.received).toHaveLength(1);
    expect((await store.audit.recent(100)).filter((e) => e.action === 'control.switch')).toHaveLength(1);
    await until('the corrected state saved', async () => ((await store.control.all())[0]?.data as { active?: string }).active === 'backup');
  });

  it('a switch whose actuators never reported (the hub that decided it was killed first): the heir calls them, once, with the line\'s own URL; one that reported is not called again', async () => {
    const { store, hook, hub, config } = await setup();
    const T = Date.now() - 5000;
    const decided = (id: string, t: number): ControlAction => ({ id, type: 'switch', stream: 's1', at: t, actor: 'policy:failover', policy: 'failover', reason: 'primary-down', why: 'primary down in every region', dryRun: false, from: 'primary', to: 'backup', url: 'http://127.0.0.1:8000/live/s1.flv' });
    // What the killed owner left: the decision (its URL as the audit shows it) and no outcome.
    await store.audit.append(decisionEntry({ ...decided('s1:switch:primary>backup:1', T), url: 'http://user:secret@127.0.0.1:8000/live/s1.flv' }));

    const ownership = new SwitchedOwnership();
    const c = await new Controller({ ...controllerPorts(hub, store.audit, store.control, ownership), streams: cfg.streams, config, tickMs: 0 }).start();
    cleanups.push(() => c.stop());
    await ownership.give('s1');
    await c.idle();
    expect(c.served('s1')?.active).toBe('backup');
    expect(hook.received.map((r) => JSON.parse(r.body) as ControlAction).map((a) => [a.id, a.to, a.url])).toEqual([['s1:switch:primary>backup:1', 'backup', 'http://127.0.0.1:8000/live/s1.flv']]);
    await until('the outcome audited', async () => (await store.audit.recent(100)).some((e) => e.action === 'control.switch.done'));

    // Taken over again: the switch reported this time, nothing is called.
    ownership.take('s1');
    await ownership.give('s1');
    await c.idle();
    expect(hook.received).toHaveLength(1);
  });
});

