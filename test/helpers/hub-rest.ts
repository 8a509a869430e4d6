import type { Incident, TimelineEntry } from '../../src/model/incident.ts';
import type { Sample } from '../../src/model/sample.ts';
import { incidentEpisodes, type Episode } from './incident-episodes.ts';

/** The REST API's cap on a list (incidents `limit`, the audit query's `limit`). */
const LIST_MAX = 1000;
/** The sample history's cap per request. */
const SAMPLES_MAX = 50_000;

/** A switch the controller decided (an audit row `control.switch`). */
export interface SwitchRow {
  t: number;
  stream: string;
  from: string;
  to: string;
  actor: string;
  why: string;
  incidentId?: string;
}

interface AuditRow {
  t: number;
  actor: string;
  action: string;
  target: string;
  reason: string;
  data?: { action?: { id?: string; type?: string; stream?: string; from?: string; to?: string; why?: string; dryRun?: boolean; incidentId?: string } };
}

interface StateResult {
  streams: { id: string; health: Record<string, Record<string, { level: string }>> }[];
}

/**
 * What a soak or an end-to-end test reads from a hub process, through its public REST API only
 * (docs/api.md): the health of every view (state), every incident since the hub started with its
 * timeline, the samples, and the controller's switch decisions from the audit log. The audit query
 * answers the newest 1000 rows, so a long run polls it and merges the rows by action id.
 */
export class HubRest {
  private readonly switchesById = new Map<string, SwitchRow>();

  constructor(readonly url: string) {}

  private async get<T>(path: string): Promise<T> {
    const res = await fetch(`${this.url}${path}`);
    if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  private async command<T>(type: string, body: Record<string, unknown>): Promise<T> {
    const res = await fetch(`${this.url}/api/v1/commands/${type}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`POST /api/v1/commands/${type}: HTTP ${res.status} ${await res.text()}`);
    return ((await res.json()) as { result: T }).result;
  }

  /** `stream/line/region` → level, for every view the hub has seen. */
  async viewLevels(): Promise<Map<string, string>> {
    const { result } = await this.get<{ result: StateResult }>('/api/v1/state');
    const levels = new Map<string, string>();
    for (const s of result.streams) for (const [line, regions] of Object.entries(s.health)) for (const [region, h] of Object.entries(regions)) levels.set(`${s.id}/${line}/${region}`, h.level);
    return levels;
  }

  /** The keys of the incidents open on one line now. */
  async openOn(stream: string, line: string): Promise<string[]> {
    const { incidents } = await this.get<{ incidents: Incident[] }>(`/api/v1/incidents?status=open&limit=${LIST_MAX}`);
    return incidents.filter((i) => i.stream === stream && i.line === line).map((i) => i.key);
  }

  /** Every incident since the hub started (open and resolved), newest first; `total` counts past the list's cap. */
  async incidents(): Promise<{ total: number; incidents: Incident[] }> {
    return this.get<{ total: number; incidents: Incident[] }>(`/api/v1/incidents?status=all&limit=${LIST_MAX}`);
  }

  /** Every incident since the hub started, split into episodes; `truncated` when the hub had more than the list's cap. */
  async episodes(): Promise<{ episodes: Episode[]; incidents: number; truncated: boolean }> {
    const list = await this.incidents();
    const episodes: Episode[] = [];
    for (const incident of list.incidents) {
      const { timeline } = await this.get<{ timeline: TimelineEntry[] }>(`/api/v1/incidents/${encodeURIComponent(incident.id)}`);
      episodes.push(...incidentEpisodes(incident, timeline));
    }
    return { episodes, incidents: list.incidents.length, truncated: list.total > list.incidents.length };
  }

  /** Every raw sample of the streams in [from, to) (probe clock); `truncated` when a stream had more than one request holds. */
  async samples(streams: readonly string[], from: number, to: number): Promise<{ samples: Sample[]; truncated: boolean }> {
    const answers = await Promise.all(
      streams.map((s) => this.get<{ samples: Sample[]; truncated: boolean }>(`/api/v1/streams/${encodeURIComponent(s)}/samples?from=${from}&to=${to}&limit=${SAMPLES_MAX}`)),
    );
    return { samples: answers.flatMap((a) => a.samples), truncated: answers.some((a) => a.truncated) };
  }

  /** Reads the newest audit rows and keeps every acted (not dry-run) switch decision among them. */
  async pollSwitches(): Promise<void> {
    const { entries } = await this.command<{ entries: AuditRow[] }>('audit', { limit: LIST_MAX });
    for (const row of entries) {
      const a = row.data?.action;
      if (row.action !== 'control.switch' || !a?.id || a.dryRun || !a.stream || !a.from || !a.to) continue;
      this.switchesById.set(a.id, { t: row.t, stream: a.stream, from: a.from, to: a.to, actor: row.actor, why: a.why ?? row.reason, ...(a.incidentId !== undefined && { incidentId: a.incidentId }) });
    }
  }

  switches(): SwitchRow[] {
    return [...this.switchesById.values()].sort((a, b) => a.t - b.t);
  }
}
