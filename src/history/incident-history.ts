import type { Incident, IncidentKind, TimelineEntry } from '../model/incident.ts';
import type { Severity } from '../model/severity.ts';
import type { IncidentRepository } from '../store/ports.ts';

export interface IncidentHistoryFilter {
  from: number;
  to: number;
  stream?: string | undefined;
  /** Incidents whose peak severity is one of these. */
  severity?: readonly Severity[] | undefined;
  kind?: readonly IncidentKind[] | undefined;
  limit: number;
}

/** One incident of the history with what was done about it and how it ended. */
export interface IncidentRecord {
  incident: Incident;
  /** Its timeline's actions, oldest first: switches and features (controller), tickets, acks, notes, escalations. */
  actions: TimelineEntry[];
  /** Its timeline's last `resolved` entry: `cause` and `durationMs`, or `by`/`note`/`manual` for a resolve by hand. */
  resolution?: TimelineEntry;
}

export interface IncidentHistory {
  incidents: IncidentRecord[];
  /** More incidents matched than `limit` (or than the store hands out in one read). */
  truncated: boolean;
}

/** The timeline entries that are something done about the incident, not evidence of it. */
const ACTION_TYPES = new Set(['action', 'acknowledged', 'mitigating', 'note', 'escalated']);
/**
 * Read from the store per request, before the severity and kind filters: a range holding more
 * incidents than this answers the newest of them, marked truncated.
 */
const STORE_READ_MAX = 2000;

/** The incidents live within [from, to), newest opened first, with their actions and resolution. */
export async function incidentHistory(repo: Pick<IncidentRepository, 'history' | 'timeline'>, f: IncidentHistoryFilter): Promise<IncidentHistory> {
  const stored = await repo.history({ from: f.from, to: f.to, limit: STORE_READ_MAX, ...(f.stream !== undefined && { stream: f.stream }) });
  const matching = stored.filter((i) => (!f.severity || f.severity.includes(i.peakSeverity)) && (!f.kind || f.kind.includes(i.kind)));
  const incidents: IncidentRecord[] = [];
  for (const incident of matching.slice(0, f.limit)) {
    const timeline = await repo.timeline(incident.id);
    const resolution = timeline.filter((e) => e.type === 'resolved').at(-1);
    incidents.push({ incident, actions: timeline.filter((e) => ACTION_TYPES.has(e.type)), ...(incident.status === 'resolved' && resolution && { resolution }) });
  }
  return { incidents, truncated: matching.length > f.limit || stored.length === STORE_READ_MAX };
}
