import type { DetectorState } from '../detect/detector.ts';
import type { LineState } from '../detect/line-health.ts';
import { LEVEL_RANK } from '../model/severity.ts';
import type { IncidentView, RegionHealth, StreamHealth } from './types.ts';
import type { Incident } from '../model/incident.ts';
import type { LineHealthSource } from './ports.ts';

/**
 * Per (line, region) health of one stream, read from the detector's views: the region's level is
 * the best among its probes that are not blind (as the grading does), `since` the earliest time
 * one of those probes reached that level, `content` when each of those probes holds it by content
 * checks alone, `trustedSince`/`impaired` when those probes were starved since (their level is then
 * their last trusted one: no evidence of health for that time). Lines without any view are absent ("not yet seen").
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
        regions[v.region] = { level: v.level, since: v.since, ...(v.contentOnly && { content: true }), ...trust(v) };
      } else if (v.level === cur.level) {
        if (v.since < cur.since) cur.since = v.since;
        if (!v.contentOnly) delete cur.content;
        mergeTrust(cur, trust(v));
      }
    }
    if (Object.keys(regions).length > 0) out[line] = regions;
  }
  return out;
}

type Trust = Pick<RegionHealth, 'trustedSince' | 'impaired'>;

/** How far a view's level is trusted: its probe impaired now, or impaired after the level began. */
function trust(v: LineState): Trust {
  if (v.trustedSince !== v.trustedSince) return { impaired: true }; // NaN: impaired now
  return v.trustedSince > v.since ? { trustedSince: v.trustedSince } : {};
}

/** Two views of one level in a region: the region is trusted as far as its better-trusted view. */
function mergeTrust(cur: RegionHealth, t: Trust): void {
  if (t.impaired) return;
  if (cur.impaired) {
    delete cur.impaired;
    if (t.trustedSince !== undefined) cur.trustedSince = t.trustedSince;
  } else if (t.trustedSince === undefined) delete cur.trustedSince;
  else if (cur.trustedSince !== undefined) cur.trustedSince = Math.min(cur.trustedSince, t.trustedSince);
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
