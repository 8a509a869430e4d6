import type { IncidentRef } from './action.ts';
import type { IncidentSource } from './ports.ts';
import type { Decision } from './types.ts';

/**
 * The incident a decision belongs to. An escalation goes to the stream's lead incident (the
 * detector's lead rule); otherwise the decision's own incident key, and for a switch the down or
 * degraded incident of the line it leaves or the line it goes to.
 */
export function linkedIncident(d: Decision, incidents: Pick<IncidentSource, 'leadOf' | 'byDedupKey'>, lines: readonly string[]): IncidentRef | undefined {
  const s = d.stream;
  if (d.type === 'escalate') {
    const lead = incidents.leadOf(s, lines);
    if (lead) return { id: lead.id, key: lead.key };
  }
  const keys = [d.incidentKey];
  if (d.type === 'switch') keys.push(`${s}/${d.from}/down`, `${s}/${d.from}/degraded`, `${s}/${d.to}/down`, `${s}/${d.to}/degraded`);
  for (const key of keys) {
    if (key === undefined) continue;
    const inc = incidents.byDedupKey(key);
    if (inc) return { id: inc.id, key: inc.key };
  }
  return undefined;
}
