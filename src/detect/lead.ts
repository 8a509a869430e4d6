import type { IncidentKind } from '../model/incident.ts';
import type { Severity } from '../model/severity.ts';

/**
 * The stream's lead incident: the one that carries the stream's severity (P0 when the whole
 * stream is down), so one outage is one P0 and one vendor ticket. The detector picks it when it
 * grades a stream down; the controller picks it, by the same rule, when an escalation raises the
 * stream (`leadOf` in src/incidents/manager.ts). Rule, among the stream's `down` incidents
 * (its `degraded` ones when no line is down):
 *   1. the one already carrying P0;
 *   2. else the one that opened first;
 *   3. else (a tie, or none opened yet) the first line in config order.
 */
export interface LeadCandidate {
  line: string;
  kind: IncidentKind;
  severity?: Severity;
  openedAt?: number;
}

export function pickLead<T extends LeadCandidate>(candidates: readonly T[], lineOrder: readonly string[]): T | undefined {
  const down = candidates.filter((c) => c.kind === 'down');
  const pool = down.length > 0 ? down : candidates.filter((c) => c.kind === 'degraded');
  const p0 = pool.find((c) => c.severity === 'P0');
  if (p0) return p0;
  const order = (line: string) => {
    const i = lineOrder.indexOf(line);
    return i < 0 ? lineOrder.length : i;
  };
  let lead: T | undefined;
  for (const c of pool) {
    if (!lead) lead = c;
    else if ((c.openedAt ?? Infinity) < (lead.openedAt ?? Infinity) || ((c.openedAt ?? Infinity) === (lead.openedAt ?? Infinity) && order(c.line) < order(lead.line))) lead = c;
  }
  return lead;
}
