import { describe, expect, it } from 'vitest';
import { createTrailingMedian, learn, medianOf } from '../../src/detect/trailing-median.ts';

const feed = (m: ReturnType<typeof createTrailingMedian>, values: number[], warmup = 5) => {
  for (const v of values) learn(m, v, warmup);
  return m;
};
const repeat = (v: number, n: number) => Array.from({ length: n }, () => v);

describe('medianOf', () => {
  it.each([
    [[], NaN],
    [[7], 7],
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
    [[1080, 360, 1080, 1080, 720], 1080],
  ])('%o → %d', (values, median) => {
    expect(medianOf(Float64Array.from(values), values.length)).toBe(median);
  });

  it('reads only the first n values and leaves them unsorted', () => {
    const values = Float64Array.from([3, 1, 2, 100, 100]);
    expect(medianOf(values, 3)).toBe(2);
    expect([...values]).toEqual([3, 1, 2, 100, 100]);
  });
});

describe('trailing median of healthy windows', () => {
  it('has no baseline before `warmup` values, then the median of the bucket so far', () => {
    const m = createTrailingMedian(30, 6);
    feed(m, [1080, 1080, 720, 1080]);
    expect(m.value).toBeNaN();
    feed(m, [720]);
    expect(m.value).toBe(1080);
  });

  it('once a bucket is full: the median of the bucket medians, not of the partial bucket', () => {
    const m = feed(createTrailingMedian(4, 3), [10, 10, 10, 10]);
    expect(m.value).toBe(10);
    feed(m, [1, 1, 1]); // a partial bucket does not move a warm baseline
    expect(m.value).toBe(10);
    feed(m, [1]); // medians 10, 1
    expect(m.value).toBe(5.5);
    feed(m, repeat(1, 4)); // medians 10, 1, 1
    expect(m.value).toBe(1);
  });

  it('forgets buckets older than the ring (bounded memory: bucketSize + buckets numbers)', () => {
    const m = feed(createTrailingMedian(2, 3), [...repeat(5000, 6), ...repeat(2000, 6)]);
    expect(m.value).toBe(2000);
    expect(m.bucket.length + m.medians.length).toBe(5);
    expect(m.learnt).toBe(12);
  });

  it('a minute of a lower rendition moves the baseline by at most one bucket of six', () => {
    // 3 minutes at 1080, then 30 windows at 864 (still "healthy": 80 % of 1080, above the 70 % trip)
    const m = feed(createTrailingMedian(30, 6), [...repeat(1080, 180), ...repeat(864, 30)]);
    expect(m.value).toBe(1080);
  });

  it('refuses an empty ring', () => {
    expect(() => createTrailingMedian(0, 6)).toThrow(/bucketSize 0/);
  });
});
