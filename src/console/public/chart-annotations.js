// The stream page's chart markers: incidents (onset, resolved) and switches of the line served,
// placed as vertical lines with labels that never overlap (a label that would is moved down a lane).
// Pure: the page draws what this returns.
import { auditWords, isSwitch } from './action-words.js';
import { resolutionWords } from './history-model.js';

/**
 * Markers within [from, to), oldest first: `kind` is `incident` (its onset), `resolved` or
 * `switch`; `label` is what the chart writes beside the line.
 */
export function chartMarkers(incidentRecords, actions, range) {
  const out = [];
  for (const { incident: i, resolution } of incidentRecords) {
    const where = i.line ?? i.probe ?? '';
    out.push({ t: i.onset, kind: 'incident', severity: i.peakSeverity, label: `${i.peakSeverity} ${i.kind} ${where}`.trim() });
    if (i.resolvedAt !== undefined) out.push({ t: i.resolvedAt, kind: 'resolved', severity: i.peakSeverity, label: `resolved ${where}: ${resolutionWords(resolution) ?? ''}`.trim() });
  }
  for (const a of actions) if (isSwitch(a)) out.push({ t: a.t, kind: 'switch', label: auditWords(a) });
  return out.filter((m) => m.t >= range.from && m.t < range.to).sort((a, b) => a.t - b.t);
}

/**
 * The lane (0 = top row of labels) of each marker at pixel `x[i]`: the first lane whose last label
 * ends left of this one (labels are `widths[i]` px wide plus `gap`). Markers must be sorted by x.
 */
export function labelLanes(x, widths, gap = 4) {
  const ends = [];
  return x.map((xi, i) => {
    let lane = ends.findIndex((end) => end + gap <= xi);
    if (lane < 0) lane = ends.length;
    ends[lane] = xi + widths[i];
    return lane;
  });
}
