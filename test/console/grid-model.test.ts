import { describe, expect, it } from 'vitest';
import { applyIncidentEvent, applySample, applyState, cellLevel, emptyModel, featureFlags, regionsOf, SPARK_POINTS, sparkPoints } from '../../src/console/public/grid-model.js';

const state = (over: Record<string, unknown> = {}) => ({
  at: 1000,
  streams: [{ id: 's1', lines: ['primary', 'backup'], active: 'primary', health: { primary: { b: { level: 'ok', since: 1 }, a: { level: 'degraded', since: 1 } }, backup: { a: { level: 'ok', since: 1 } } }, features: {}, openIncidents: [] }],
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
    expect(cellLevel(m, 's1', 'backup', 'b')).toBe('unknown');
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

  it('samples keep the last SPARK_POINTS values per field, absent ones as gaps; a new state keeps them', () => {
    let m = emptyModel();
    for (let i = 0; i < SPARK_POINTS + 5; i++) m = applySample(m, { stream: 's1', line: 'primary', region: 'a', connected: true, stallMs: i, ...(i % 2 === 0 && { latencyMs: 100 }) });
    const s = m.series['s1/primary/a']!;
    expect(s.stallMs).toHaveLength(SPARK_POINTS);
    expect(s.stallMs.at(-1)).toBe(SPARK_POINTS + 4);
    expect(Number.isNaN(s.latencyMs[0])).toBe(true);
    expect(applyState(m, state()).series).toBe(m.series);
  });

  it('sparkPoints scales to the box, right-aligned, skipping gaps', () => {
    expect(sparkPoints([], 10, 10)).toBe('');
    expect(sparkPoints([NaN, 5, 10], 59, 10)).toBe('58.0,5.0 59.0,0.0');
  });

  it('feature flags: every known feature, enabled unless the state says otherwise, plus flags the state alone names', () => {
    expect(featureFlags({}, ['gifts', 'co-hosting'])).toEqual([['co-hosting', true], ['gifts', true]]);
    expect(featureFlags({ gifts: false, beauty: false }, ['gifts'])).toEqual([['beauty', false], ['gifts', false]]);
    expect(featureFlags(undefined, [])).toEqual([]);
  });
});
