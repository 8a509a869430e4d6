import { describe, expect, it } from 'vitest';
import { auditWords, isSwitch, timelineActionWords } from '../../src/console/public/action-words.js';
import { filterActions, filterRows, groupRows, historyRow, resolutionWords, rowStreams, type IncidentRecordLike } from '../../src/console/public/history-model.js';

const record = (over: Partial<IncidentRecordLike['incident']> = {}, rest: Partial<IncidentRecordLike> = {}): IncidentRecordLike => ({
  incident: { id: 's1/primary/down@1000', kind: 'down', stream: 's1', line: 'primary', scope: 'line', status: 'resolved', peakSeverity: 'P1', onset: 900, openedAt: 1000, resolvedAt: 61_000, regions: { sg: {}, eu: {} }, ...over },
  actions: [
    { t: 1100, type: 'action', data: { by: 'policy:failover', action: 'switch', from: 'primary', to: 'backup' } },
    { t: 1200, type: 'action', data: { by: 'tickets', action: 'ticket-opened', vendor: 'desk', ref: 'T-7' } },
    { t: 1300, type: 'acknowledged', data: { by: 'alice' } },
  ],
  resolution: { t: 61_000, type: 'resolved', data: { cause: 'cleared', durationMs: 60_000 } },
  ...rest,
});

describe('console history model', () => {
  it('a record becomes a row: peak severity, sorted regions, duration, resolution and what was done in words', () => {
    expect(historyRow(record(), 99_000)).toEqual({
      id: 's1/primary/down@1000', severity: 'P1', kind: 'down', stream: 's1', line: 'primary', probe: undefined, scope: 'line', regions: ['eu', 'sg'], status: 'resolved',
      onset: 900, openedAt: 1000, resolvedAt: 61_000, durationMs: 60_000, resolution: 'cleared',
      did: [
        { t: 1100, words: 'switch primary → backup by policy:failover' },
        { t: 1200, words: 'ticket opened at desk (T-7)' },
        { t: 1300, words: 'acknowledged by alice' },
      ],
    });
  });

  it('the scope is how far it reached (peakScope), not where its last region recovered', () => {
    expect(historyRow(record({ scope: 'regional', peakScope: 'line' }), 99_000).scope).toBe('line');
  });

  it('an open incident lasts until now and has no resolution; a manual resolve names who', () => {
    const open = historyRow(record({ status: 'open', resolvedAt: undefined }, { resolution: undefined }), 31_000);
    expect(open).toMatchObject({ durationMs: 30_000, resolution: undefined });
    expect(resolutionWords({ t: 1, type: 'resolved', data: { by: 'bob', note: 'CDN fixed', manual: true } })).toBe('resolved by bob: CDN fixed');
  });

  it('filters by stream, severity and any text the row shows; groups still open first, newest first', () => {
    const rows = [
      historyRow(record(), 0),
      historyRow(record({ id: 's2/backup/degraded@2000', stream: 's2', line: 'backup', kind: 'degraded', peakSeverity: 'P2', openedAt: 2000 }, { actions: [] }), 0),
      historyRow(record({ id: 's1/backup/down@3000', line: 'backup', status: 'open', openedAt: 3000, resolvedAt: undefined }, { actions: [], resolution: undefined }), 5000),
    ];
    expect(filterRows(rows, { stream: 's1' }).map((r) => r.id)).toEqual(['s1/primary/down@1000', 's1/backup/down@3000']);
    expect(filterRows(rows, { severity: 'P2' }).map((r) => r.id)).toEqual(['s2/backup/degraded@2000']);
    expect(filterRows(rows, { text: ' T-7 ' }).map((r) => r.id)).toEqual(['s1/primary/down@1000']);
    expect(filterRows(rows, { text: 'SG' })).toHaveLength(3);
    expect(filterRows(rows, {})).toHaveLength(3);
    expect(groupRows(rows).map((g) => [g.title, g.rows.map((r) => r.openedAt)])).toEqual([
      ['still open', [3000]],
      ['resolved', [2000, 1000]],
    ]);
    expect(groupRows([])).toEqual([]);
    expect(rowStreams(rows)).toEqual(['s1', 's2']);
    const actions = [
      { t: 1, actor: 'alice', action: 'ws.ack', target: 's1/primary/down@1', reason: 'looking', stream: 's1' },
      { t: 2, actor: 'bob', action: 'ws.silence', target: 'sil-1', reason: 'maintenance' },
    ];
    expect(filterActions(actions, { stream: 's1' }).map((a) => a.t)).toEqual([1]);
    expect(filterActions(actions, { text: 'MAINT' }).map((a) => a.t)).toEqual([2]);
  });

  it('says audit rows in words and knows which ones switched the served line', () => {
    const sw = { t: 1, actor: 'policy:failover', action: 'control.switch', target: 'stream:s1 line:primary>backup', reason: 'down', data: { action: { from: 'primary', to: 'backup' } } };
    expect(auditWords(sw)).toBe('switch primary → backup');
    expect(isSwitch(sw)).toBe(true);
    expect(isSwitch({ ...sw, data: { action: { from: 'primary', to: 'backup', dryRun: true } } })).toBe(false);
    expect(auditWords({ t: 1, actor: 'alice', action: 'ws.feature', target: 's1', reason: 'r', data: { feature: 'gifts', enabled: false } })).toBe('feature gifts off');
    expect(auditWords({ t: 1, actor: 'alice', action: 'api.switch', target: 's1', reason: 'r', data: { line: 'backup' } })).toBe('switch to backup');
    expect(auditWords({ t: 1, actor: 'alice', action: 'ws.ack', target: 's1/primary/down@1', reason: 'r' })).toBe('ack');
    expect(timelineActionWords({ t: 1, type: 'note', data: { by: 'bob', note: 'looking' } })).toBe('note by bob: looking');
  });
});
