import { describe, expect, it } from 'vitest';
import type { IncidentEvent, RegionEvidence } from '../../src/model/incident.ts';
import type { Severity } from '../../src/model/severity.ts';
import { applyIncident, openIncident, type LifecycleInput } from '../../src/incidents/lifecycle.ts';
import { type Incident, type TimelineEntry } from '../../src/model/incident.ts';

const KEY = 's1/primary/down';

function region(name: string, onset: number): RegionEvidence {
  return { region: name, probe: `p-${name}`, level: 'down', onset, seenAt: onset + 100, reasons: [{ rule: 'disconnected', metric: 'disconnected', value: 1, threshold: 0.5, yields: 'down', since: onset }] };
}

function ev(type: IncidentEvent['type'], severity: Severity, at: number, regions: RegionEvidence[] = [region('eu', 4000)], extra: Partial<IncidentEvent> = {}): IncidentEvent {
  return { type, key: KEY, kind: 'down', severity, scope: 'line', stream: 's1', line: 'primary', onset: 4000, at, openedAt: 4100, regions, ...extra };
}
const det = (e: IncidentEvent): LifecycleInput => ({ type: 'detector', event: e });

/** Applies inputs in order; returns the last incident and every timeline entry type (and `created` flags). */
function play(steps: [LifecycleInput, number][], start?: Incident): { inc: Incident; types: string[]; entries: TimelineEntry[]; created: boolean[]; rejected: string[] } {
  let inc = start;
  const entries: TimelineEntry[] = [];
  const created: boolean[] = [];
  const rejected: string[] = [];
  for (const [input, now] of steps) {
    const r = applyIncident(inc, input, now);
    inc = r.incident;
    entries.push(...r.entries);
    created.push(r.created);
    if (r.rejected) rejected.push(r.rejected);
  }
  return { inc: inc!, types: entries.map((e) => e.type), entries, created, rejected };
}

