import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeUrl, type ProbeHandle } from '../../probes/prober.ts';
import { liveChildPids } from '../../src/common/children.ts';
import { startLab, type Lab } from '../../src/lab/index.ts';
import { FROZEN_AFTER_MS } from '../../src/model/sample.ts';
import { until } from '../helpers/until.ts';
import { SampleLog } from './helpers/collect.ts';

/**
 * A frozen picture on a real publisher (the lab's freeze: the live picture stops, the stream goes
 * on), read by a decoding probe: a picture still for half a second is not frozen; one still for
 * longer is, from FROZEN_AFTER_MS on, and the window saying so is sent then, not at the window's end.
 */
let lab: Lab;
let probe: ProbeHandle | undefined;
const samples = new SampleLog();

beforeAll(async () => {
  lab = await startLab({ streams: [{ id: 'fz', protocols: ['rtmp'] }] });
  probe = probeUrl(lab.url('fz', 'primary', 'rtmp'), { probe: 'edge', region: 'test', stream: 'fz', line: 'primary', decode: true, onSample: samples.onSample });
  // Decoded and steady: a few live windows with no frozen time.
  const up = await samples.until((s) => s.connected && s.fps > 0, 20_000);
  await samples.until((s) => s.seq >= up.seq + 3, 10_000);
}, 40_000);

afterAll(async () => {
  await probe?.stop();
  await lab?.stop();
  expect(liveChildPids()).toEqual([]);
});

const wallOf = (receivedAt: number): number => Date.now() - (performance.now() - receivedAt);

describe('a frozen picture (decoded)', () => {
  it('a picture still for 500 ms is not frozen', async () => {
    const from = performance.now();
    const still = await lab.applyFault({ stream: 'fz', line: 'primary', kind: 'freeze', ms: 500 });
    await until('the still moment to end', () => lab.truth().find((r) => r.id === still.id)?.endedAt !== undefined, 5000);
    // Two more windows: a run credited late would have arrived by then.
    const last = samples.samples.at(-1)!;
    await samples.until((s) => s.seq >= last.seq + 2, 5000);
    const during = samples.samples.filter((s) => s.receivedAt > from);
    expect(during.map((s) => s.freezeMs)).toEqual(during.map(() => 0));
  }, 20_000);

  it('a picture still for 3 s is frozen once it has held FROZEN_AFTER_MS, and the window goes then', async () => {
    const from = performance.now();
    const fault = await lab.applyFault({ stream: 'fz', line: 'primary', kind: 'freeze', ms: 3000 });
    const first = await samples.until((s) => s.freezeMs > 0, 8000, from);
    const sentAfterMs = wallOf(first.receivedAt) - fault.startedAt;
    console.log(`frozen window sent ${Math.round(sentAfterMs)} ms after the freeze began (${first.windowMs} ms window, ${first.freezeMs} ms frozen)`);
    // Not before the hold: the probe waited for a second of unchanged picture.
    expect(sentAfterMs).toBeGreaterThanOrEqual(FROZEN_AFTER_MS - 50);
    // The whole window is frozen: the run is credited from its first frame, carried into the window.
    expect(first.freezeMs).toBeGreaterThanOrEqual(Math.min(first.windowMs, FROZEN_AFTER_MS) - 80);
    // It goes on frozen until the fault ends, then the picture moves again.
    await until('the freeze to end', () => lab.truth().find((r) => r.id === fault.id)?.endedAt !== undefined, 8000);
    const next = await samples.until((s) => s.seq > first.seq, 3000);
    expect(next.freezeMs).toBeGreaterThan(0);
    const ended = performance.now();
    const moving = await samples.until((s) => s.freezeMs === 0, 5000, ended);
    expect(moving.connected).toBe(true);
  }, 30_000);
});
