import { describe, expect, it } from 'vitest';
import { nextWindowEnd } from '../../probes/line-prober.ts';

describe("a probe's windows end on one grid (nextWindowEnd)", () => {
  it('ends on a multiple of the window, so every line of a probe closes its window in the same turn', () => {
    // Lines started at different moments end on the same points.
    const ends = [10_010, 10_070, 10_099].map((start) => nextWindowEnd(start, 1000));
    expect(new Set(ends)).toEqual(new Set([11_000]));
    expect(nextWindowEnd(10_400, 1000)).toBe(12_000);
  });

  it('a timer that fired on time (or up to a tenth of a window late) makes the next window exactly one window long', () => {
    expect(nextWindowEnd(11_000, 1000)).toBe(12_000);
    expect(nextWindowEnd(11_100, 1000)).toBe(12_000);
  });

  it('never a short window: 0.9–1.9 windows, also after a stop that made the timer fire late', () => {
    for (let now = 0; now < 5000; now += 37.3) {
      const length = nextWindowEnd(now, 1000) - now;
      expect(length).toBeGreaterThanOrEqual(900);
      expect(length).toBeLessThanOrEqual(1900);
    }
    // Resumed 1.5 s late at 12_650: the next window runs to 14_000 (1.35 s), not to 13_000 (0.35 s).
    expect(nextWindowEnd(12_650, 1000)).toBe(14_000);
  });

  it('any window length: 250 ms', () => {
    expect(nextWindowEnd(1010, 250)).toBe(1250);
    expect(nextWindowEnd(1130, 250)).toBe(1500);
  });
});
