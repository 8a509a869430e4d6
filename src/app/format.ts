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
  parts.push(`scope=${inc.scope}`);
  const regions = Object.keys(inc.regions);
  if (regions.length > 0) parts.push(`regions=${regions.join(',')}`);
  if (change.event?.cause) parts.push(`cause=${change.event.cause}`);
  if (change.detectionDelayMs !== undefined) parts.push(`detected ${secs(change.detectionDelayMs)} after onset`);
  if (topic === 'incident.resolved' && inc.resolvedAt !== undefined) parts.push(`after ${secs(inc.resolvedAt - inc.openedAt)}`);
  parts.push(`id=${inc.id}`);
  return parts.join('  ');
}
