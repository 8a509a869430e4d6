import { describe, expect, it } from 'vitest';
import { createDetector } from '../../src/detect/detector.ts';
import type { Sample } from '../../src/model/sample.ts';
import { sample, stream } from './helpers.ts';

/**
 * A probe flushes a change to down at once as a short window (windowMs ≈ the time since its last
 * window). That window must not become the probe's heartbeat interval: it made the probe "silent"
 * (blind, P2) on the next tick, withdrew the stream incident it had just opened and reopened it
 * when the next regular window arrived (seen end to end against the lab).
 */
describe('heartbeat interval vs short flushed windows', () => {
  it.each<{ name: string; flushMs: number }>([
    { name: 'a 40 ms flush', flushMs: 40 },
    { name: 'a 300 ms flush', flushMs: 300 },
    { name: 'a 999 ms flush', flushMs: 999 },
  ])('$name after regular 1 s windows: no blind probe, the P1 stays open', ({ flushMs }) => {
    const det = createDetector({ streams: [stream({ id: 's1' })] });
    const ev: string[] = [];
    const feed = (s: Partial<Sample>, now: number) => ev.push(...det.step(sample(s), now).map((e) => `${e.type} ${e.key} ${e.severity}`));
    let seq = 0;
    for (let T = 1000; T <= 3000; T += 1000) {
      feed({ line: 'primary', seq: ++seq, t: T }, T + 10);
      feed({ line: 'backup', seq: ++seq, t: T }, T + 10);
    }
    const down = { connected: false, fps: 0, bitrateBps: 0, stallMs: flushMs, error: 'timeout' as const };
    feed({ line: 'primary', seq: ++seq, t: 3000 + flushMs, windowMs: flushMs, ...down }, 3010 + flushMs);
    // Ticks until the next regular windows, which come 1 s after the flush.
    for (let now = 3100 + flushMs; now < 4000 + flushMs; now += 100) ev.push(...det.step({ type: 'tick' }, now).map((e) => `${e.type} ${e.key} ${e.severity}`));
    expect(ev).toEqual(['open s1/primary/down P1']);
    expect(det.state.probes.get('p-eu')!.intervalMs).toBe(1000);
  });

  it('a probe that really goes silent is still blind after 3 intervals', () => {
    const det = createDetector({ streams: [stream({ id: 's1' })] });
    det.step(sample({ seq: 1, t: 1000 }), 1000);
    expect(det.step({ type: 'tick' }, 4000)).toEqual([]);
    expect(det.step({ type: 'tick' }, 4001).map((e) => `${e.type} ${e.key} ${e.severity}`)).toEqual(['open probe/p-eu/blind P2']);
  });
});