describe('incident lifecycle', () => {
  it('opens from a detector event with detection delay and first-seen per region', () => {
    const r = openIncident(ev('open', 'P1', 4100), 4100);
    expect(r.created).toBe(true);
    expect(r.incident).toMatchObject({ id: 's1/primary/down@4100', status: 'open', severity: 'P1', peakSeverity: 'P1', onset: 4000, openedAt: 4100, detectionDelayMs: 100, reopenCount: 0 });
    expect(r.incident.regions).toEqual({ eu: { probe: 'p-eu', firstSeen: 4000, firstSeenAt: 4100, level: 'down', reasons: [expect.objectContaining({ rule: 'disconnected' })] } });
    expect(r.entries.map((e) => [e.type, e.t])).toEqual([
      ['opened', 4100],
      ['region-seen', 4100],
    ]);
    expect(r.entries[0]!.data).toEqual({ severity: 'P1', scope: 'line', onset: 4000, detectionDelayMs: 100 });
  });

  it('records a region named like an Object property ("constructor") as any other', () => {
    const r = play([
      [det(ev('open', 'P1', 4100)), 4100],
      [det(ev('update', 'P1', 4200, [region('eu', 4000), region('constructor', 4150)])), 4200],
    ]);
    expect(Object.keys(r.inc.regions)).toEqual(['eu', 'constructor']);
    expect(r.types.filter((t) => t === 'region-seen')).toHaveLength(2);
  });

  it('open → acknowledged → mitigating → resolved, each with a timeline entry and actions recorded', () => {
    const { inc, types, rejected } = play([
      [det(ev('open', 'P1', 4100)), 4100],
      [{ type: 'acknowledge', by: 'alice', note: 'looking' }, 5000],
      [{ type: 'action', by: 'policy:failover', action: 'switch-line', detail: { from: 'primary', to: 'backup' } }, 5200],
      [{ type: 'mitigate', by: 'alice', action: 'failover' }, 5300],
      [det(ev('clear', 'P1', 20_000)), 20_000],
    ]);
    expect(rejected).toEqual([]);
    expect(types).toEqual(['opened', 'region-seen', 'acknowledged', 'action', 'mitigating', 'resolved']);
    expect(inc).toMatchObject({ status: 'resolved', acknowledgedAt: 5000, mitigatingAt: 5300, resolvedAt: 20_000, severity: 'P1' });
  });

  it('severity raised and lowered, one timeline event each; peak kept', () => {
    const { inc, entries } = play([
      [det(ev('open', 'P1', 4100)), 4100],
      [det(ev('raise', 'P0', 7100, [region('eu', 4000)], { cause: 'stream-down' })), 7100],
      [det(ev('lower', 'P1', 12_100)), 12_100],
      [det(ev('update', 'P1', 12_200)), 12_200],
    ]);
    expect(entries.filter((e) => e.type.startsWith('severity')).map((e) => [e.type, e.t, e.data])).toEqual([
      ['severity-raised', 7100, { from: 'P1', to: 'P0', cause: 'stream-down' }],
      ['severity-lowered', 12_100, { from: 'P0', to: 'P1' }],
    ]);
    expect(inc).toMatchObject({ severity: 'P1', peakSeverity: 'P0', status: 'open' });
  });

  it('a change of scope is a timeline entry: regional → line when every region sees it, back when one recovers first', () => {
    const regional = { scope: 'regional' as const };
    const { inc, entries } = play([
      [det(ev('open', 'P1', 4100, [region('eu', 4000)], regional)), 4100],
      [det(ev('update', 'P1', 5100, [region('eu', 4000), region('us', 5000)])), 5100],
      // no new region, only the reach: us was seen before, it recovered and went down again
      [det(ev('update', 'P1', 9100, [region('eu', 4000)], regional)), 9100],
      [det(ev('update', 'P1', 12_100, [region('eu', 4000), region('us', 5000)])), 12_100],
      [det(ev('update', 'P1', 13_100, [region('eu', 4000), region('us', 5000)])), 13_100],
    ]);
    expect(entries.filter((e) => e.type === 'scope-changed').map((e) => [e.t, e.data])).toEqual([
      [5100, { from: 'regional', to: 'line', regions: ['eu', 'us'] }],
      [9100, { from: 'line', to: 'regional', regions: ['eu'] }],
      [12_100, { from: 'regional', to: 'line', regions: ['eu', 'us'] }],
    ]);
    expect(inc.scope).toBe('line');
  });

  it('keeps the widest scope it reached: the last region to recover narrows the scope, not what the incident was', () => {
    const regional = { scope: 'regional' as const };
    const { inc } = play([
      [det(ev('open', 'P1', 4100, [region('eu', 4000)], regional)), 4100],
      [det(ev('update', 'P1', 5100, [region('eu', 4000), region('us', 5000)])), 5100],
      [det(ev('update', 'P1', 9100, [region('us', 5000)], regional)), 9100],
      [det(ev('clear', 'P1', 10_100, [region('us', 5000)], regional)), 10_100],
    ]);
    expect(inc).toMatchObject({ status: 'resolved', scope: 'regional', peakScope: 'line' });
  });

  it('keeps the first-seen time of each region once, in arrival order', () => {
    const { inc, entries } = play([
      [det(ev('open', 'P1', 4100, [region('eu', 4000)])), 4100],
      [det(ev('update', 'P1', 4150, [region('eu', 4000), region('us', 49_000)])), 4150],
      [det(ev('update', 'P1', 5100, [region('us', 49_000), region('ap', -26_000)])), 5100],
      [det(ev('update', 'P1', 6100, [region('eu', 5000)])), 6100],
    ]);
    expect(Object.entries(inc.regions).map(([r, s]) => [r, s.firstSeen, s.firstSeenAt])).toEqual([
      ['eu', 4000, 4100],
      ['us', 49_000, 4150],
      ['ap', -26_000, 5100],
    ]);
    expect(entries.filter((e) => e.type === 'region-seen')).toHaveLength(3);
  });

  it('a blip clear lowers to P3, then resolves', () => {
    const { inc, types } = play([
      [det(ev('open', 'P1', 4100)), 4100],
      [det(ev('clear', 'P3', 6100, undefined, { cause: 'blip', previous: 'P1' })), 6100],
    ]);
    expect(types).toEqual(['opened', 'region-seen', 'severity-lowered', 'resolved']);
    expect(inc).toMatchObject({ status: 'resolved', severity: 'P3', peakSeverity: 'P1' });
  });

  it.each([
    ['reopens a relapse within the window (2 min by default)', 20_000 + 120_000, false, 'open', 1],
    ['opens a new incident for a fault after the window (3 min later)', 20_000 + 180_000, true, 'open', 0],
    ['opens a new incident just past the window', 20_000 + 120_001, true, 'open', 0],
  ])('%s', (_name, again, isNew, status, reopenCount) => {
    const first = play([
      [det(ev('open', 'P1', 4100)), 4100],
      [{ type: 'acknowledge', by: 'bob' }, 4200],
      [det(ev('clear', 'P1', 20_000)), 20_000],
    ]).inc;
    const r = applyIncident(first, det(ev('open', 'P2', again)), again);
    expect(r.created).toBe(isNew);
    expect(r.incident).toMatchObject({ status, reopenCount, severity: 'P2' });
    if (isNew) {
      expect(r.incident.id).toBe(`${KEY}@${again}`);
      expect(r.entries.map((e) => e.type)).toEqual(['opened', 'region-seen']);
    } else {
      expect(r.incident.id).toBe(first.id);
      expect(r.incident.acknowledgedAt).toBeUndefined();
      expect(r.entries.map((e) => e.type)).toEqual(['reopened', 'severity-lowered']);
      expect(r.entries[0]!.data).toMatchObject({ afterMs: 120_000, reopenCount: 1 });
    }
  });

  it.each<[string, LifecycleInput[], string]>([
    ['acknowledge twice', [{ type: 'acknowledge', by: 'a' }, { type: 'acknowledge', by: 'a' }], 'cannot acknowledge a acknowledged incident'],
    ['acknowledge while mitigating', [{ type: 'mitigate', by: 'a' }, { type: 'acknowledge', by: 'a' }], 'cannot acknowledge a mitigating incident'],
    ['mitigate a resolved incident', [{ type: 'resolve', by: 'a' }, { type: 'mitigate', by: 'a' }], 'cannot mitigate a resolved incident'],
    ['resolve twice', [{ type: 'resolve', by: 'a' }, { type: 'resolve', by: 'a' }], 'already resolved'],
    ['lower a resolved incident', [{ type: 'resolve', by: 'a' }, det(ev('lower', 'P2', 9000))], 'incident is resolved'],
    ['an event for another key', [det(ev('update', 'P1', 9000, undefined, { key: 'other/x/down' }))], 'event for other/x/down applied to s1/primary/down'],
  ])('rejects: %s', (_name, inputs, why) => {
    const opened = openIncident(ev('open', 'P1', 4100), 4100).incident;
    const { inc, rejected } = play(inputs.map((i, n) => [i, 5000 + n]), opened);
    expect(rejected).toEqual([why]);
    // the rejected input left the incident exactly as the inputs before it did
    const before = play(inputs.slice(0, -1).map((i, n) => [i, 5000 + n]), opened).inc;
    expect(inc).toEqual(before);
  });

  it('mitigating directly from open counts as acknowledged', () => {
    const { inc } = play([
      [det(ev('open', 'P1', 4100)), 4100],
      [{ type: 'mitigate', by: 'policy:failover' }, 4300],
    ]);
    expect(inc).toMatchObject({ status: 'mitigating', acknowledgedAt: 4300, mitigatingAt: 4300 });
  });

  it('a manual resolve, then the detector clear is recorded without changing the resolution', () => {
    const { inc, types } = play([
      [det(ev('open', 'P1', 4100)), 4100],
      [{ type: 'resolve', by: 'alice', note: 'vendor fixed' }, 9000],
      [det(ev('clear', 'P1', 11_000)), 11_000],
    ]);
    expect(types).toEqual(['opened', 'region-seen', 'resolved', 'cleared']);
    expect(inc).toMatchObject({ status: 'resolved', resolvedAt: 9000 });
  });

  it('a resolve with a cause (its stream left the config) says so on the timeline, not as a manual resolve', () => {
    const { inc, entries } = play([
      [det(ev('open', 'P1', 4100)), 4100],
      [{ type: 'resolve', by: 'config', cause: 'removed-from-config', note: 'stream "s1" was removed from the config' }, 9000],
    ]);
    expect(inc).toMatchObject({ status: 'resolved', resolvedAt: 9000 });
    expect(entries.at(-1)).toEqual({ incidentId: inc.id, t: 9000, type: 'resolved', data: { by: 'config', cause: 'removed-from-config', note: 'stream "s1" was removed from the config' } });
  });

  it('is pure and JSON-plain: inputs untouched, output survives a JSON round trip', () => {
    const opened = openIncident(ev('open', 'P1', 4100), 4100).incident;
    const snapshot = JSON.stringify(opened);
    const r = applyIncident(opened, det(ev('raise', 'P0', 7000, [region('eu', 4000), region('us', 4000)])), 7000);
    expect(JSON.stringify(opened)).toBe(snapshot);
    expect(r.incident).not.toBe(opened);
    expect(JSON.parse(JSON.stringify(r.incident))).toEqual(r.incident);
    expect(JSON.parse(JSON.stringify(r.entries))).toEqual(r.entries);
  });

  it('only a detector event can create an incident', () => {
    expect(() => applyIncident(undefined, { type: 'acknowledge', by: 'a' }, 1)).toThrow(/no incident/);
    expect(applyIncident(undefined, det(ev('open', 'P2', 1)), 1).created).toBe(true);
  });
});

