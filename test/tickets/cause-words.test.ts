import { describe, expect, it } from 'vitest';
import type { Reason } from '../../src/model/incident.ts';
import { causeLines, reasonWords } from '../../src/tickets/cause-words.ts';
import { lineIncident } from '../helpers/incident.ts';

const reason = (metric: string, value: number, threshold: number): Reason => ({ rule: metric, metric, value, threshold, yields: 'degraded', since: 0 });

describe('the cause in words, with the figure against its threshold', () => {
  it.each([
    [reason('disconnected', 1, 0.5), 'not connected'],
    [reason('stallRatio', 1, 0.95), 'no new media for 100 % of the window (threshold 95 %)'],
    [reason('freezeMs', 800, 500), 'picture frozen for 800 ms per window (threshold 500 ms)'],
    [reason('fpsRatio', 0.5, 0.8), 'frame rate at 50 % of its nominal rate (threshold 80 %)'],
    [reason('latencyOverBudgetMs', 1200, 0), 'live latency 1.2 s over its budget (threshold 0 ms over)'],
    [reason('bitrateRatio', 0.12, 0.3), 'bitrate at 12 % of its usual level (threshold 30 %)'],
    [reason('heightRatio', 0.5, 0.7), 'picture height at 50 % of its usual size (threshold 70 %)'],
    [reason('startupOverBudgetMs', 2500, 0), 'start-up 2.5 s over its budget (threshold 0 ms over)'],
    [reason('avSyncMs', 120, 90), 'sound 120 ms ahead of the picture (threshold 90 ms ahead)'],
    [reason('avSyncMs', -200, -185), 'sound 200 ms behind the picture (threshold 185 ms behind)'],
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
});
