import type { Incident, TimelineEntry } from '../../src/model/incident.ts';
import { SEVERITY_RANK, type Severity } from '../../src/model/severity.ts';

/**
 * One occurrence of an incident: from its `opened` or `reopened` timeline entry to the next
 * `resolved` (or still open). An incident reopened within the reopen window keeps its id, so an
 * id can hold a real fault's episode and a false one minutes later: the trust soak scores episodes.
 */
export interface Episode {
  incidentId: string;
  key: string;
  kind: Incident['kind'];
  scope: Incident['scope'];
  stream?: string;
  line?: string;
  /** Hub time of the opened/reopened entry. */
  startAt: number;
  endAt?: number;
  /** The highest severity within the episode (a blip lowered to P3 on clear still counts as what it was). */
  severity: Severity;
  /** Regions and rules that gave evidence during the episode. */
  regions: string[];
  rules: string[];
  /**
   * `own`: logged in this episode. `first-seen`: none was (a reopen logs only regions new to the
   * incident), so these are the incident's evidence as each region first saw it, maybe minutes before.
   */
  evidence: 'own' | 'first-seen';
}

const higher = (a: Severity, b: Severity): Severity => (SEVERITY_RANK[a] <= SEVERITY_RANK[b] ? a : b);

interface RegionSeenData {
  region?: string;
  reasons?: { rule?: string }[];
}

/** Splits an incident's timeline (oldest first, as the API answers; entries of one instant keep their order) into its episodes. */
export function incidentEpisodes(incident: Incident, timeline: readonly TimelineEntry[]): Episode[] {
  const episodes: Episode[] = [];
  const evidence = new Map<Episode, RegionSeenData[]>();
  let current: Episode | undefined;
  for (const entry of [...timeline].sort((a, b) => a.t - b.t)) {
    const data = entry.data as Record<string, unknown>;
    if (entry.type === 'opened' || entry.type === 'reopened') {
      if (current) current.endAt ??= entry.t;
      current = {
        incidentId: incident.id,
        key: incident.key,
        kind: incident.kind,
        scope: (data.scope as Incident['scope'] | undefined) ?? incident.scope,
        ...(incident.stream !== undefined && { stream: incident.stream }),
        ...(incident.line !== undefined && { line: incident.line }),
        startAt: entry.t,
        severity: (data.severity as Severity | undefined) ?? incident.severity,
        regions: [],
        rules: [],
        evidence: 'own',
      };
      episodes.push(current);
      evidence.set(current, []);
    } else if (!current) {
      continue;
    } else if (entry.type === 'severity-raised' && typeof data.to === 'string') {
      current.severity = higher(current.severity, data.to as Severity);
    } else if (entry.type === 'region-seen') {
      evidence.get(current)!.push(data as RegionSeenData);
    } else if (entry.type === 'resolved') {
      current.endAt ??= entry.t;
    }
  }
  for (const episode of episodes) {
    const seen = evidence.get(episode)!;
    const fallback = Object.entries(incident.regions).map(([region, r]) => ({ region, reasons: r.reasons }));
    const used = seen.length > 0 ? seen : fallback;
    episode.evidence = seen.length > 0 ? 'own' : 'first-seen';
    episode.regions = [...new Set(used.flatMap((s) => (s.region ? [s.region] : [])))].sort();
    episode.rules = [...new Set(used.flatMap((s) => (s.reasons ?? []).flatMap((r) => (r.rule ? [r.rule] : []))))].sort();
  }
  return episodes;
}
