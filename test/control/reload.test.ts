import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ControlAction } from '../../src/actuators/types.ts';
import { controllerPorts } from '../../src/app/control-ports.ts';
import { startHub } from '../../src/app/start.ts';
import { ConfigSchema } from '../../src/config/schema.ts';
import { ControlConfigSchema, DEFAULT_POLICY } from '../../src/control/config-schema.ts';
import { Controller } from '../../src/control/controller.ts';
import { initialStreamState, rebasedOnServed, reloadedStreamState } from '../../src/control/evaluate.ts';
import type { Sample } from '../../src/model/sample.ts';
import type { StreamConfig } from '../../src/model/stream.ts';
import { ReloadError } from '../../src/common/reload.ts';

/**
 * The controller's part of a config reload: prepareReload checks the policies and builds the
 * actuators without changing anything; its commit gives the next decisions the new policies and
 * actuators, keeps the served line of a stream that stays, drops a removed one, starts a new one.
 */

const T0 = 1_700_000_000_000;
const LINES = { primary: { url: 'rtmp://127.0.0.1/live/x' }, backup: { url: 'http://127.0.0.1:8000/live/x.flv' } };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function streams(...ids: string[]): StreamConfig[] {
  return ConfigSchema.parse({ streams: ids.map((id) => ({ id, lines: LINES })) }).streams;
}

async function setup(control: Record<string, unknown> = {}) {
  let now = T0;
  const cfg = ConfigSchema.parse({ regions: ['eu'], streams: streams('s1', 's2') });
  const handle = await startHub(cfg, { probes: false, listen: false, tickMs: 0, clock: () => now, dataDir: mkdtempSync(join(tmpdir(), 'sg-control-reload-')), control: false, tickets: false });
  cleanups.push(() => handle.stop());
  const controller = await new Controller({ ...controllerPorts(handle.hub, handle.store.audit), streams: cfg.streams, config: ControlConfigSchema.parse({ default: { minDwell: 0, holdOff: '2s' }, ...control }), tickMs: 0 }).start();
  cleanups.push(() => controller.stop());
  const actions: ControlAction[] = [];
  controller.onAction((a, phase) => phase === 'decided' && actions.push(a));
  let seq = 0;
  const sample = (stream: string, line: string, down: boolean): Sample => ({
    probe: 'p-eu', region: 'eu', stream, line, seq: ++seq, t: now, windowMs: 1000, connected: !down, fps: down ? 0 : 25, bitrateBps: down ? 0 : 2e6, maxGapMs: 40, stallMs: 0, freezeMs: 0,
  });
  /** One window of every stream and line (`down` lines disconnected), then the hub and controller ticks. */
  const window = (ids: readonly string[], down: readonly string[] = []) => {
    now += 1000;
    for (const id of ids) for (const line of ['primary', 'backup']) handle.ingest(sample(id, line, down.includes(line)));
    handle.hub.tick();
    controller.tick();
  };
  return { handle, controller, actions, window };
}

describe('controller reload: prepare', () => {
  it('names every problem at its YAML path and changes nothing', async () => {
    const { controller } = await setup();
    const bad = ControlConfigSchema.parse({
      streams: { s1: { preferred: 'nope' } },
      actuators: [{ type: 'webhook', name: 'edge', url: 'http://127.0.0.1:1/hook', secretEnv: 'SG_RELOAD_UNSET_SECRET' }],
    });
    let error: unknown;
    try {
      controller.prepareReload({ streams: streams('s1'), config: bad });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ReloadError);
    expect((error as ReloadError).issues).toEqual([
      { path: 'control.streams.s1.preferred', message: 'stream "s1" has no line "nope" (lines: primary, backup)' },
      { path: 'control.actuators[0]', message: 'actuator "edge": environment variable SG_RELOAD_UNSET_SECRET (secretEnv) is not set' },
    ]);
    expect(controller.streams.map((s) => s.id)).toEqual(['s1', 's2']);
    expect(controller.actuators).toEqual([]);
  });
});

