/**
 * A line's recent normal for one figure (bitrate, picture height, fps): the median of its last
 * healthy windows, over minutes, in bounded memory.
 *
 * Healthy values fill a bucket of `bucketSize` windows; a full bucket is reduced to its median and
 * kept in a ring of the last `buckets` bucket medians (30 × 6 windows: 3 minutes at 1 s windows).
 * The baseline is the median of those medians: a minute of a lower rendition or a burst after a
 * reconnect moves it by at most one bucket of six, where an EWMA followed every window a little.
 * Before the first bucket fills, the baseline is the median of the bucket so far once it holds
 * `warmup` values (a fresh line gets a normal within seconds, not minutes).
 *
 * Memory per figure: bucketSize + buckets numbers. A median is computed once per full bucket (and
 * per window only while warming up), never per sample of a warm line.
 */
export interface TrailingMedian {
  /** The bucket being filled. */
  readonly bucket: Float64Array;
  filled: number;
  /** Ring of the medians of the last full buckets. */
  readonly medians: Float64Array;
  /** How many of `medians` hold a value. */
  kept: number;
  /** Ring index the next bucket median goes to. */
  next: number;
  /** Healthy values taken so far. */
  learnt: number;
  /** The baseline; NaN until warm. */
  value: number;
}

export function createTrailingMedian(bucketSize: number, buckets: number): TrailingMedian {
  if (!(bucketSize >= 1 && buckets >= 1)) throw new Error(`a trailing median needs at least one bucket of one value (bucketSize ${bucketSize}, buckets ${buckets})`);
  return { bucket: new Float64Array(bucketSize), filled: 0, medians: new Float64Array(buckets), kept: 0, next: 0, learnt: 0, value: NaN };
}

/** Takes one healthy value; `warmup`: values needed before the first bucket's part counts as a baseline. */
export function learn(m: TrailingMedian, v: number, warmup: number): void {
  m.bucket[m.filled++] = v;
  m.learnt++;
  if (m.filled === m.bucket.length) {
    m.medians[m.next] = medianOf(m.bucket, m.filled);
    m.next = (m.next + 1) % m.medians.length;
    if (m.kept < m.medians.length) m.kept++;
    m.filled = 0;
    m.value = medianOf(m.medians, m.kept);
  } else if (m.kept === 0 && m.filled >= warmup) {
    m.value = medianOf(m.bucket, m.filled);
  }
}

/** Median of the first `n` values (the mean of the middle two when n is even); NaN when n is 0. */
export function medianOf(values: Float64Array, n: number): number {
  if (n === 0) return NaN;
  const sorted = values.slice(0, n).sort();
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
