import { describe, expect, it } from 'vitest';
import type { Reason } from '../../src/model/incident.ts';
import { causeLines, reasonWords } from '../../src/tickets/cause-words.ts';
import { buildMessage } from '../../src/tickets/message.ts';
import { lineIncident } from '../helpers/incident.ts';

const reason = (metric: string, value: number, threshold: number): Reason => ({ rule: metric, metric, value, threshold, yields: 'degraded', since: 0 });

describe('the cause in words, with the figure against its threshold', () => {
  it.each([
    [reason('disconnected', 1, 0.5), 'not connected'],
    [reason('stallRatio', 1, 0.95), 'no new media for 100 % of the window (threshold 95 %)'],
    [reason('freezeMs', 800, 500), 'picture frozen for 800 ms per window (threshold 500 ms)'],
    [{ ...reason('freezeRatio', 1, 0.5), forMs: 0, lastedMs: 1200 }, 'picture frozen for 1.2 s (unchanged for 1 s counts as frozen)'],
    [reason('freezeRatio', 0.8, 0.5), 'picture frozen for 80 % of the window (threshold 50 %)'],
    [reason('fpsRatio', 0.5, 0.8), 'frame rate at 50 % of its nominal rate (threshold 80 %)'],
    [reason('latencyOverBudgetMs', 1200, 0), 'live latency 1.2 s over its budget (threshold 0 ms over)'],
    [reason('bitrateRatio', 0.12, 0.3), 'bitrate at 12 % of its usual level (threshold 30 %)'],
    [reason('heightRatio', 0.5, 0.7), 'picture height at 50 % of its usual size (threshold 70 %)'],
    [reason('startupOverBudgetMs', 2500, 0), 'start-up 2.5 s over its budget (threshold 0 ms over)'],
    [reason('avSyncMs', 120, 90), 'sound 120 ms ahead of the picture (threshold 90 ms ahead)'],
    [reason('avSyncMs', -200, -185), 'sound 200 ms behind the picture (threshold 185 ms behind)'],
    [{ ...reason('blackRatio', 1, 0.9), forMs: 2000, lastedMs: 4000 }, 'black picture for 4 s (threshold 2 s)'],
    [reason('blackRatio', 1, 0.9), 'black picture for 100 % of the window (threshold 90 %)'],
    [{ ...reason('silenceRatio', 0.95, 0.9), forMs: 2000, lastedMs: 2500 }, 'audio silent (below −60 dBFS) for 2.5 s (threshold 2 s)'],
    [{ ...reason('loudnessLufs', -9, -14), op: '>' as const }, 'too loud: −9 LUFS short-term, limit −14 LUFS'],
    [{ ...reason('loudnessLufs', -41.26, -36), op: '<' as const }, 'too quiet: −41.3 LUFS short-term, limit −36 LUFS'],
    // inside the hysteresis band (not yet clear): the rule's side decides, not the figure
    [{ ...reason('loudnessLufs', -15, -14), op: '>' as const }, 'too loud: −15 LUFS short-term, limit −14 LUFS'],
    [reason('truePeakDbtp', 0.4, -1), 'true peak at 0.4 dBTP, limit −1 dBTP (the sound clips)'],
  ])('%o → %s', (r, words) => {
    expect(reasonWords(r)).toBe(words);
  });

  it('one line per region, with the error of its first bad sample', () => {
    const inc = lineIncident(1_700_000_002_000, { regions: ['us', 'eu'] });
    inc.regions.eu!.reasons = [reason('disconnected', 1, 0.5)];
    inc.regions.us!.reasons = [reason('stallRatio', 1, 0.95)];
    const timeline = [{ incidentId: inc.id, t: 1, type: 'region-seen', data: { region: 'eu', sample: { error: 'refused' } } }];
    expect(causeLines(inc, timeline)).toEqual([
      'eu (probe p-eu), since 2023-11-14 22:13:20 UTC: not connected — connection refused',
      'us (probe p-us), since 2023-11-14 22:13:20 UTC: no new media for 100 % of the window (threshold 95 %)',
    ]);
  });

  it("every line degraded alike (scope stream) reads as the source's fault, not a line's", () => {
    const inc = lineIncident(1_700_000_002_000, { regions: ['eu', 'us'] }, { key: 's1/primary/degraded', id: 's1/primary/degraded@1700000002000', kind: 'degraded', severity: 'P2', peakSeverity: 'P2', scope: 'stream', related: ['s1/backup/degraded'] });
    const m = buildMessage({ action: 'open', idempotencyKey: 'k', incident: inc, roles: {}, actions: [] });
    expect(m.summary).toMatch(/^Stream s1 plays degraded on every line \(primary, backup\) alike: the source's fault, not one line's; /);
  });

  it('a resolved incident says how far it reached with every region that saw it, not the scope of the last region to recover', () => {
    const inc = lineIncident(1_700_000_002_000, { regions: ['eu', 'us'] }, { status: 'resolved', resolvedAt: 1_700_000_030_000, scope: 'regional', peakScope: 'line' });
    const resolved = buildMessage({ action: 'resolve', idempotencyKey: 'k', incident: inc, roles: {}, actions: [] });
    expect(resolved.title).toBe('[P1] stream s1 line primary down (line: eu, us)');
    expect(resolved.summary).toContain('every region sees it (eu, us)');
    expect(resolved.summary).not.toContain('only');
  });

  it('an open incident that narrowed says what it reached and that some regions recovered, never "only" all of them', () => {
    const inc = lineIncident(1_700_000_002_000, { regions: ['eu', 'us'] }, { scope: 'regional', peakScope: 'line' });
    const m = buildMessage({ action: 'update', idempotencyKey: 'k', incident: inc, roles: {}, actions: [] });
    expect(m).toMatchObject({ scope: 'regional', narrowedFrom: 'line', title: '[P1] stream s1 line primary down (regional, was line: eu, us)' });
    expect(m.summary).toContain('every region saw it (eu, us); some of those regions see the line fine again (regional now)');
    expect(m.summary).not.toContain('only');
    // a P0 lowered when the backup came back: the line is still down everywhere, the other lines play
    const lowered = buildMessage({ action: 'update', idempotencyKey: 'k2', incident: { ...inc, scope: 'line', peakScope: 'stream' }, roles: {}, actions: [] });
    expect(lowered.summary).toContain("every region sees it (eu, us); the stream's other lines play again");
    // not narrowed: no "was"
    const plain = buildMessage({ action: 'update', idempotencyKey: 'k3', incident: { ...inc, peakScope: 'regional' }, roles: {}, actions: [] });
    expect(plain.narrowedFrom).toBeUndefined();
    expect(plain.title).toBe('[P1] stream s1 line primary down (regional: eu, us)');
  });
});