describe('escalation by the controller (a severity floor for the life of the incident)', () => {
  const escalate = (severity: Severity, reason: string): LifecycleInput => ({ type: 'escalate', by: 'policy:failover', severity, reason });

  it('raises to the escalation, records who and why, and the detector cannot lower it while open', () => {
    const r = play([
      [det(ev('open', 'P1', 4100)), 4100],
      [escalate('P0', 'no-healthy-line'), 5000],
      [det(ev('update', 'P1', 6000, [region('eu', 4000), region('us', 5500)])), 6000],
      [det(ev('lower', 'P2', 7000)), 7000],
      [escalate('P1', 'flapping'), 8000],
    ]);
    expect(r.inc).toMatchObject({ severity: 'P0', peakSeverity: 'P0', escalation: { severity: 'P0', by: 'policy:failover', reason: 'no-healthy-line', at: 5000 } });
    expect(r.entries.find((e) => e.type === 'escalated')!.data).toMatchObject({ by: 'policy:failover', severity: 'P0', reason: 'no-healthy-line', from: 'P1' });
    expect(r.entries.find((e) => e.type === 'severity-raised')!.data).toMatchObject({ from: 'P1', to: 'P0', by: 'policy:failover' });
    expect(r.types.filter((t) => t === 'severity-lowered')).toEqual([]);
  });

  it('an escalation below the current severity only records; the detector may raise past it', () => {
    const r = play([
      [det(ev('open', 'P2', 4100)), 4100],
      [escalate('P1', 'flapping'), 5000],
      [det(ev('raise', 'P0', 6000)), 6000],
      [det(ev('lower', 'P2', 7000)), 7000],
    ]);
    expect(r.inc.severity).toBe('P1');
    expect(r.types.filter((t) => t.startsWith('severity-'))).toEqual(['severity-raised', 'severity-raised', 'severity-lowered']);
  });

  it('ends with the incident: a clear resolves at the detector grade, a reopen starts without it; a resolved incident is refused', () => {
    const r = play([
      [det(ev('open', 'P1', 4100)), 4100],
      [escalate('P0', 'no-healthy-line'), 5000],
      [det(ev('clear', 'P1', 9000)), 9000],
      [escalate('P0', 'no-healthy-line'), 9500],
      [det(ev('open', 'P1', 12_000)), 12_000],
      [det(ev('lower', 'P2', 13_000)), 13_000],
    ]);
    expect(r.rejected).toEqual(['cannot escalate a resolved incident']);
    expect(r.inc).toMatchObject({ status: 'open', reopenCount: 1, reopenedAt: 12_000, openedAt: 4100, severity: 'P2', peakSeverity: 'P0' });
    expect(r.inc.escalation).toBeUndefined();
  });
});
