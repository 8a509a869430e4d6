import { describe, expect, it } from 'vitest';
import { applyIncidentEvent, applySample, applyState, cellLevel, cellSince, emptyModel, featureFlags, regionsOf } from '../../src/console/public/grid-model.js';

const state = (over: Record<string, unknown> = {}) => ({
  at: 1000,
  streams: [{ id: 's1', lines: ['primary', 'backup'], active: 'primary', health: { primary: { b: { level: 'ok', since: 1 }, a: { level: 'degraded', since: 7 } }, backup: { a: { level: 'ok', since: 1 } } }, features: {}, openIncidents: [] }],
  incidents: [],
  silences: [],
  ...over,
});
const incident = (over: Record<string, unknown>) => ({ id: 'i1', stream: 's1', line: 'backup', status: 'open', severity: 'P1', scope: 'line', regions: {}, openedAt: 5, ...over });

describe('console grid model', () => {
  it('regions are the union of every line, sorted; a cell is its region level, unknown when never seen', () => {
    const m = applyState(emptyModel(), state());
    expect(regionsOf(m)).toEqual(['a', 'b']);
    expect(cellLevel(m, 's1', 'primary', 'a')).toBe('degraded');
    expect(cellSince(m, 's1', 'primary', 'a')).toBe(7);
    expect(cellLevel(m, 's1', 'backup', 'b')).toBe('unknown');
  });

  it('the hub clock offset comes from when the state arrived', () => {
    expect(applyState(emptyModel(), state(), 400).skewMs).toBe(600);
  });

  it('an open P1 paints its whole line down; a regional one only its regions; resolved drops it', () => {
    let m = applyState(emptyModel(), state());
    m = applyIncidentEvent(m, { change: 'opened', incident: incident({}) });
    expect(cellLevel(m, 's1', 'backup', 'a')).toBe('down');
    expect(cellLevel(m, 's1', 'backup', 'b')).toBe('down');
    m = applyIncidentEvent(m, { change: 'updated', incident: incident({ severity: 'P2', scope: 'regional', regions: { a: {} } }) });
    expect(m.incidents).toHaveLength(1);
    expect(cellLevel(m, 's1', 'backup', 'a')).toBe('degraded');
    expect(cellLevel(m, 's1', 'backup', 'b')).toBe('unknown');
    m = applyIncidentEvent(m, { change: 'resolved', incident: incident({ status: 'resolved' }) });
    expect(m.incidents).toEqual([]);
    expect(cellLevel(m, 's1', 'backup', 'a')).toBe('ok');
  });

  it('a sample becomes its cell latest in place (no copy per sample) and a new state keeps them', () => {
    const m = applyState(emptyModel(), state());
    const latest = m.latest;
    expect(applySample(m, { stream: 's1', line: 'primary', region: 'a', stallMs: 1 })).toBe('s1/primary/a');
    applySample(m, { stream: 's1', line: 'primary', region: 'a', stallMs: 2 });
    expect(m.latest.get('s1/primary/a')).toMatchObject({ stallMs: 2 });
    expect(applyState(m, state()).latest).toBe(latest);
  });

  it('feature flags: every known feature, enabled unless the state says otherwise, plus flags the state alone names', () => {
    expect(featureFlags({}, ['gifts', 'co-hosting'])).toEqual([['co-hosting', true], ['gifts', true]]);
    expect(featureFlags({ gifts: false, beauty: false }, ['gifts'])).toEqual([['beauty', false], ['gifts', false]]);
    expect(featureFlags(undefined, [])).toEqual([]);
  });
});
