import type { Sample } from '../model/sample.ts';
import type { IncidentChange, Topic } from '../model/topics.ts';

const VERB: Partial<Record<Topic, string>> = {
  'incident.opened': 'OPENED',
  'incident.reopened': 'REOPENED',
  'incident.raised': 'RAISED',
  'incident.lowered': 'LOWERED',
  'incident.resolved': 'RESOLVED',
  'incident.updated': 'UPDATED',
};

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/**
 * One readable line per incident change, for the console of `streamguard run`:
 *   incident OPENED   P1 show1/primary/down  scope=line regions=eu,us  detected 1.8 s after onset  id=show1/primary/down@1700000000000
 */
export function formatIncidentLine(topic: Topic, change: IncidentChange, at = new Date()): string | undefined {
  const verb = VERB[topic];
  if (!verb) return undefined;
  const inc = change.incident;
  const sev = change.entries.find((e) => e.type === 'severity-raised' || e.type === 'severity-lowered');
  const severity = sev ? `${String(sev.data.from)}→${String(sev.data.to)}` : inc.severity;
  const parts = [`${at.toISOString()} incident ${verb.padEnd(8)} ${severity.padEnd(2)} ${inc.key}`];
  const scope = change.entries.find((e) => e.type === 'scope-changed');
  parts.push(`scope=${scope ? `${String(scope.data.from)}→${String(scope.data.to)}` : inc.scope}`);
  const regions = Object.keys(inc.regions);
  if (regions.length > 0) parts.push(`regions=${regions.join(',')}`);
  if (change.event?.cause) parts.push(`cause=${change.event.cause}`);
  if (change.detectionDelayMs !== undefined) parts.push(`detected ${secs(change.detectionDelayMs)} after onset`);
  if (topic === 'incident.resolved' && inc.resolvedAt !== undefined) parts.push(`after ${secs(inc.resolvedAt - inc.openedAt)}`);
  parts.push(`id=${inc.id}`);
  return parts.join('  ');
}

/** One row of the status table: the latest Sample of one stream/line/region. */
export interface StatusRow {
  sample: Sample;
  /** The line the stream is served from (failover moves it). */
  active: boolean;
}

const rowKey = ({ sample: s }: StatusRow) => `${s.stream}/${s.line}/${s.region}`;
const byKey = (rows: readonly StatusRow[]) => [...rows].sort((a, b) => rowKey(a).localeCompare(rowKey(b)));

/**
 * What the status table says that matters, without the figures that change every window (fps,
 * stall, freeze): each line up or down (and why) and which line is active. The table is
 * reprinted when this changes.
 */
export function statusState(rows: readonly StatusRow[]): string {
  return byKey(rows)
    .map((r) => `${rowKey(r)} ${r.sample.connected ? 'up' : `down ${r.sample.error ?? ''}`}${r.active ? ' active' : ''}`)
    .join('\n');
}

/**
 * The status table, e.g.
 *   2024-01-01T00:00:00.000Z status (* = active line)
 *   * show1/primary/cn-east        up 25fps
 *     show1/backup/cn-east         DOWN refused
 */
export function formatStatusTable(rows: readonly StatusRow[], at = new Date()): string {
  const cell = (s: Sample) =>
    s.connected ? `up ${s.fps.toFixed(0)}fps${s.stallMs ? ` stall ${s.stallMs}ms` : ''}${s.freezeMs ? ` freeze ${s.freezeMs}ms` : ''}` : `DOWN ${s.error ?? ''}`;
  const lines = byKey(rows).map((r) => `${r.active ? '*' : ' '} ${rowKey(r).padEnd(28)} ${cell(r.sample)}`);
  return `${at.toISOString()} status (* = active line)\n${lines.join('\n')}\n`;
}
