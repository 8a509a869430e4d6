import { describe, expect, it } from 'vitest';
import { createDetector } from '../../src/detect/detector.ts';
import type { Sample } from '../../src/model/sample.ts';
import { brief, DOWN, Lab, sample, stream, type FaultOf } from './helpers.ts';

/**
 * Every line of every stream failing at once from one probe is that probe's fault (blind) unless
 * a witness — a probe of another region that is heard and not impaired — confirms the streams down.
 * Silent probes' views are stale and impaired probes' views are frozen: neither confirms nor refutes.
 * On its way there nothing is graded: a view going down on a probe that could turn out all-failing
 * is held back until the probe shows a view that is not down, its last view goes down, or a tick
 * one interval later.
 */

const STREAMS = ['s1', 's2', 's3'];
const CPU: Partial<Sample> = { impaired: 'cpu-pressure' };
const byRegion =
  (eu: Partial<Sample> | undefined | null, us: Partial<Sample> | undefined | null, ap: Partial<Sample> | undefined | null): FaultOf =>
  (_s, _l, region) =>
    region === 'eu' ? eu : region === 'us' ? us : ap;
const streamIncidents = (lab: Lab) => lab.active().filter((a) => !a.startsWith('probe/'));

describe('all-failing: one probe sees everything fail at once', () => {
  it('a lone probe: blind (nobody confirms), no stream incident on the way', () => {
    const lab = new Lab(STREAMS, [{ probe: 'p-eu', region: 'eu' }]);
    lab.run(2);
    expect(lab.run(1, () => DOWN)).toEqual(['3100 open probe/p-eu/blind P2']);
    expect(lab.run(5, () => DOWN)).toEqual([]);
    expect(lab.active()).toEqual(['probe/p-eu/blind P2 probe']);
    // it sees again (its views clear after 2 s): not blind, and nothing was graded against the streams
    expect(lab.run(3)).toEqual(['10500 clear probe/p-eu/blind P3 blip']);
  });

  it('a lone probe with allFailUnconfirmed: outage grades the total outage (P0 per stream)', () => {
    const lab = new Lab(STREAMS, [{ probe: 'p-eu', region: 'eu' }], { settings: { allFailUnconfirmed: 'outage' } });
    lab.run(2);
    lab.run(3, () => DOWN);
    expect(lab.active()).toEqual([
      's1/backup/down P1 line',
      's1/primary/down P0 stream',
      's2/backup/down P1 line',
      's2/primary/down P0 stream',
      's3/backup/down P1 line',
      's3/primary/down P0 stream',
    ]);
  });

  it('the other regions impaired: they confirm nothing, so the probe is blind', () => {
    const lab = new Lab(STREAMS);
    lab.run(2);
    lab.run(4, byRegion(DOWN, CPU, CPU));
    expect(lab.active()).toEqual(['probe/p-ap/impaired P3 probe', 'probe/p-eu/blind P2 probe', 'probe/p-us/impaired P3 probe']);
  });

  it('the other regions impaired with their views frozen down: still no confirmation', () => {
    const lab = new Lab(STREAMS);
    lab.run(2);
    // us and ap saw s1 go down before they were starved; eu sees everything fail
    lab.run(2, (s, _l, region) => (region !== 'eu' && s === 's1' ? DOWN : undefined));
    lab.run(4, byRegion(DOWN, CPU, CPU));
    expect(lab.active()).toContain('probe/p-eu/blind P2 probe');
    // s1 stays as us and ap last saw it, trusted (every region not blind down: P0); s2 and s3 untouched
    expect(streamIncidents(lab)).toEqual(['s1/backup/down P1 line', 's1/primary/down P0 stream']);
    expect(lab.det.activeIncidents().find((i) => i.key === 's1/primary/down')!.regions.map((r) => r.region)).toEqual(['us', 'ap']);
  });

  it('impaired probes do not refute either: with allFailUnconfirmed: outage their frozen ok views do not make it blind', () => {
    const lab = new Lab(STREAMS, undefined, { settings: { allFailUnconfirmed: 'outage' } });
    lab.run(2);
    lab.run(4, byRegion(DOWN, CPU, CPU));
    expect(lab.active().filter((a) => a.includes('blind'))).toEqual([]);
    expect(streamIncidents(lab)).toHaveLength(6);
    expect(streamIncidents(lab).every((a) => a.endsWith('P1 regional'))).toBe(true);
  });

  it('the only other region silent: no witness, blind (its stale ok views counted as fine only until it went silent)', () => {
    const lab = new Lab(STREAMS, [
      { probe: 'p-eu', region: 'eu' },
      { probe: 'p-us', region: 'us' },
    ]);
    lab.run(2);
    lab.run(8, byRegion(DOWN, null, undefined));
    expect(lab.active()).toEqual(['probe/p-eu/blind P2 probe', 'probe/p-us/blind P2 probe']);
  });

  it('a second region seeing the same confirms it: a real outage, graded (the impaired third region holds its frozen view)', () => {
    const lab = new Lab(STREAMS);
    lab.run(2);
    lab.run(4, byRegion(DOWN, DOWN, CPU));
    expect(lab.active().filter((a) => a.includes('blind'))).toEqual([]);
    expect(streamIncidents(lab)).toHaveLength(6);
    expect(lab.det.activeIncidents().find((i) => i.key === 's2/primary/down')!.regions.map((r) => r.region)).toEqual(['eu', 'us']);
  });
});

