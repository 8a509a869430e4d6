import type { DetectorState } from '../detect/detector.ts';
import { LEVEL_RANK } from '../model/severity.ts';
import type { IncidentView, StreamHealth } from './types.ts';
import type { Incident } from '../model/incident.ts';
import type { LineHealthSource } from './ports.ts';

/**
 * Per (line, region) health of one stream, read from the detector's views: the region's level is
 * the best among its probes that are not blind (as the grading does), `since` the earliest time
 * one of those probes reached that level, `content` when each of those probes holds it by content
 * checks alone. Lines without any view are absent ("not yet seen").
 */
export function streamHealth(state: DetectorState, stream: string): StreamHealth {
  // Without prototypes: a line or region may be named "constructor" or "toString".
  const out: StreamHealth = Object.create(null) as StreamHealth;
  const sv = state.streams.get(stream);
  if (!sv) return out;
  for (const [line, views] of sv.lines) {
    const regions: StreamHealth[string] = Object.create(null) as StreamHealth[string];
    for (const v of views) {
      const blind = state.probes.get(v.probe)?.blind;
      if (blind !== undefined && blind !== false) continue;
      const cur = regions[v.region];
      if (!cur || LEVEL_RANK[v.level] < LEVEL_RANK[cur.level]) {
        regions[v.region] = v.contentOnly ? { level: v.level, since: v.since, content: true } : { level: v.level, since: v.since };
      } else if (v.level === cur.level) {
        if (v.since < cur.since) cur.since = v.since;
        if (!v.contentOnly) delete cur.content;
      }
    }
    if (Object.keys(regions).length > 0) out[line] = regions;
  }
  return out;
}

/** The controller's view of line health, read live from the detector's state. */
export function detectorLineHealth(state: DetectorState): LineHealthSource {
  return {
    health: (stream) => streamHealth(state, stream),
    graceUntil: (stream) => state.streams.get(stream)?.graceUntil,
  };
}

/** An open incident in the policies' shape (rules = every rule seen in its evidence). */
export function incidentView(inc: Incident): IncidentView {
  const rules = new Set<string>();
  for (const r of Object.values(inc.regions)) for (const reason of r.reasons) rules.add(reason.rule);
  const v: IncidentView = { key: inc.key, id: inc.id, kind: inc.kind, severity: inc.severity, onset: inc.onset, rules: [...rules].sort() };
  if (inc.line !== undefined) v.line = inc.line;
  return v;
}
