import { describe, expect, it } from 'vitest';
import { applyState, emptyModel } from '../../src/console/public/grid-model.js';
import { overviewCounts, pageOf, pageTitle, streamLevel, visibleStreams } from '../../src/console/public/overview.js';
import { pinView } from '../../src/console/public/pin-view.js';

const health = (primary: string, backup = 'ok') => ({ primary: { a: { level: primary, since: 1 } }, backup: { a: { level: backup, since: 1 } } });
const stream = (id: string, over: Record<string, unknown> = {}) => ({ id, lines: ['primary', 'backup'], active: 'primary', health: health('ok'), features: {}, openIncidents: [], ...over });
const model = () =>
  applyState(emptyModel(), {
    at: 0,
    streams: [
      stream('alpha'),
      stream('bravo', { name: 'Evening show', health: health('down'), active: 'backup' }),
      stream('charlie', { health: health('degraded') }),
      stream('delta', { health: health('ok', 'down') }),
      stream('echo', { active: 'backup', pin: { value: 'backup', until: 9, reason: 'test', by: 'alice', at: 1 }, health: health('ok', 'down') }),
    ],
    incidents: [
      { id: 'b', stream: 'bravo', line: 'primary', status: 'open', severity: 'P1', scope: 'line', regions: {}, openedAt: 2 },
      { id: 'c', stream: 'charlie', line: 'primary', status: 'open', severity: 'P2', scope: 'line', regions: {}, openedAt: 3 },
      { id: 'p', probe: 'p-eu', kind: 'blind', status: 'open', severity: 'P3', scope: 'probe', regions: {}, openedAt: 4 },
    ],
  });

describe('console overview', () => {
  it('a stream is as bad as the line it serves; trouble on the other line is degraded at most', () => {
    const m = model();
    expect(streamLevel(m, 'alpha')).toBe('ok');
    expect(streamLevel(m, 'bravo')).toBe('degraded');
    expect(streamLevel(m, 'delta')).toBe('degraded');
    expect(streamLevel(m, 'echo')).toBe('down');
  });

  it('counts streams by level, incidents by severity, probes by their own incidents; the title names P0/P1', () => {
    const counts = overviewCounts(model());
    expect(counts).toEqual({ streams: { ok: 1, degraded: 3, down: 1, unknown: 0 }, incidents: { P0: 0, P1: 1, P2: 1, P3: 1 }, probes: { blind: 1, impaired: 0 } });
    expect(pageTitle(counts)).toBe('(1 P0/P1) streamguard');
    expect(pageTitle({ ...counts, incidents: { P0: 0, P1: 0, P2: 4, P3: 0 } })).toBe('streamguard');
  });

  it('problems only leaves healthy streams out; worst severity first; search by id or name', () => {
    const m = model();
    expect(visibleStreams(m, { problemsOnly: true, query: '', sort: 'severity' })).toEqual(['bravo', 'charlie', 'echo', 'delta']);
    expect(visibleStreams(m, { problemsOnly: false, query: '', sort: 'id' })).toEqual(['alpha', 'bravo', 'charlie', 'delta', 'echo']);
    expect(visibleStreams(m, { problemsOnly: false, query: 'EVENING', sort: 'id' })).toEqual(['bravo']);
  });

  it('pages clamp into range', () => {
    expect(pageOf([1, 2, 3, 4, 5], 9, 2)).toEqual({ items: [5], page: 2, pages: 3 });
    expect(pageOf([], 0, 2)).toEqual({ items: [], page: 0, pages: 1 });
  });

  it('a pin says who, why, until when, and where its line is down', () => {
    const m = model();
    expect(pinView(m, 'alpha')).toBeUndefined();
    expect(pinView(m, 'echo')).toEqual({ line: 'backup', by: 'alice', reason: 'test', at: 1, until: 9, down: ['a'] });
  });
});
