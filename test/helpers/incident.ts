import type { Incident, RegionSeen } from '../../src/model/incident.ts';

/**
 * A valid incident (IncidentSchema): s1/primary down, opened at `openedAt`, detected
 * `delayMs` after its onset, seen down from each of `regions` (probe `p-<region>`).
 */
export function lineIncident(openedAt: number, opts: { delayMs?: number; regions?: readonly string[] } = {}, over: Partial<Incident> = {}): Incident {
  const delayMs = opts.delayMs ?? 2000;
  const onset = openedAt - delayMs;
  const regions: Record<string, RegionSeen> = {};
  for (const r of opts.regions ?? ['eu']) regions[r] = { probe: `p-${r}`, firstSeen: onset, firstSeenAt: openedAt, level: 'down', reasons: [] };
  return {
    id: `s1/primary/down@${openedAt}`,
    key: 's1/primary/down',
    kind: 'down',
    stream: 's1',
    line: 'primary',
    status: 'open',
    severity: 'P1',
    peakSeverity: 'P1',
    scope: 'line',
    onset,
    openedAt,
    detectionDelayMs: delayMs,
    updatedAt: openedAt,
    reopenCount: 0,
    regions,
    ...over,
  };
}
