// The stream page's pure core for charts: raw samples and minute rollups of GET
// /api/v1/streams/:id/samples → one aligned table per chart (uPlot's data layout): a time column
// and one column per view (line/region). No DOM, no I/O.

/**
 * The chart ranges the page offers, in ms, and the bucket each draws one point per; `minutes`:
 * the range is read in minute rollups (6 h of raw samples is too much to send to a page).
 */
export const CHART_RANGES = {
  '15m': { ms: 15 * 60_000, stepMs: 2000 },
  '1h': { ms: 60 * 60_000, stepMs: 10_000 },
  '6h': { ms: 6 * 60 * 60_000, stepMs: 60_000, minutes: true },
};

/**
 * The charts: the sample field, its title and unit, how a minute rollup gives it (none: raw only),
 * and whether it shows without data (the others — content checks, marker sync — appear only when a
 * line carries them).
 */
export const CHARTS = [
  { field: 'latencyMs', title: 'latency', unit: 'ms', always: true, rollup: (r) => r.latencyAvgMs },
  { field: 'stallMs', title: 'stall per window', unit: 'ms', always: true, rollup: (r) => r.stallMs / r.samples },
  { field: 'fps', title: 'frame rate', unit: 'fps', always: true, rollup: (r) => r.fpsAvg },
  { field: 'bitrateBps', title: 'bitrate', unit: 'Mbit/s', always: true, scale: 1e-6, rollup: (r) => r.bitrateAvg },
  { field: 'avSyncMs', title: 'A/V sync (markers, + audio leads)', unit: 'ms' },
  { field: 'avSkewMs', title: 'A/V skew (timestamps)', unit: 'ms' },
  { field: 'blackMs', title: 'black picture per window', unit: 'ms' },
  { field: 'silenceMs', title: 'silence per window', unit: 'ms' },
  { field: 'loudnessLufs', title: 'loudness', unit: 'LUFS' },
];

/** `primary/eu`: one series per line and region. */
export function viewKey(p) {
  return `${p.line}/${p.region}`;
}

/**
 * Every chart's table over [from, to): `t` the bucket starts (ms), `views` the line/region of each
 * column, `columns[i][k]` the mean of view i's values in bucket k (null: none). Rollups fill the
 * minutes the raw samples no longer cover (a minute is one or the other, never both). Charts
 * without `always` and without a value are left out.
 */
export function chartTables(samples, rollups, range) {
  const { from, to, stepMs } = range;
  const views = [...new Set([...samples, ...rollups].map(viewKey))].sort();
  const buckets = Math.max(0, Math.ceil((to - from) / stepMs));
  const t = Array.from({ length: buckets }, (_, k) => from + k * stepMs);
  const tables = [];
  for (const chart of CHARTS) {
    const sums = views.map(() => new Float64Array(buckets));
    const counts = views.map(() => new Uint32Array(buckets));
    const add = (view, at, v, weight) => {
      const k = Math.floor((at - from) / stepMs);
      if (k < 0 || k >= buckets || typeof v !== 'number' || !Number.isFinite(v)) return;
      const i = views.indexOf(view);
      sums[i][k] += v * weight;
      counts[i][k] += weight;
    };
    for (const s of samples) add(viewKey(s), s.t, s[chart.field], 1);
    if (chart.rollup) for (const r of rollups) add(viewKey(r), r.minute, chart.rollup(r), r.samples);
    const scale = chart.scale ?? 1;
    const columns = views.map((_, i) => Array.from(sums[i], (sum, k) => (counts[i][k] > 0 ? (sum / counts[i][k]) * scale : null)));
    if (chart.always || columns.some((c) => c.some((v) => v !== null))) tables.push({ chart, t, views, columns });
  }
  return tables;
}

/** The samples of a longer history plus newly polled ones: no duplicate (probe, seq), none before `from`, oldest first. */
export function mergeSamples(held, fresh, from) {
  const seen = new Set(held.map((s) => `${s.probe}/${s.seq}`));
  return [...held, ...fresh.filter((s) => !seen.has(`${s.probe}/${s.seq}`))].filter((s) => s.t >= from).sort((a, b) => a.t - b.t);
}
