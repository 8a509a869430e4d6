import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import type { ControlAction } from '../../src/actuators/types.ts';
import { CommandActuator } from '../../src/actuators/command.ts';
import { verifySignature, WebhookActuator } from '../../src/actuators/webhook.ts';
import { ConfigSchema } from '../../src/config/schema.ts';
import { ControlConfigSchema } from '../../src/control/config-schema.ts';
import { Controller } from '../../src/control/controller.ts';
import { controlRoutes } from '../../src/control/routes.ts';
import { errorMiddleware, listen, notFound } from '../../src/http/index.ts';
import { controllerPorts } from '../../src/app/control-ports.ts';
import { startHub, type HubHandle } from '../../src/app/start.ts';
import type { Sample } from '../../src/model/sample.ts';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recorder } from '../actuators/helpers.ts';
import { SwitchedOwnership } from '../helpers/switched-ownership.ts';

const T0 = 1_700_000_000_000;
const REGIONS = ['eu', 'us'] as const;
const SECRET = 'hook-secret';
const PRIMARY = 'rtmp://127.0.0.1/live/s1';
const BACKUP = 'http://127.0.0.1:8000/live/s1.flv';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** `keepState`: the controller keeps its per-stream state in the store (as the hub wires it); false: the audit log only. */
async function setup(control: Record<string, unknown>, respond?: Parameters<typeof recorder>[0], dataDir = mkdtempSync(join(tmpdir(), 'sg-control-')), keepState = true) {
  const hook = await recorder(respond ?? ((_n, r) => ({ status: verifySignature(SECRET, r.body, r.headers['x-streamguard-timestamp'] as string, r.headers['x-streamguard-signature'] as string) ? 200 : 401 })));
  cleanups.push(() => hook.close());
  const cfg = ConfigSchema.parse({
    regions: [...REGIONS],
    streams: [{ id: 's1', lines: { primary: { url: PRIMARY }, backup: { url: BACKUP, regionUrls: { us: 'http://us-edge.example/live/s1.flv' } } } }],
  });
  let now = T0;
  const handle: HubHandle = await startHub(cfg, { probes: false, listen: false, tickMs: 0, clock: () => now, dataDir, control: false });
  const store = handle.store;
  cleanups.push(() => handle.stop());
  const controlCfg = ControlConfigSchema.parse({
    ...control,
    actuators: [{ type: 'webhook', name: 'edge', url: hook.url, secretEnv: 'SG_HOOK_SECRET', timeout: '1s', retries: 2, backoff: '50ms' }],
  });
  const controller = await new Controller({ ...controllerPorts(handle.hub, handle.store.audit, keepState ? handle.store.control : undefined), streams: cfg.streams, config: controlCfg, env: { SG_HOOK_SECRET: SECRET }, tickMs: 0 }).start();
  cleanups.push(() => controller.stop());
  const actions: ControlAction[] = [];
  controller.onAction((a, phase) => phase === 'decided' && actions.push(a));

  const seq = new Map<string, number>();
  function sample(region: string, line: string, over: Partial<Sample> = {}): Sample {
    const probe = `p-${region}`;
    const n = (seq.get(probe) ?? 0) + 1;
    seq.set(probe, n);
    return { probe, region, stream: 's1', line, seq: n, t: now, windowMs: 1000, connected: true, fps: 25, bitrateBps: 2e6, width: 1280, height: 720, maxGapMs: 40, stallMs: 0, freezeMs: 0, ...over };
  }
  /** One 1 s window from every region (`down` lines disconnected), then the hub and controller ticks. */
  function window(down: readonly string[] | ((region: string, line: string) => boolean) = [], primary: Partial<Sample> = {}): void {
    now += 1000;
    const isDown = typeof down === 'function' ? down : (_r: string, line: string) => down.includes(line);
    for (const region of REGIONS) {
      for (const line of ['primary', 'backup']) {
        const over = isDown(region, line) ? { connected: false, fps: 0, bitrateBps: 0, error: 'refused' as const } : line === 'primary' ? primary : {};
        expect(handle.ingest(sample(region, line, over))).toEqual({ ok: true });
      }
    }
    handle.hub.tick();
    controller.tick();
  }
  return { handle, controller, hook, actions, window, now: () => now, store, dataDir };
}

