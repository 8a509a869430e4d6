// The console's pure core: WS `state` replies and pushed events → what the page draws.
// No DOM, no I/O: the page (console.js) and the unit tests (test/console/grid-model.test.ts) share it.

/** How many recent samples a sparkline keeps per stream/line/region. */
export const SPARK_POINTS = 60;
/** The sample fields drawn as sparklines. */
export const SPARK_FIELDS = ['latencyMs', 'stallMs', 'avSyncMs'];

const RANK = { ok: 0, degraded: 1, down: 2 };

/** @returns {{streams: any[], incidents: any[], at: number, series: Record<string, Record<string, number[]>>}} */
export function emptyModel() {
  return { streams: [], incidents: [], at: 0, series: {} };
}

/** A fresh `state` reply replaces the grid and incidents; sparkline history is kept. */
export function applyState(model, state) {
  return { ...model, at: state.at, streams: state.streams, incidents: [...state.incidents].sort((a, b) => b.openedAt - a.openedAt) };
}

/** One pushed incident change: insert, replace, or drop it once resolved. */
export function applyIncidentEvent(model, data) {
  const inc = data.incident;
  const rest = model.incidents.filter((i) => i.id !== inc.id);
  const incidents = inc.status === 'resolved' ? rest : [inc, ...rest].sort((a, b) => b.openedAt - a.openedAt);
  return { ...model, incidents };
}

/** One sample appends to its series (bounded to SPARK_POINTS); absent fields are gaps (NaN). */
export function applySample(model, s) {
  const key = seriesKey(s.stream, s.line, s.region);
  const prev = model.series[key] ?? {};
  const next = {};
  for (const f of SPARK_FIELDS) next[f] = [...(prev[f] ?? []), typeof s[f] === 'number' ? s[f] : NaN].slice(-SPARK_POINTS);
  next.connected = s.connected;
  return { ...model, series: { ...model.series, [key]: next } };
}

export function seriesKey(stream, line, region) {
  return `${stream}/${line}/${region}`;
}

/** Every region named in any stream's health (column order of the grid). */
export function regionsOf(model) {
  const set = new Set();
  for (const s of model.streams) for (const regions of Object.values(s.health ?? {})) for (const r of Object.keys(regions)) set.add(r);
  return [...set].sort();
}

/**
 * A cell's colour class: the worst of the region's level and any open incident on the line
 * (a line- or stream-wide incident paints every region; a regional one only its regions).
 * `unknown` when the line was never seen in that region.
 */
export function cellLevel(model, stream, line, region) {
  const h = model.streams.find((s) => s.id === stream)?.health?.[line]?.[region];
  let level = h ? h.level : 'unknown';
  for (const i of model.incidents) {
    if (i.stream !== stream || i.line !== line || i.status === 'resolved') continue;
    if ((i.scope === 'regional' || i.scope === 'single-probe') && !(region in (i.regions ?? {}))) continue;
    const l = i.severity === 'P0' || i.severity === 'P1' ? 'down' : 'degraded';
    if (level === 'unknown' || RANK[l] > RANK[level]) level = l;
  }
  return level;
}

/**
 * A stream's feature modules as `[name, enabled]`, sorted: `state` carries only the flags that
 * differ from the default (absent = enabled), so the names the policy knows come separately.
 */
export function featureFlags(served, knownNames) {
  const names = new Set([...knownNames, ...Object.keys(served ?? {})]);
  return [...names].sort().map((f) => [f, served?.[f] ?? true]);
}

/** An SVG polyline `points` attribute for a series (gaps skipped), scaled into w×h. */
export function sparkPoints(values, w, h) {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return '';
  const max = Math.max(...finite, 1);
  const step = values.length > 1 ? w / (SPARK_POINTS - 1) : 0;
  const x0 = w - step * (values.length - 1);
  return values
    .map((v, i) => (Number.isFinite(v) ? `${(x0 + i * step).toFixed(1)},${(h - (Math.abs(v) / max) * h).toFixed(1)}` : ''))
    .filter(Boolean)
    .join(' ');
}
