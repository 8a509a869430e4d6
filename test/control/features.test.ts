import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, type Policy } from '../../src/control/config-schema.ts';
import { evaluateFeatures, pinFeature, unpinFeature, type Features } from '../../src/control/features.ts';
import type { Decision, IncidentView } from '../../src/control/types.ts';

const S = 's1';
const T = 1_000_000;
const policy: Policy = { ...DEFAULT_POLICY, features: { down: ['co-hosting'], latency: ['hd-transcode', 'co-hosting'], freeze: ['beauty-filter'], 'too-loud': ['audio-boost'] }, featureHoldOffMs: 30_000 };
const inc = (line: string, kind: 'down' | 'degraded', rules: string[], severity: IncidentView['severity'] = kind === 'down' ? 'P1' : 'P2'): IncidentView => ({ key: `${S}/${line}/${kind}`, line, kind, severity, onset: T - 2000, rules });
const summary = (ds: Decision[]) => ds.map((d) => (d.type === 'feature' ? `${d.feature} ${d.enabled ? 'on' : 'off'} ${d.reason}` : `${d.type} ${d.reason}`));

function run(steps: { at: number; incidents: IncidentView[]; active?: string }[], start: Features = {}) {
  let f = start;
  const out: string[][] = [];
  for (const s of steps) {
    const r = evaluateFeatures(f, { stream: S, active: s.active ?? 'primary', incidents: s.incidents }, policy, T + s.at);
    f = r.state;
    out.push(summary(r.decisions));
  }
  return { f, out };
}

describe('feature modules', () => {
  const cases: { name: string; incidents: IncidentView[]; active?: string; expect: string[] }[] = [
    { name: 'down on the active line → co-hosting off', incidents: [inc('primary', 'down', ['disconnected'])], expect: ['co-hosting off incident'] },
    { name: 'latency rule → hd-transcode and co-hosting off', incidents: [inc('primary', 'degraded', ['latency'])], expect: ['co-hosting off incident', 'hd-transcode off incident'] },
    { name: 'incident on a line not in use → nothing', incidents: [inc('backup', 'down', ['disconnected'])], expect: [] },
    { name: 'stream-wide P0 on another line → counts', incidents: [inc('backup', 'down', ['disconnected'], 'P0')], expect: ['co-hosting off incident'] },
    { name: 'unmapped rule → nothing', incidents: [inc('primary', 'degraded', ['bitrate-collapse'])], expect: [] },
    { name: 'a content rule maps like any other: too loud → audio-boost off', incidents: [inc('primary', 'degraded', ['too-loud'])], expect: ['audio-boost off incident'] },
    { name: 'a black picture is down: features mapped to down go off', incidents: [inc('primary', 'down', ['black'])], expect: ['co-hosting off incident'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = evaluateFeatures({}, { stream: S, active: c.active ?? 'primary', incidents: c.incidents }, policy, T);
      expect(summary(r.decisions)).toEqual(c.expect);
    });
  }

  it('disable carries the incident and onset; re-enable after recovery + hold-off; a recurrence restarts the hold-off', () => {
    const d = inc('primary', 'degraded', ['freeze']);
    const { f, out } = run([
      { at: 0, incidents: [d] },
      { at: 1000, incidents: [d] },
      { at: 5000, incidents: [] }, // recovered: hold-off starts
      { at: 20_000, incidents: [d] }, // back within the hold-off
      { at: 25_000, incidents: [] },
      { at: 54_999, incidents: [] },
      { at: 55_000, incidents: [] },
    ]);
    expect(out).toEqual([['beauty-filter off incident'], [], [], [], [], [], ['beauty-filter on recovered']]);
    expect(f['beauty-filter']).toMatchObject({ enabled: true, by: 'policy' });
    const first = evaluateFeatures({}, { stream: S, active: 'primary', incidents: [d] }, policy, T).decisions[0]!;
    expect(first).toMatchObject({ incidentKey: 's1/primary/degraded', onset: T - 2000, policy: 'features' });
  });

  it('a failover away from the broken line lets the feature come back after the hold-off', () => {
    const d = inc('primary', 'down', ['disconnected']);
    const { out } = run([
      { at: 0, incidents: [d], active: 'primary' },
      { at: 1000, incidents: [d], active: 'backup' },
      { at: 31_000, incidents: [d], active: 'backup' },
    ]);
    expect(out).toEqual([['co-hosting off incident'], [], ['co-hosting on recovered']]);
  });

  it('operator pin forces a state until expiry, then the policy decides again', () => {
    const d = inc('primary', 'down', ['disconnected']);
    let r = evaluateFeatures({}, { stream: S, active: 'primary', incidents: [d] }, policy, T);
    r = pinFeature(r.state, S, { feature: 'co-hosting', enabled: true, until: T + 60_000, reason: 'VIP show, keep co-hosting', by: 'alice' }, T + 1000);
    expect(summary(r.decisions)).toEqual(['note pin-set', 'co-hosting on manual']);
    r = evaluateFeatures(r.state, { stream: S, active: 'primary', incidents: [d] }, policy, T + 30_000);
    expect(r.decisions).toEqual([]);
    r = evaluateFeatures(r.state, { stream: S, active: 'primary', incidents: [d] }, policy, T + 61_000);
    expect(summary(r.decisions)).toEqual(['note pin-expired', 'co-hosting off incident']);
  });

  it('operator disables a feature by hand; after the pin expires with no trigger it comes back', () => {
    let r = pinFeature({}, S, { feature: 'hd-transcode', enabled: false, until: T + 10_000, reason: 'cost', by: 'bob' }, T);
    expect(summary(r.decisions)).toEqual(['note pin-set', 'hd-transcode off manual']);
    r = evaluateFeatures(r.state, { stream: S, active: 'primary', incidents: [] }, policy, T + 5000);
    expect(r.decisions).toEqual([]);
    r = evaluateFeatures(r.state, { stream: S, active: 'primary', incidents: [] }, policy, T + 10_000);
    expect(summary(r.decisions)).toEqual(['note pin-expired', 'hd-transcode on pin-expired']);
    const pinned = pinFeature({}, S, { feature: 'hd-transcode', enabled: false, until: T + 10_000, reason: 'cost', by: 'bob' }, T).state;
    const un = unpinFeature(pinned, S, 'hd-transcode', 'bob', 'never mind');
    expect(summary(un.decisions)).toEqual(['note pin-cleared']);
    r = evaluateFeatures(un.state, { stream: S, active: 'primary', incidents: [] }, policy, T + 1000);
    expect(summary(r.decisions)).toEqual(['hd-transcode on recovered']);
  });
});
