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
 * Where each marker's label goes: right of its line at pixel `x[i]` (`widths[i]` px wide), or left
 * of it when it would run past `right`; in the first lane (0 = top row of labels) where it overlaps
 * no other label (`gap` px apart).
 */
export function placeLabels(x, widths, right, gap = 4) {
  const lanes = [];
  return x.map((xi, i) => {
    const w = widths[i];
    const start = xi + gap + w > right ? xi - gap - w : xi + gap;
    const clear = (lane) => lane.every(([a, b]) => start + w + gap <= a || b + gap <= start);
    let lane = lanes.findIndex(clear);
    if (lane < 0) lane = lanes.push([]) - 1;
    lanes[lane].push([start, start + w]);
    return { lane, start };
  });
}
