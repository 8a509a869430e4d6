import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/common/event-bus.ts';
import { type IncidentChange } from '../../src/model/topics.ts';
import { formatIncidentLine } from '../../src/app/format.ts';
import type { Incident } from '../../src/model/incident.ts';
import { lineIncident } from '../helpers/incident.ts';

const incident: Incident = lineIncident(5000, { delayMs: 1800, regions: ['eu', 'us'] });

describe('EventBus', () => {
  it('delivers by topic and to onAny; a throwing listener does not stop the others', () => {
    const bus = new EventBus();
    const got: string[] = [];
    bus.on('incident.opened', () => {
      throw new Error('boom');
    });
    const off = bus.on('incident.opened', (c) => got.push(`opened ${c.incident.id}`));
    bus.onAny((topic) => got.push(`any ${topic}`));
    expect(bus.has('sample')).toBe(true); // onAny listens to everything
    bus.publish('incident.opened', { incident, entries: [] });
    off();
    bus.publish('incident.opened', { incident, entries: [] });
    expect(got).toEqual(['opened s1/primary/down@5000', 'any incident.opened', 'any incident.opened']);
  });
});

describe('formatIncidentLine', () => {
  const at = new Date(Date.UTC(2024, 0, 1));
  it('prints one line per change with severity, key, regions, delay and id', () => {
    const change: IncidentChange = { incident, entries: [], detectionDelayMs: 1800 };
    expect(formatIncidentLine('incident.opened', change, at)).toBe(
      '2024-01-01T00:00:00.000Z incident OPENED   P1 s1/primary/down  scope=line  regions=eu,us  detected 1.8 s after onset  id=s1/primary/down@5000',
    );
    const raised: IncidentChange = { incident: { ...incident, severity: 'P0' }, entries: [{ incidentId: incident.id, t: 6000, type: 'severity-raised', data: { from: 'P1', to: 'P0' } }] };
    expect(formatIncidentLine('incident.raised', raised, at)).toMatch(/incident RAISED +P1→P0 s1\/primary\/down/);
    const widened: IncidentChange = { incident, entries: [{ incidentId: incident.id, t: 6000, type: 'scope-changed', data: { from: 'regional', to: 'line', regions: ['eu', 'us'] } }] };
    expect(formatIncidentLine('incident.updated', widened, at)).toMatch(/incident UPDATED +P1 s1\/primary\/down  scope=regional→line  regions=eu,us/);
    const resolved: IncidentChange = { incident: { ...incident, status: 'resolved', resolvedAt: 65_000 }, entries: [] };
    expect(formatIncidentLine('incident.resolved', resolved, at)).toMatch(/RESOLVED .* after 60 s/);
    expect(formatIncidentLine('sample', change, at)).toBeUndefined();
  });
});
