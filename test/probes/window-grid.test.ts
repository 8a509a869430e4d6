import { describe, expect, it } from 'vitest';
import { nextWindowEnd } from '../../probes/line-prober.ts';

describe("a probe's windows end on one grid (nextWindowEnd)", () => {
  it('ends at the next multiple of the window, so every line of a probe closes its window in the same turn', () => {
    expect(nextWindowEnd(10_200, 1000)).toBe(11_000);
    expect(nextWindowEnd(10_499.5, 1000)).toBe(11_000);
    // Lines started at different moments end on the same points.
    const ends = [10_010, 10_270, 10_333, 10_480].map((start) => nextWindowEnd(start, 1000));
    expect(new Set(ends)).toEqual(new Set([11_000]));
  });

  it('a window opened less than half a window before a grid point runs to the next one: 0.5–1.5 windows, never a sliver', () => {
    expect(nextWindowEnd(10_500, 1000)).toBe(11_000);
    expect(nextWindowEnd(10_501, 1000)).toBe(12_000);
    expect(nextWindowEnd(10_999, 1000)).toBe(12_000);
    expect(nextWindowEnd(11_000, 1000)).toBe(12_000);
    for (let now = 0; now < 5000; now += 37.3) {
      const length = nextWindowEnd(now, 1000) - now;
      expect(length).toBeGreaterThanOrEqual(500);
      expect(length).toBeLessThanOrEqual(1500);
    }
  });

  it('any window length: 250 ms', () => {
    expect(nextWindowEnd(1010, 250)).toBe(1250);
    expect(nextWindowEnd(1130, 250)).toBe(1500);
  });
});
