import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.ts';
import { startHub, type HubHandle } from '../../src/app/start.ts';
import type { Sample } from '../../src/model/sample.ts';
import { until } from '../helpers/until.ts';

/**
 * The hub measures its own stalls: its tick timer (real, every 20 ms here) reads the hub clock
 * (injected: the test moves it), and a tick later than its period by more than
 * detector.hubStallMs tells the detector it was frozen before the tick runs.
 */

const T0 = 1_700_000_000_000;
const handles: HubHandle[] = [];
afterEach(async () => {
  for (const h of handles.splice(0)) await h.stop();
});

async function hub(detector: Record<string, unknown> = {}, tickMs = 20, { awaitFirstTick = true } = {}) {
  let now = T0;
  const config = ConfigSchema.parse({
    hub: { dataDir: mkdtempSync(join(tmpdir(), 'sg-stall-')) },
    regions: ['eu'],
    detector,
    streams: [{ id: 's1', lines: { primary: { url: 'rtmp://127.0.0.1:1/live/s1' } } }],
  });
  const handle = await startHub(config, { probes: false, listen: false, tickMs, clock: () => now });
  handles.push(handle);
  const sample: Sample = { probe: 'p-eu', region: 'eu', stream: 's1', line: 'primary', seq: 1, t: T0, windowMs: 1000, connected: true, fps: 25, bitrateBps: 1e6, maxGapMs: 40, stallMs: 0, freezeMs: 0 };
  expect(handle.ingest(sample)).toEqual({ ok: true });
  if (awaitFirstTick) await until('the first timer tick', () => handle.hub.stats.ticks >= 1);
  /** Moves the clock by `ms` at once: the next timer tick sees it as late. */
  const advance = (ms: number) => (now += ms);
  /** Moves the clock by `ms` in steps of `step`, one per timer tick (200 ms: time passing normally). */
  const walk = async (ms: number, step = 200) => {
    for (let done = 0; done < ms; done += step) {
      const ticks = handle.hub.stats.ticks;
      now += step;
      await until('a timer tick', () => handle.hub.stats.ticks > ticks);
    }
  };
  return { handle, advance, walk };
}

const blind = (h: HubHandle) => h.hub.probeStatus().find((p) => p.probe === 'p-eu')!.blind;

describe('the hub\'s own stall', () => {
  it('a tick 3.5 s late: the detector excuses the frozen time, the probe is not blind', async () => {
    const { handle, advance, walk } = await hub();
    advance(3500);
    await until('the late tick', () => handle.hub.stats.stalls === 1);
    expect(handle.hub.stats.stalledMs).toBeGreaterThan(3400);
    expect(blind(handle)).toBe(false);
    expect(handle.hub.incidents.open()).toEqual([]);
    // really silent from here: blind 3 intervals after the excused time
    await walk(2800);
    expect(blind(handle)).toBe(false);
    await walk(400);
    expect(blind(handle)).toBe('silent');
    expect(handle.hub.stats.stalls).toBe(1);
  });

  it('frozen before its first tick: still a stall (the lateness counts from the timer\'s start)', async () => {
    // CI's SIGSTOP test froze a hub that had not ticked yet, and nothing was counted
    const { handle, advance } = await hub({}, 200, { awaitFirstTick: false });
    expect(handle.hub.stats.ticks).toBe(0);
    advance(3500);
    await until('the late first tick', () => handle.hub.stats.ticks >= 1);
    expect(handle.hub.stats.stalls).toBe(1);
    expect(handle.hub.stats.stalledMs).toBe(3300);
    expect(blind(handle)).toBe(false);
  });

  it('a tick late by less than hubStallMs is not a stall', async () => {
    const { handle, advance } = await hub({ hubStallMs: 2000 });
    const ticks = handle.hub.stats.ticks;
    advance(1500);
    await until('another tick', () => handle.hub.stats.ticks > ticks + 1);
    expect(handle.hub.stats.stalls).toBe(0);
  });

  it('a hub late at every tick still finds a probe that is really silent (only the lateness is excused)', async () => {
    // a 100 ms tick that comes 600 ms late every time: 100 ms of each tick's time counts
    const { handle, walk } = await hub({}, 100);
    await walk(700 * 29, 700);
    expect(blind(handle)).toBe(false); // 29 × 100 ms = 2.9 s of silence counted
    await walk(700 * 2, 700);
    expect(blind(handle)).toBe('silent');
    expect(handle.hub.stats.stalls).toBeGreaterThanOrEqual(30);
  });

  it('without a stall the same silence is the probe\'s', async () => {
    const { handle, advance } = await hub({ hubStallMs: 5000 });
    advance(3500);
    await until('the probe to be blind', () => blind(handle) === 'silent');
    expect(handle.hub.stats.stalls).toBe(0);
  });
});