/** An incident's timeline once every change so far is written (the incident manager writes behind). */
async function settledTimeline(handle: HubHandle, incidentId: string) {
  await handle.hub.incidents.settled();
  return handle.store.incidents.timeline(incidentId);
}

/** action_delay_seconds' count and sum, as a scrape would see them. */
async function histogramTotals(controller: Controller): Promise<{ count: number; sum: number }> {
  const { values } = await controller.actionDelay.get();
  const value = (suffix: string) => values.find((v) => v.metricName === `streamguard_action_delay_seconds_${suffix}`)!.value;
  return { count: value('count'), sum: value('sum') };
}

async function serve(controller: Controller) {
  const server = await listen(express().use(controlRoutes(controller), notFound, errorMiddleware()), 0, '127.0.0.1');
  cleanups.push(() => server.close());
  return `http://${server.address}`;
}

describe('controller with a real hub (injected clock, synthetic samples)', () => {
  it('primary down in every region → backup within one evaluation, webhook once, audited, on the timeline; primary back → failback after the hold-off', async () => {
    const { handle, controller, hook, actions, window, now, store } = await setup({ default: { holdOff: '3s', minDwell: 0 } });
    const base = await serve(controller);
    for (let i = 0; i < 5; i++) window();
    expect(actions).toEqual([]);
    expect(controller.served('s1')!.active).toBe('primary');

    window(['primary']);
    // Switched within the window that opened the incident.
    expect(controller.served('s1')!.active).toBe('backup');
    const incident = handle.hub.incidents.byDedupKey('s1/primary/down')!;
    expect(incident.status).not.toBe('resolved');
    const failover = actions.find((a) => a.type === 'switch')!;
    expect(failover).toMatchObject({ from: 'primary', to: 'backup', reason: 'failover', actor: 'policy:failover', incidentId: incident.id, url: BACKUP, dryRun: false });
    await controller.idle();
    for (let i = 0; i < 5; i++) window(['primary']);
    await controller.idle();

    // The webhook got the switch exactly once, signed (the server answers 401 to a bad signature).
    expect(hook.received).toHaveLength(1);
    expect(JSON.parse(hook.received[0]!.body)).toMatchObject({ id: failover.id, type: 'switch', stream: 's1', from: 'primary', to: 'backup' });
    expect(hook.received[0]!.headers['idempotency-key']).toBe(failover.id);

    // Audit: decision (who, why, incident) and outcome.
    const audit = (await store.audit.recent(100)).reverse();
    const decided = audit.find((a) => a.action === 'control.switch')!;
    expect(decided).toMatchObject({ actor: 'policy:failover', target: 'stream:s1 line:primary>backup' });
    expect(decided.reason).toMatch(/"primary" unusable/);
    expect(decided.data).toMatchObject({ incidentId: incident.id, action: { id: failover.id } });
    expect(audit.find((a) => a.action === 'control.switch.done')!.reason).toMatch(/edge: ok \(1 attempt/);

    // Timeline of the incident.
    const timeline = (await settledTimeline(handle, incident.id)).filter((e) => e.type === 'action');
    expect(timeline.map((e) => (e.data as { action: string }).action)).toEqual(['switch', 'switch.done']);
    expect(timeline[0]!.data).toMatchObject({ by: 'policy:failover', from: 'primary', to: 'backup', id: failover.id });

    // Metrics.
    const m = controller.metrics();
    expect(m.failoversTotal).toEqual([{ stream: 's1', from: 'primary', to: 'backup', reason: 'failover', value: 1 }]);
    const delay = await histogramTotals(controller);
    expect(delay.count).toBe(1);
    expect(delay.sum).toBeGreaterThanOrEqual(0); // synthetic samples: onset = window end = hub time
    expect(delay.sum).toBeLessThan(2); // act ≤ 2 s after the fault onset
    expect(m.activeLine).toEqual([{ stream: 's1', line: 'backup' }]);

    // The built-in actuator: play URL follows.
    let res = await fetch(`${base}/api/v1/streams/s1/play`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(BACKUP);
    res = await fetch(`${base}/api/v1/streams/s1/play?region=us&format=json`);
    expect(await res.json()).toMatchObject({ line: 'backup', url: 'http://us-edge.example/live/s1.flv', reason: 'active' });

    // Primary back: ok after the rule's clear time, failback 3 s after that, not before.
    let okAt: number | undefined;
    for (let i = 0; i < 12 && !actions.some((a) => a.reason === 'failback'); i++) {
      window();
      const h = controller.health('s1').primary!;
      if (okAt === undefined && Object.values(h).every((r) => r.level === 'ok')) okAt = Math.max(...Object.values(h).map((r) => r.since));
    }
    const failback = actions.find((a) => a.reason === 'failback')!;
    expect(failback).toMatchObject({ from: 'backup', to: 'primary', actor: 'policy:failback', incidentId: incident.id });
    expect(handle.hub.incidents.byDedupKey('s1/primary/down')!.status).toBe('resolved');
    expect((await settledTimeline(handle, incident.id)).filter((e) => e.type === 'action').map((e) => (e.data as { action: string }).action)).toEqual(['switch', 'switch.done', 'switch']);
    expect(okAt).toBeDefined();
    expect(failback.at - okAt!).toBeGreaterThanOrEqual(3000);
    expect(failback.at - okAt!).toBeLessThan(4000);
    expect(controller.served('s1')!.active).toBe('primary');
    await controller.idle();
    expect(hook.received.map((r) => (JSON.parse(r.body) as ControlAction).reason)).toEqual(['failover', 'failback']);
    expect(controller.metrics().failoversTotal.map((f) => [f.from, f.to, f.reason, f.value])).toEqual([
      ['primary', 'backup', 'failover', 1],
      ['backup', 'primary', 'failback', 1],
    ]);
    expect(now()).toBeGreaterThan(T0);
  });

  it('both lines down → no switch to a down line, P0 escalation said (once per severity), only the first failover sent', async () => {
    const { controller, hook, actions, window, store } = await setup({});
    for (let i = 0; i < 5; i++) window();
    for (let i = 0; i < 4; i++) window(['primary', 'backup']);
    await controller.idle();
    // The first region's sample already lets the backup take over; then the backup dies too.
    const escalations = actions.filter((a) => a.type === 'escalate');
    // eu's samples: backup still fine in us → P1; us's samples: down everywhere → P0, said once more.
    expect(escalations.map((a) => [a.reason, a.severity])).toEqual([
      ['no-healthy-line', 'P1'],
      ['no-healthy-line', 'P0'],
    ]);
    expect(escalations[1]!.why).toMatch(/line "backup" unusable in eu, us and no other line is healthy there \(primary: eu down, us down\)/);
    expect((await store.audit.recent(100)).filter((a) => a.action === 'control.escalate.no-healthy-line')).toHaveLength(2);
    expect(controller.served('s1')!.active).toBe('backup');
    expect(hook.received.every((r) => (JSON.parse(r.body) as ControlAction).type === 'switch')).toBe(true);
  });

  it('dry-run: decides, audits and puts it on the timeline; serves and sends nothing', async () => {
    const { handle, controller, hook, actions, window, store } = await setup({ dryRun: true });
    for (let i = 0; i < 5; i++) window();
    for (let i = 0; i < 3; i++) window(['primary']);
    await controller.idle();
    const sw = actions.filter((a) => a.type === 'switch');
    expect(sw).toHaveLength(1);
    expect(sw[0]).toMatchObject({ dryRun: true, to: 'backup' });
    expect(controller.state('s1')!.line.active).toBe('backup'); // what the policy decided
    expect(controller.served('s1')!.active).toBe('primary'); // what is served: unchanged
    expect(hook.received).toHaveLength(0);
    expect(controller.metrics().failoversTotal).toEqual([]);
    const row = (await store.audit.recent(100)).find((a) => a.action === 'control.switch')!;
    expect(row.reason).toMatch(/^dry-run: /);
    expect(row.data).toMatchObject({ action: { dryRun: true } });
    const inc = handle.hub.incidents.byDedupKey('s1/primary/down')!;
    expect((await settledTimeline(handle, inc.id)).some((e) => e.type === 'action' && (e.data as { dryRun?: boolean }).dryRun === true)).toBe(true);
  });

  it('operator pin with expiry moves the line and holds it; features endpoint; 404/400', async () => {
    const { controller, hook, actions, window } = await setup({ default: { features: { stall: ['co-hosting'] } } });
    const base = await serve(controller);
    for (let i = 0; i < 5; i++) window();
    controller.pin('s1', { line: 'backup', ttlMs: 10_000, reason: 'vendor maintenance', by: 'alice' });
    expect(controller.served('s1')!.active).toBe('backup');
    for (let i = 0; i < 5; i++) window();
    expect(controller.served('s1')!.active).toBe('backup');
    for (let i = 0; i < 25; i++) window();
    expect(actions.map((a) => `${a.type}:${a.reason}`)).toEqual(['note:pin-set', 'switch:manual', 'note:pin-expired', 'switch:failback']);
    expect(actions[1]!.actor).toBe('operator:alice');
    await controller.idle();
    expect(hook.received).toHaveLength(2);

    let res = await fetch(`${base}/api/v1/streams/s1/features`);
    expect(await res.json()).toMatchObject({ stream: 's1', features: { 'co-hosting': true } });
    for (let i = 0; i < 4; i++) window([], { stallMs: 400 });
    res = await fetch(`${base}/api/v1/streams/s1/features`);
    expect(await res.json()).toMatchObject({ features: { 'co-hosting': false } });
    const refusals: [string, RequestInit, number, string, RegExp][] = [
      ['/api/v1/streams/nope/play', {}, 404, 'not_found', /no stream "nope"/],
      ['/api/v1/streams/s1/play?bogus=1', {}, 400, 'bad_request', /unknown query parameter "bogus"/],
      ['/api/v1/streams/s1/play?format=xml', {}, 400, 'bad_request', /"format"/],
      ['/api/v1/streams/s1/play', { method: 'POST' }, 405, 'method_not_allowed', /POST/],
      ['/api/v1/streams/s1/samples', {}, 404, 'not_found', /no route/],
    ];
    for (const [path, init, status, code, message] of refusals) {
      res = await fetch(`${base}${path}`, init);
      expect([path, res.status, await res.json()]).toEqual([path, status, { error: { code, message: expect.stringMatching(message) } }]);
    }
    expect((await fetch(`${base}/api/v1/streams/s1/play`, { method: 'POST' })).headers.get('allow')).toBe('GET, HEAD');
  });

  it('primary flapping every 5 s: switches capped, then held on the backup and escalated once', async () => {
    const { controller, hook, actions, window, handle } = await setup({ default: { holdOff: '1s', minDwell: '1s', maxSwitchesPerHour: 4 } });
    for (let i = 0; i < 5; i++) window();
    for (let cycle = 0; cycle < 8; cycle++) {
      for (let i = 0; i < 5; i++) window(['primary']);
      for (let i = 0; i < 5; i++) window();
    }
    await controller.idle();
    expect(actions.map((a) => `${a.type}:${a.reason}`)).toEqual(['switch:failover', 'switch:failback', 'switch:failover', 'escalate:flapping']);
    expect(actions[3]).toMatchObject({ severity: 'P1', actor: 'policy:flap-damping' });
    expect(controller.state('s1')!.line.hold).toMatchObject({ reason: 'flapping' });
    expect(controller.served('s1')!.active).toBe('backup');
    expect(hook.received).toHaveLength(3);
    // The hold was decided with the primary healthy (no open incident): its next failure got the raise, once.
    const lead = handle.hub.incidents.byDedupKey('s1/primary/down')!;
    expect((await settledTimeline(handle, lead.id)).filter((e) => e.type === 'escalated').map((e) => e.data)).toEqual([expect.objectContaining({ by: 'policy:flap-damping', reason: 'flapping', severity: 'P1' })]);
    // An operator releases the hold (the budget starts afresh): the policies fail back.
    controller.unpin('s1', 'alice', 'primary fixed by the vendor');
    for (let i = 0; i < 8; i++) window();
    expect(actions.slice(4).map((a) => `${a.type}:${a.reason}`)).toEqual(['note:pin-cleared', 'switch:failback']);
    expect(controller.state('s1')!.line.hold).toBeUndefined();
    expect(controller.served('s1')!.active).toBe('primary');
  });

  it('after a restart the served line is restored from the audit log when no state was kept, however much the log grew since', async () => {
    const first = await setup({}, undefined, undefined, false);
    for (let i = 0; i < 5; i++) first.window();
    first.window(['primary']);
    await first.controller.idle();
    expect(first.controller.served('s1')!.active).toBe('backup');
    // Other streams' switches after it (a mass failover; a cluster's other hubs): the restore reads s1's rows, not the newest of the log.
    for (let i = 0; i < 6000; i++) await first.store.audit.append({ t: first.now(), actor: 'policy:failover', action: 'control.switch', target: `stream:other${i} line:primary>backup`, reason: 'primary down' });
    for (const c of cleanups.splice(0).reverse()) await c();
    const second = await setup({}, undefined, first.dataDir, false);
    expect(second.controller.served('s1')!.active).toBe('backup');
    expect(second.controller.state('s1')!.line.active).toBe('backup');
  });

  it('after a restart each stream resumes its kept state: the served line and features, the pins (who, why, until), the switch and failover times', async () => {
    const first = await setup({});
    for (let i = 0; i < 5; i++) first.window();
    first.window(['primary']);
    await first.controller.idle();
    expect(first.controller.served('s1')!.active).toBe('backup');
    const until = first.now() + 3_600_000;
    first.controller.pin('s1', { line: 'backup', reason: 'primary encoder swap', by: 'alice', until });
    first.controller.pinFeature('s1', { feature: 'ads', enabled: false, reason: 'ad server slow', by: 'bob', until });
    expect(first.controller.served('s1')!.features).toEqual({ ads: false });
    const before = first.controller.state('s1')!.line;
    expect(before.switches).toHaveLength(1);
    for (const c of cleanups.splice(0).reverse()) await c();

    const second = await setup({}, undefined, first.dataDir);
    expect(second.controller.served('s1')!.active).toBe('backup');
    expect(second.controller.state('s1')!.line).toMatchObject({ active: 'backup', since: before.since, switches: before.switches, failovers: before.failovers, pin: { value: 'backup', until, reason: 'primary encoder swap', by: 'alice' } });
    expect(second.controller.served('s1')!.features).toEqual({ ads: false });
    expect(second.controller.state('s1')!.features.ads).toMatchObject({ enabled: false, pin: { value: false, until, reason: 'ad server slow', by: 'bob' } });
    // The pin holds the stream on backup with primary healthy: no failback.
    for (let i = 0; i < 10; i++) second.window();
    await second.controller.idle();
    expect(second.controller.served('s1')!.active).toBe('backup');
    expect(second.actions.filter((a) => a.type === 'switch' || a.type === 'feature')).toEqual([]);
    expect(second.controller.served('s1')!.features).toEqual({ ads: false });
  });

  it('a stream taken over: from the lease to its adopt nothing is decided on it; adopted, it resumes on the backup the former owner switched to — one switch', async () => {
    const { handle, controller, hook, window, store } = await setup({});
    for (let i = 0; i < 5; i++) window();
    window(['primary']);
    await controller.idle();
    expect(controller.served('s1')!.active).toBe('backup');
    // The former owner is gone; the heir shares its store and sees the same line health (primary down, backup fine).
    await controller.stop();
    const ownership = new SwitchedOwnership();
    const heir = await new Controller({ ...controllerPorts(handle.hub, store.audit, store.control, ownership), streams: controller.streams, tickMs: 0, actuators: [new WebhookActuator({ name: 'edge', url: hook.url, secret: SECRET })] }).start();
    cleanups.push(() => heir.stop());
    const decided: ControlAction[] = [];
    heir.onAction((a, phase) => phase === 'decided' && decided.push(a));

    // The lease is taken (the heir may act, fenced) but its listeners have not adopted the shard yet.
    ownership.streams.add('s1');
    window(['primary']);
    heir.tick();
    await heir.idle();
    expect(decided).toEqual([]);
    expect(() => heir.pin('s1', { line: 'primary', reason: 'test', by: 'bob' })).toThrow(/being taken over by this hub/);

    await heir.adopt(['s1']);
    expect(heir.served('s1')!.active).toBe('backup');
    for (let i = 0; i < 3; i++) window(['primary']);
    await heir.idle();
    expect(decided).toEqual([]);
    expect((await store.audit.recent(100)).filter((e) => e.action === 'control.switch').map((e) => e.target)).toEqual(['stream:s1 line:primary>backup']);
    expect(hook.received).toHaveLength(1);
  });

  it('an actuator that keeps failing: switch served anyway, failure audited and on the timeline; a command actuator gets the arguments', async () => {
    const { handle, controller, hook, actions, window, store } = await setup({}, () => ({ status: 500 }));
    const dir = mkdtempSync(join(tmpdir(), 'sg-control-cmd-'));
    const out = join(dir, 'args');
    // A second controller on the same hub would double-act: replace the first one's actuators by building a new one.
    await controller.stop();
    const cmd = new CommandActuator({ name: 'cdn', argv: [process.execPath, '-e', 'require("fs").writeFileSync(process.argv[1], process.argv.slice(2).join("|"))', out, '{stream}', '{from}', '{to}', '{url}'] });
    const hookOnly = new WebhookActuator({ name: 'edge', url: hook.url, retries: 1, backoffMs: 10 });
    const c2 = await new Controller({ ...controllerPorts(handle.hub, handle.store.audit), streams: controller.streams, tickMs: 0, actuators: [hookOnly, cmd] }).start();
    cleanups.push(() => c2.stop());
    c2.onAction((a, phase) => phase === 'decided' && actions.push(a));
    for (let i = 0; i < 5; i++) window();
    window(['primary']);
    await c2.idle();
    expect(c2.served('s1')!.active).toBe('backup');
    expect(hook.received).toHaveLength(2);
    expect(readFileSync(out, 'utf8')).toBe(`s1|primary|backup|${BACKUP}`);
    const failed = (await store.audit.recent(100)).find((a) => a.action === 'control.switch.failed')!;
    expect(failed.reason).toMatch(/edge: HTTP 500 \(gave up after 2 attempts\) \(2 attempts, \d+ ms\); cdn: ok \(1 attempt/);
    const inc = handle.hub.incidents.byDedupKey('s1/primary/down')!;
    expect((await settledTimeline(handle, inc.id)).filter((e) => e.type === 'action').map((e) => (e.data as { action: string }).action)).toEqual(['switch', 'switch.failed']);
    const m = c2.metrics();
    expect(m.actionsTotal).toEqual(expect.arrayContaining([{ type: 'switch', outcome: 'failed', value: 1 }]));
    expect((await histogramTotals(c2)).count).toBe(0);
  });
});

describe('escalation raises the stream\'s lead incident', () => {
  it('backup down in one region, then primary down everywhere: the P0 escalation raises the lead (the backup\'s, opened first), one P0 only, held through the detector\'s P1 grades', async () => {
    const { handle, actions, window } = await setup({});
    for (let i = 0; i < 4; i++) window();
    const [first] = REGIONS;
    for (let i = 0; i < 3; i++) window((region, line) => line === 'backup' && region === first);
    for (let i = 0; i < 3; i++) window((region, line) => line === 'primary' || (line === 'backup' && region === first));
    const esc = actions.find((a) => a.type === 'escalate' && a.severity === 'P0')!;
    expect(esc.incidentKey).toBe('s1/backup/down');
    const p0 = () => handle.hub.incidents.open().filter((i) => i.severity === 'P0');
    expect(p0().map((i) => i.key)).toEqual(['s1/backup/down']);
    const lead = p0()[0]!;
    expect(lead.escalation).toMatchObject({ severity: 'P0', by: 'policy:failover', reason: 'no-healthy-line' });
    const timeline = await settledTimeline(handle, lead.id);
    expect(timeline.find((e) => e.type === 'severity-raised')?.data).toMatchObject({ from: 'P1', to: 'P0', by: 'policy:failover' });
    // The detector still grades it P1 (the backup is fine in one region): the floor holds.
    for (let i = 0; i < 3; i++) window((region, line) => line === 'primary' || (line === 'backup' && region === first));
    // Both lines down everywhere: the detector's own P0 goes to the same lead.
    for (let i = 0; i < 3; i++) window(['primary', 'backup']);
    expect(p0().map((i) => i.key)).toEqual(['s1/backup/down']);
    expect(actions.filter((a) => a.type === 'switch')).toEqual([]);
    // Everything back: the raise ends with the incident.
    for (let i = 0; i < 12; i++) window();
    expect(handle.hub.incidents.open()).toEqual([]);
    expect(handle.hub.incidents.byDedupKey('s1/backup/down')?.escalation).toBeUndefined();
  });
});