describe('controller reload: commit', () => {
  it('a stream that stays keeps its served line under its new policy; a removed one is gone; a new one starts on its preferred line', async () => {
    const { controller, actions, window } = await setup();
    for (let i = 0; i < 3; i++) window(['s1', 's2']);
    for (let i = 0; i < 3; i++) window(['s1', 's2'], ['primary']);
    expect(controller.served('s1')!.active).toBe('backup');
    expect(controller.metrics().failoversTotal.map((f) => f.stream).sort()).toEqual(['s1', 's2']);

    const commit = controller.prepareReload({ streams: streams('s1', 's3'), config: ControlConfigSchema.parse({ default: { failback: 'sticky', minDwell: 0, holdOff: '2s' } }) });
    expect(controller.policy('s1')!.failback).toBe('primary-preferred'); // prepared, not applied
    commit();

    expect(controller.policy('s1')!.failback).toBe('sticky');
    expect(controller.served('s1')!.active).toBe('backup');
    expect(controller.state('s2')).toBeUndefined();
    expect(controller.served('s2')).toBeUndefined();
    expect(controller.state('s3')!.line.active).toBe('primary');
    expect(controller.metrics().activeLine).toEqual([
      { stream: 's1', line: 'backup' },
      { stream: 's3', line: 'primary' },
    ]);
    expect(controller.metrics().failoversTotal.map((f) => f.stream)).toEqual(['s1']);

    // The next decisions use the new policy: sticky, so no failback once the primary is healthy again.
    const before = actions.length;
    for (let i = 0; i < 8; i++) window(['s1', 's3']);
    expect(actions.slice(before).filter((a) => a.type === 'switch')).toEqual([]);
    expect(controller.served('s1')!.active).toBe('backup');
  });
});

describe('controller reload: leaving dry-run', () => {
  it('acts on what it had only decided: the policies start again from the line actually served', async () => {
    const { controller, actions, window } = await setup({ dryRun: true });
    for (let i = 0; i < 3; i++) window(['s1', 's2']);
    for (let i = 0; i < 3; i++) window(['s1', 's2'], ['primary']);
    expect(controller.state('s1')!.line.active).toBe('backup'); // decided
    expect(controller.served('s1')!.active).toBe('primary'); // not acted on

    controller.prepareReload({ streams: streams('s1', 's2'), config: ControlConfigSchema.parse({ default: { minDwell: 0, holdOff: '2s' } }) })();
    const before = actions.length;
    window(['s1', 's2'], ['primary']);
    expect(actions.slice(before).find((a) => a.type === 'switch' && a.stream === 's1')).toMatchObject({ from: 'primary', to: 'backup', dryRun: false });
    expect(controller.served('s1')!.active).toBe('backup');
  });
});

describe('reloadedStreamState', () => {
  const policy = { ...DEFAULT_POLICY };
  const lines = ['primary', 'backup'];

  it('keeps the state while the active line is still configured', () => {
    const prev = { ...initialStreamState(lines, policy, 0), line: { ...initialStreamState(lines, policy, 0).line, active: 'backup', switches: [5] } };
    expect(reloadedStreamState(prev, lines, policy, 100)).toBe(prev);
  });

  it('rebasedOnServed: the line served, feature states that disagree with what is served dropped', () => {
    const prev = initialStreamState(lines, policy, 0);
    const decided = { line: { ...prev.line, active: 'backup' }, features: { chat: { enabled: false, by: 'policy' as const, since: 5 }, gifts: { enabled: true, by: 'default' as const, since: 0 } } };
    const served = { stream: 's1', active: 'primary', since: 3, features: {}, updatedAt: 3 };
    expect(rebasedOnServed(decided, served)).toEqual({ line: { ...prev.line, active: 'primary', since: 3 }, features: { gifts: decided.features.gifts } });
  });

  it('starts afresh on the preferred line when the active line left the config; drops a pin on a removed line', () => {
    const prev = initialStreamState(['primary', 'backup', 'spare'], policy, 0);
    const onSpare = { ...prev, line: { ...prev.line, active: 'spare', switches: [5] } };
    expect(reloadedStreamState(onSpare, lines, policy, 100)).toEqual(initialStreamState(lines, policy, 100));
    const pinned = { ...prev, line: { ...prev.line, pin: { value: 'spare', until: 1000, reason: 'test', by: 'alice', at: 0 }, pinWarned: true } };
    expect(reloadedStreamState(pinned, lines, policy, 100).line).toEqual(prev.line);
  });
});
