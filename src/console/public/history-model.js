// The history page's pure core: the history API's incidents → the rows the page lists, filtered and
// grouped (still open first, then resolved, each newest first). No DOM, no I/O.
import { timelineActionWords } from './action-words.js';

/** The time ranges the page offers, in ms. */
export const RANGES = { '1h': 3_600_000, '6h': 6 * 3_600_000, '24h': 24 * 3_600_000 };

/**
 * One incident record of GET /api/v1/history/incidents as a row: who, how bad, how far, since
 * when, for how long (until `now` while open), how it ended, what was done.
 */
export function historyRow(record, now) {
  const i = record.incident;
  const end = i.resolvedAt ?? now;
  return {
    id: i.id,
    severity: i.peakSeverity,
    kind: i.kind,
    stream: i.stream,
    line: i.line,
    probe: i.probe,
    // how far it reached (peakScope; older records: scope), as its regions are every region that saw it
    scope: i.peakScope ?? i.scope,
    regions: Object.keys(i.regions ?? {}).sort(),
    status: i.status,
    onset: i.onset,
    openedAt: i.openedAt,
    resolvedAt: i.resolvedAt,
    durationMs: end - i.openedAt,
    resolution: resolutionWords(record.resolution),
    did: record.actions.map((e) => ({ t: e.t, words: timelineActionWords(e) })),
  };
}

/** "cleared", "blip", "resolved by alice: fixed", "removed-from-config"; undefined while open. */
export function resolutionWords(entry) {
  if (!entry) return undefined;
  const d = entry.data ?? {};
  if (d.manual) return `resolved by ${d.by}${d.note ? `: ${d.note}` : ''}`;
  return String(d.cause ?? 'resolved');
}

/**
 * The rows matching the page's filters: `stream` (exact), `severity` (peak, exact) and `text`
 * (case-insensitive, anywhere in what the row shows); absent filters match everything.
 */
export function filterRows(rows, filter) {
  const text = filter.text?.trim().toLowerCase();
  return rows.filter(
    (r) =>
      (!filter.stream || r.stream === filter.stream) &&
      (!filter.severity || r.severity === filter.severity) &&
      (!text || searchText(r).includes(text)),
  );
}

/** The audit rows (GET /api/v1/history/actions) matching the same filters: stream, and text anywhere in the row. */
export function filterActions(actions, filter) {
  const text = filter.text?.trim().toLowerCase();
  return actions.filter((a) => (!filter.stream || a.stream === filter.stream) && (!text || JSON.stringify(a).toLowerCase().includes(text)));
}

/** Still open first, then resolved; each newest opened first. Empty groups are left out. */
export function groupRows(rows) {
  const newest = (a, b) => b.openedAt - a.openedAt;
  return [
    { title: 'still open', rows: rows.filter((r) => r.status !== 'resolved').sort(newest) },
    { title: 'resolved', rows: rows.filter((r) => r.status === 'resolved').sort(newest) },
  ].filter((g) => g.rows.length > 0);
}

/** The streams the rows name, sorted: the stream filter's choices. */
export function rowStreams(rows) {
  return [...new Set(rows.map((r) => r.stream).filter(Boolean))].sort();
}

function searchText(r) {
  return [r.id, r.severity, r.kind, r.stream, r.line, r.probe, r.scope, r.status, r.resolution, ...r.regions, ...r.did.map((d) => d.words)].filter(Boolean).join(' ').toLowerCase();
}