describe('held downs: a probe that could turn out all-failing', () => {
  const det = () => createDetector({ streams: STREAMS.map((id) => stream({ id })) });
  /** One healthy window of every view from p-eu at hub time `at`. */
  const healthy = (d: ReturnType<typeof det>, at: number, seq: number) => {
    for (const s of STREAMS) for (const line of ['primary', 'backup']) d.step(sample({ stream: s, line, seq: seq++, t: at }), at);
    return seq;
  };

  it('one line down is graded at the probe\'s next sample of a view that is not down', () => {
    const d = det();
    const seq = healthy(d, 1000, 1);
    expect(d.step(sample({ stream: 's2', line: 'primary', seq, t: 2000, ...DOWN }), 2010)).toEqual([]);
    expect(brief(d.step(sample({ stream: 's2', line: 'backup', seq: seq + 1, t: 2000 }), 2020))).toEqual(['2020 open s2/primary/down P1']);
  });

  it('a down the probe does not follow up is graded on the first tick one interval later', () => {
    const d = det();
    const seq = healthy(d, 1000, 1);
    d.step(sample({ stream: 's2', line: 'primary', seq, t: 2000, ...DOWN }), 2010);
    expect(d.step({ type: 'tick' }, 2500)).toEqual([]);
    expect(brief(d.step({ type: 'tick' }, 3010))).toEqual(['3010 open s2/primary/down P1']);
  });

  it('an impaired sample does not release them', () => {
    const d = det();
    const seq = healthy(d, 1000, 1);
    d.step(sample({ stream: 's2', line: 'primary', seq, t: 2000, ...DOWN }), 2010);
    expect(d.step(sample({ stream: 's2', line: 'backup', seq: seq + 1, t: 2000, impaired: 'event-loop' }), 2020)).toEqual([]);
    expect(d.state.probes.get('p-eu')!.heldDowns?.streams).toEqual(new Set(['s2']));
  });

  it('a total outage a lone probe may grade (allFailUnconfirmed: outage) opens at its last view, P0 at once', () => {
    const lab = new Lab(STREAMS, [{ probe: 'p-eu', region: 'eu' }], { settings: { allFailUnconfirmed: 'outage' } });
    lab.run(2);
    expect(lab.run(1, () => DOWN)).toEqual([
      '3100 open s1/primary/down P0 stream-down',
      '3100 open s1/backup/down P1',
      '3100 open s2/primary/down P0 stream-down',
      '3100 open s2/backup/down P1',
      '3100 open s3/primary/down P0 stream-down',
      '3100 open s3/backup/down P1',
    ]);
  });

  it('fewer streams than allFailMinStreams: nothing is held', () => {
    const lab = new Lab(['s1', 's2'], [{ probe: 'p-eu', region: 'eu' }]);
    lab.run(1);
    const d = lab.det;
    expect(brief(d.step(sample({ stream: 's1', line: 'primary', seq: 99, t: 2000, ...DOWN }), 2010))).toEqual(['2010 open s1/primary/down P1']);
  });
});
