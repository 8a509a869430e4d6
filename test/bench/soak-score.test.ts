import { describe, expect, it } from 'vitest';
import { percentile, scoreSoak, type ScriptedFault } from '../../bench/helpers/soak-score.ts';
import type { SwitchRow } from '../helpers/hub-rest.ts';
import { incidentEpisodes, type Episode } from '../helpers/incident-episodes.ts';
import type { Incident, TimelineEntry } from '../../src/model/incident.ts';

const incident = (over: Partial<Incident> = {}): Incident => ({
  id: 's1/primary/down@1000',
  key: 's1/primary/down',
  kind: 'down',
  stream: 's1',
  line: 'primary',
  status: 'resolved',
  severity: 'P3',
  peakSeverity: 'P1',
  scope: 'line',
  onset: 900,
  openedAt: 1000,
  detectionDelayMs: 100,
  updatedAt: 9000,
  reopenCount: 1,
  regions: { east: { probe: 'p-east', firstSeen: 900, firstSeenAt: 1000, level: 'down', reasons: [{ rule: 'disconnected', metric: 'disconnected', value: 1, threshold: 0.5, yields: 'down', since: 900 }] } },
  ...over,
});
const entry = (t: number, type: string, data: Record<string, unknown> = {}): TimelineEntry => ({ incidentId: 's1/primary/down@1000', t, type, data });

describe('incidentEpisodes', () => {
  it('splits a reopened incident into its occurrences, each with its own peak severity and evidence', () => {
    const timeline = [
      entry(1000, 'opened', { severity: 'P2', scope: 'line' }),
      entry(1000, 'region-seen', { region: 'east', reasons: [{ rule: 'stall' }] }),
      entry(2000, 'severity-raised', { from: 'P2', to: 'P1' }),
      entry(3000, 'severity-lowered', { from: 'P1', to: 'P3' }),
      entry(3000, 'resolved', { cause: 'blip' }),
      entry(8000, 'reopened', { severity: 'P2' }),
      entry(9000, 'resolved', { cause: 'cleared' }),
    ];
    const [first, second, ...rest] = incidentEpisodes(incident(), timeline);
    expect(rest).toEqual([]);
    expect(first).toMatchObject({ startAt: 1000, endAt: 3000, severity: 'P1', regions: ['east'], rules: ['stall'], evidence: 'own' });
    // No evidence logged in the second occurrence: the incident's first-seen evidence stands in, labelled so.
    expect(second).toMatchObject({ startAt: 8000, endAt: 9000, severity: 'P2', rules: ['disconnected'], evidence: 'first-seen' });
  });
});

const episode = (startAt: number, over: Partial<Episode> = {}): Episode => ({
  incidentId: `s1/primary/down@${startAt}`,
  key: 's1/primary/down',
  kind: 'down',
  scope: 'line',
  stream: 's1',
  line: 'primary',
  startAt,
  severity: 'P1',
  regions: ['east'],
  rules: ['disconnected'],
  evidence: 'own',
  ...over,
});
const fault: ScriptedFault = { label: 'kill s1/primary', kind: 'kill', stream: 's1', line: 'primary', startedAt: 10_000, endedAt: 40_000 };
const sw = (t: number, from: string, to: string, stream = 's1'): SwitchRow => ({ t, stream, from, to, actor: 'policy:failover', why: 'test' });
const base = { from: 0, to: 200_000, toleranceMs: 30_000, switches: [], tickets: [] };

describe('scoreSoak', () => {
  it('counts an episode inside a fault window as the fault\'s detection, and others as false by severity', () => {
    const score = scoreSoak({
      ...base,
      faults: [fault],
      episodes: [
        episode(5000, { severity: 'P2' }), // before the fault: false
        episode(11_000), // the detection, 1 s after the fault
        episode(65_000, { line: 'backup', severity: 'P3' }), // another line: false
        episode(69_000), // within end + tolerance: the fault's
        episode(75_000, { severity: 'P0' }), // after end + tolerance: false
        episode(300_000), // outside the measured window: not scored
      ],
    });
    expect(score.falseIncidents).toEqual({ P0: 1, P1: 0, P2: 1, P3: 1 });
    expect(score.trueEpisodes).toBe(2);
    expect(score.faults[0]).toMatchObject({ detected: true, delayMs: 1000 });
    expect(score.missed).toEqual([]);
  });

  it('takes the first episode of the kind the fault should be seen as for its detection; an earlier one of another kind is explained, not false', () => {
    const score = scoreSoak({ ...base, faults: [{ ...fault, detectedAs: 'down' }], episodes: [episode(10_500, { kind: 'degraded', severity: 'P2' }), episode(12_000)] });
    expect(score.faults[0]).toMatchObject({ detected: true, delayMs: 2000 });
    expect(score.falseEpisodes).toEqual([]);
  });

  it('reports a fault nothing opened for as missed, and one whose line already had such an incident open as masked', () => {
    const missed = scoreSoak({ ...base, faults: [fault], episodes: [episode(5000, { endAt: 6000 })] });
    expect(missed.missed.map((f) => f.label)).toEqual(['kill s1/primary']);
    expect(missed.masked).toEqual([]);
    expect(missed.detection.p95Ms).toBeNull();
    const masked = scoreSoak({ ...base, faults: [fault], episodes: [episode(5000, { endAt: 12_000 })] });
    expect(masked.missed).toEqual([]);
    expect(masked.masked.map((f) => f.label)).toEqual(['kill s1/primary']);
  });

  it('counts the failback that undoes a fault\'s switch as the fault\'s, and a switch outside any fault as false', () => {
    const score = scoreSoak({
      ...base,
      faults: [fault],
      episodes: [],
      switches: [sw(11_000, 'primary', 'backup'), sw(90_000, 'backup', 'primary'), sw(120_000, 'primary', 'backup'), sw(20_000, 'primary', 'backup', 's2')],
    });
    expect(score.falseSwitches.map((s) => `${s.stream}@${s.t}`)).toEqual(['s2@20000', 's1@120000']);
  });

  it('counts a desk ticket as false when its incident\'s episode at that time is false', () => {
    const score = scoreSoak({
      ...base,
      faults: [fault],
      episodes: [episode(11_000, { incidentId: 'a' }), episode(100_000, { incidentId: 'a' }), episode(150_000, { incidentId: 'b', key: 's2/primary/down', stream: 's2' })],
      tickets: [
        { id: 1, createdAt: 11_500, incidentId: 'a', subject: 'a' },
        { id: 2, createdAt: 150_500, incidentId: 'b', subject: 'b' },
        { id: 3, createdAt: 160_000, subject: 'no incident id' },
      ],
    });
    expect(score.falseTickets.map((t) => t.id)).toEqual([2, 3]);
  });

  it('takes nearest-rank percentiles', () => {
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(percentile([], 50)).toBeNull();
  });
});
