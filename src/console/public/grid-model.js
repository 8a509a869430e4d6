// The console's pure core: WS `state` replies and pushed events → what the grid draws.
// No DOM, no I/O: the page (console.js) and the unit tests (test/console/grid-model.test.ts) share it.

const RANK = { unknown: -1, ok: 0, degraded: 1, down: 2 };

/** @returns {{streams: any[], byId: Map<string, any>, regions: string[], incidents: any[], byLine: Map<string, any[]>, at: number, skewMs: number, latest: Map<string, any>}} */
export function emptyModel() {
  return { streams: [], byId: new Map(), regions: [], incidents: [], byLine: new Map(), at: 0, skewMs: 0, latest: new Map() };
}

/** Open incidents by `stream/line`: a cell looks up its own instead of scanning every incident. */
function withIncidents(model, incidents) {
  const sorted = [...incidents].sort((a, b) => b.openedAt - a.openedAt);
  const byLine = new Map();
  for (const i of sorted) {
    if (i.stream === undefined || i.line === undefined || i.status === 'resolved') continue;
    const key = `${i.stream}/${i.line}`;
    byLine.set(key, [...(byLine.get(key) ?? []), i]);
  }
  return { ...model, incidents: sorted, byLine };
}

/**
 * A fresh `state` reply replaces the grid and incidents; the latest samples are kept. `receivedAt`
 * (the browser's clock) gives the hub's clock offset, so ticking durations count on the hub's clock.
 */
export function applyState(model, state, receivedAt = state.at) {
  return withIncidents({ ...model, at: state.at, skewMs: state.at - receivedAt, streams: state.streams, byId: new Map(state.streams.map((s) => [s.id, s])), regions: regionsIn(state.streams) }, state.incidents);
}

/** One pushed incident change: insert, replace, or drop it once resolved. */
export function applyIncidentEvent(model, data) {
  const inc = data.incident;
  const rest = model.incidents.filter((i) => i.id !== inc.id);
  return withIncidents(model, inc.status === 'resolved' ? rest : [inc, ...rest]);
}

/**
 * Keeps a sample as its cell's latest and returns the cell's key. It changes the model in place:
 * at 1,000 streams samples arrive at 10,000 a second, and copying a model per sample would cost
 * more than drawing; the page redraws the cells named by the returned keys once per frame.
 */
export function applySample(model, s) {
  const key = cellKey(s.stream, s.line, s.region);
  model.latest.set(key, s);
  return key;
}

export function cellKey(stream, line, region) {
  return `${stream}/${line}/${region}`;
}

/** Every region named in any stream's health (column order of the grid), as of the last `state`. */
export function regionsOf(model) {
  return model.regions;
}

function regionsIn(streams) {
  const set = new Set();
  for (const s of streams) for (const regions of Object.values(s.health ?? {})) for (const r of Object.keys(regions)) set.add(r);
  return [...set].sort();
}

/**
 * A cell's level: the worst of the region's level and any open incident on the line (a line- or
 * stream-wide incident paints every region; a regional one only its regions). `unknown` when the
 * line was never seen in that region.
 */
export function cellLevel(model, stream, line, region) {
  const h = model.byId.get(stream)?.health?.[line]?.[region];
  let level = h ? h.level : 'unknown';
  for (const i of model.byLine.get(`${stream}/${line}`) ?? []) {
    if ((i.scope === 'regional' || i.scope === 'single-probe') && !(region in (i.regions ?? {}))) continue;
    const l = i.severity === 'P0' || i.severity === 'P1' ? 'down' : 'degraded';
    if (RANK[l] > RANK[level]) level = l;
  }
  return level;
}

/** Since when (hub clock) the region has been at its level, if the hub has said. */
export function cellSince(model, stream, line, region) {
  return model.byId.get(stream)?.health?.[line]?.[region]?.since;
}

/** The worse of two levels. */
export function worse(a, b) {
  return RANK[b] > RANK[a] ? b : a;
}

/**
 * A stream's feature modules as `[name, enabled]`, sorted: `state` carries only the flags that
 * differ from the default (absent = enabled), so the names the policy knows come separately.
 */
export function featureFlags(served, knownNames) {
  const names = new Set([...knownNames, ...Object.keys(served ?? {})]);
  return [...names].sort().map((f) => [f, served?.[f] ?? true]);
}
