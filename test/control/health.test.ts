import { describe, expect, it } from 'vitest';
import { streamHealth } from '../../src/control/health.ts';
import { healthySince } from '../../src/control/policy.ts';
import { createDetector } from '../../src/detect/detector.ts';
import { sample, stream } from '../detect/helpers.ts';

describe("the controller's view of line health", () => {
  it('reports every region and line, also ones named like Object properties ("constructor", "toString")', () => {
    const det = createDetector({ streams: [stream({ id: 's1', lines: { primary: { url: 'rtmp://127.0.0.1/live/a' }, toString: { url: 'rtmp://127.0.0.1/live/b' } } })] });
    let seq = 0;
    for (const [probe, region] of [['p-eu', 'eu'], ['p-c', 'constructor']] as const) {
      for (const line of ['primary', 'toString']) det.step(sample({ probe, region, line, seq: ++seq, t: 1000 }), 1000);
    }
    const health = streamHealth(det.state, 's1');
    expect(Object.keys(health).sort()).toEqual(['primary', 'toString']);
    expect(health['toString']).toEqual({ eu: { level: 'ok', since: expect.any(Number) }, constructor: { level: 'ok', since: expect.any(Number) } });
  });

  it('marks a region whose level rests on content checks alone (black picture), not one with a delivery fault too', () => {
    const det = createDetector({ streams: [stream({ id: 's1' })] });
    let seq = 0;
    for (let t = 1000; t <= 3000; t += 1000) {
      det.step(sample({ probe: 'p-eu', region: 'eu', seq: ++seq, t, blackMs: 1000 }), t);
      det.step(sample({ probe: 'p-us', region: 'us', seq: ++seq, t, blackMs: 1000, ...(t === 3000 && { connected: false, fps: 0, bitrateBps: 0, stallMs: 1000 }) }), t);
    }
    const primary = streamHealth(det.state, 's1')['primary']!;
    expect(primary['eu']).toEqual({ level: 'down', since: 2000, content: true });
    expect(primary['us']).toEqual({ level: 'down', since: 2000 });
  });

  it('time a probe was impaired is no evidence of health: the region is trusted again only from its first good sample after', () => {
    const det = createDetector({ streams: [stream({ id: 's1' })] });
    let seq = 0;
    const step = (t: number, over: Parameters<typeof sample>[0] = {}) => det.step(sample({ probe: 'p-eu', region: 'eu', seq: ++seq, t, ...over }), t);
    for (let t = 1000; t <= 3000; t += 1000) step(t);
    let primary = streamHealth(det.state, 's1')['primary']!;
    expect(primary['eu']).toEqual({ level: 'ok', since: 1000 });
    expect(healthySince(primary)).toBe(1000);

    for (let t = 4000; t <= 9000; t += 1000) step(t, { impaired: 'cpu-pressure' });
    primary = streamHealth(det.state, 's1')['primary']!;
    expect(primary['eu']).toEqual({ level: 'ok', since: 1000, impaired: true });
    expect(healthySince(primary)).toBeUndefined();

    step(10_000);
    primary = streamHealth(det.state, 's1')['primary']!;
    expect(primary['eu']).toEqual({ level: 'ok', since: 1000, trustedSince: 10_000 });
    expect(healthySince(primary)).toBe(10_000);
  });

  it("a region with a second, unimpaired probe stays trusted through the first one's impairment", () => {
    const det = createDetector({ streams: [stream({ id: 's1' })] });
    let seq = 0;
    for (let t = 1000; t <= 6000; t += 1000) {
      det.step(sample({ probe: 'p-eu-a', region: 'eu', seq: ++seq, t, ...(t > 3000 && { impaired: 'event-loop' as const }) }), t);
      det.step(sample({ probe: 'p-eu-b', region: 'eu', seq: ++seq, t }), t);
    }
    expect(streamHealth(det.state, 's1')['primary']!['eu']).toEqual({ level: 'ok', since: 1000 });
  });
});
