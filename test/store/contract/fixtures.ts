import type { Incident, TimelineEntry } from '../../../src/model/incident.ts';
import type { Sample } from '../../../src/model/sample.ts';
import { lineIncident } from '../../helpers/incident.ts';

/** A valid incident (IncidentSchema) opened at `openedAt` on s1/primary. */
export function incident(openedAt: number, over: Partial<Incident> = {}): Incident {
  return lineIncident(openedAt, { delayMs: 1500 }, over);
}

export function entry(inc: Incident, t: number, type: string, data: Record<string, unknown> = {}): TimelineEntry {
  return { incidentId: inc.id, t, type, data };
}

export function sample(over: Partial<Sample>): Sample {
  return { probe: 'p1', region: 'r1', stream: 's1', line: 'primary', seq: 0, t: 0, windowMs: 1000, connected: true, fps: 25, bitrateBps: 1e6, maxGapMs: 40, stallMs: 0, freezeMs: 0, ...over };
}
