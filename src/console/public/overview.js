// The overview above the grid: counts an on-call engineer reads first, which streams the grid
// shows (problems only or all, a search, an order) and the tab title. Pure: no DOM.
import { cellLevel, regionsOf, worse } from './grid-model.js';

const SEVERITIES = ['P0', 'P1', 'P2', 'P3'];
const SEVERITY_RANK = { P0: 0, P1: 1, P2: 2, P3: 3 };
const LEVEL_RANK = { down: 0, degraded: 1, ok: 2, unknown: 3 };

/**
 * A stream's level as its viewers feel it: the worst region of the line it serves; trouble on a
 * line it does not serve (a dead backup, a primary failed over from) makes it degraded at most.
 */
export function streamLevel(model, stream, regions = regionsOf(model)) {
  const s = model.byId.get(stream);
  if (!s) return 'unknown';
  let level = 'unknown';
  for (const line of s.lines) {
    for (const r of regions) {
      const l = cellLevel(model, stream, line, r);
      level = worse(level, line === s.active || l !== 'down' ? l : 'degraded');
    }
  }
  return level;
}

/**
 * Every stream's level, worked out once per model: the counts and the filter both need all of
 * them, and a model is replaced (never changed) when a level can change — samples change only
 * `latest`, which no level reads.
 */
const levelsByModel = new WeakMap();
function levelsOf(model) {
  let levels = levelsByModel.get(model);
  if (!levels) {
    const regions = regionsOf(model);
    levels = new Map(model.streams.map((s) => [s.id, streamLevel(model, s.id, regions)]));
    levelsByModel.set(model, levels);
  }
  return levels;
}

/** Each stream's worst open severity, once per model (see levelsOf). */
const severitiesByModel = new WeakMap();
function severitiesOf(model) {
  let worst = severitiesByModel.get(model);
  if (!worst) {
    worst = new Map();
    for (const i of model.incidents) {
      const had = worst.get(i.stream);
      if (i.stream !== undefined && (had === undefined || SEVERITY_RANK[i.severity] < SEVERITY_RANK[had])) worst.set(i.stream, i.severity);
    }
    severitiesByModel.set(model, worst);
  }
  return worst;
}

/**
 * { streams: {ok, degraded, down, unknown}, incidents: {P0…P3}, probes: {blind, impaired} }:
 * probes are counted by their own incidents (kind `blind` or `impaired`).
 */
export function overviewCounts(model) {
  const streams = { ok: 0, degraded: 0, down: 0, unknown: 0 };
  for (const level of levelsOf(model).values()) streams[level]++;
  const incidents = Object.fromEntries(SEVERITIES.map((p) => [p, 0]));
  const probes = { blind: new Set(), impaired: new Set() };
  for (const i of model.incidents) {
    incidents[i.severity]++;
    if ((i.kind === 'blind' || i.kind === 'impaired') && i.probe !== undefined) probes[i.kind].add(i.probe);
  }
  return { streams, incidents, probes: { blind: probes.blind.size, impaired: probes.impaired.size } };
}

/** "(2 P0/P1) streamguard": a background tab tells there is something to look at. */
export function pageTitle(counts) {
  const urgent = counts.incidents.P0 + counts.incidents.P1;
  return urgent > 0 ? `(${urgent} P0/P1) streamguard` : 'streamguard';
}

/**
 * The stream ids the grid shows, in order. `problemsOnly`: streams not ok (down, degraded) or
 * with an open incident or a pin; `query`: a case-insensitive part of the id or name; `sort`:
 * `severity` (worst incident, then worst level, then id) or `id`.
 */
export function visibleStreams(model, { problemsOnly, query, sort }) {
  const levels = levelsOf(model);
  const severities = severitiesOf(model);
  const q = query.trim().toLowerCase();
  const rows = [];
  for (const s of model.streams) {
    if (q && !s.id.toLowerCase().includes(q) && !(s.name ?? '').toLowerCase().includes(q)) continue;
    const level = levels.get(s.id);
    const severity = severities.get(s.id);
    if (problemsOnly && level !== 'down' && level !== 'degraded' && severity === undefined && !s.pin) continue;
    rows.push({ id: s.id, level, severity });
  }
  if (sort === 'severity') rows.sort((a, b) => (SEVERITY_RANK[a.severity] ?? 9) - (SEVERITY_RANK[b.severity] ?? 9) || LEVEL_RANK[a.level] - LEVEL_RANK[b.level] || a.id.localeCompare(b.id));
  else rows.sort((a, b) => a.id.localeCompare(b.id));
  return rows.map((r) => r.id);
}

/** One page of a list: `{ items, page, pages }`, the page clamped into range. */
export function pageOf(list, page, size) {
  const pages = Math.max(1, Math.ceil(list.length / size));
  const p = Math.min(Math.max(0, page), pages - 1);
  return { items: list.slice(p * size, (p + 1) * size), page: p, pages };
}
