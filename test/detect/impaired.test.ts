import { describe, expect, it } from 'vitest';
import { restoreIncidents } from '../../src/detect/detector.ts';
import type { ProbeImpairment, Sample } from '../../src/model/sample.ts';
import { DOWN, FROZEN, Lab, type Fault, type FaultOf } from './helpers.ts';

/**
 * Impaired samples (the probe could not trust its own measurement of the window: Sample.impaired)
 * are a starved probe's view: they open, raise, lower and clear no stream incident, and evidence
 * for a change comes from windows after the impairment. The probe itself gets a P3
 * `probe/<probe>/impaired` with hysteresis (3 windows to open, 5 clean windows to clear).
 *
 * Lab: three regions (eu, us, ap), window n ends at t = 1000·n, samples at T + 100, ticks at T + 500.
 */

const impaired = (why: ProbeImpairment, f: Fault = undefined): Partial<Sample> => ({ ...f, impaired: why });
/** eu's windows as `f`, the other regions healthy. */
const inEu = (f: Fault, line?: string): FaultOf => (_s, l, region) => (region === 'eu' && (line === undefined || l === line) ? f : undefined);

describe('impaired samples and stream incidents', () => {
  it('a starved probe reporting a dead line opens no stream incident; the probe gets a P3 after 3 windows, cleared after 5 clean ones', () => {
    const lab = new Lab();
    lab.run(2);
    expect(lab.run(4, inEu(impaired('cpu-pressure', DOWN)))).toEqual(['5100 open probe/p-eu/impaired P3']);
    expect(lab.active()).toEqual(['probe/p-eu/impaired P3 probe']);
    const open = lab.events[0]!;
    expect(open).toMatchObject({ kind: 'impaired', probe: 'p-eu', scope: 'probe', onset: 2000, openedAt: 5100 });
    expect(open.regions).toEqual([
      expect.objectContaining({ region: 'eu', probe: 'p-eu', reasons: [expect.objectContaining({ rule: 'impaired', metric: 'cpu-pressure', value: 3000, threshold: 3000 })] }),
    ]);
    expect(open.regions[0]!.sample).toMatchObject({ t: 3000, impaired: 'cpu-pressure' });
    expect(lab.det.state.stats.impaired).toBe(8);
    // clean again: five clean windows after the last impaired one (t 6000) clear it; the line was fine all along
    expect(lab.run(5)).toEqual(['11100 clear probe/p-eu/impaired P3']);
    expect(lab.active()).toEqual([]);
  });

  it('impaired windows do not raise an incident (degraded → down)', () => {
    const lab = new Lab();
    lab.run(1);
    expect(lab.run(3, inEu(FROZEN, 'primary'))).toEqual(['2100 open s1/primary/degraded P2']);
    expect(lab.run(4, inEu(impaired('timer-late', DOWN)))).toEqual(['7100 open probe/p-eu/impaired P3']);
    expect(lab.active()).toEqual(['probe/p-eu/impaired P3 probe', 's1/primary/degraded P2 regional']);
  });

  it('impaired healthy windows neither clear nor lower a down line, and the clear run restarts after them', () => {
    const lab = new Lab();
    lab.run(1);
    expect(lab.run(3, inEu(DOWN, 'primary'))).toEqual(['2100 open s1/primary/down P1']);
    // one clean healthy window starts the 2 s clear run; two impaired ones follow
    expect(lab.run(1)).toEqual([]);
    expect(lab.run(2, inEu(impaired('event-loop')))).toEqual([]);
    expect(lab.active()).toEqual(['s1/primary/down P1 regional']);
    // counted over the impaired windows it would clear at 8100; it needs 2 s of trusted windows after them
    expect(lab.run(1)).toEqual([]);
    expect(lab.run(1)).toEqual(['9100 clear s1/primary/down P3 blip']);
  });

  it('a pending bad run does not trip the moment an impairment ends: its evidence restarts after it', () => {
    const lab = new Lab();
    const noMedia: Partial<Sample> = { stallMs: 1000, fps: 0, bitrateBps: 0 }; // connected without media: no-media needs 2 s
    lab.run(2);
    expect(lab.run(1, inEu(noMedia, 'primary'))).toEqual([]);
    expect(lab.run(1, inEu(impaired('child-late', noMedia), 'primary'))).toEqual([]);
    // counted across the impaired window the run (from 2000) would trip at 5100
    expect(lab.run(1, inEu(noMedia, 'primary'))).toEqual([]);
    expect(lab.run(1, inEu(noMedia, 'primary'))).toEqual(['6100 open s1/primary/down P1']);
  });

  it('an impaired first sample makes no view: it cannot refute a P0, a trusted one can', () => {
    const lab = new Lab();
    const apAbsent = (f: Fault | null): FaultOf => (_s, _l, region) => (region === 'ap' ? f : DOWN);
    lab.run(4, apAbsent(null));
    expect(lab.active()).toEqual(['s1/backup/down P1 line', 's1/primary/down P0 stream']);
    expect(lab.run(2, apAbsent(impaired('cpu-use')))).toEqual([]);
    expect(lab.det.state.streams.get('s1')!.lines.get('primary')!.map((v) => v.region)).toEqual(['eu', 'us']);
    expect(lab.run(1, apAbsent(undefined))).toContain('7100 lower s1/primary/down P1');
  });

  it('impaired windows never move a view: its level, baselines and clear state stay as they were', () => {
    const lab = new Lab();
    lab.run(6);
    const view = () => lab.det.state.probes.get('p-eu')!.views.get('s1')!.get('primary')!;
    const before = { level: view().level, since: view().since, base: view().baselines.bitrate.value, count: view().baselines.bitrate.learnt };
    lab.run(3, inEu(impaired('cpu-pressure', { bitrateBps: 1, height: 90, fps: 1 }), 'primary'));
    expect({ level: view().level, since: view().since, base: view().baselines.bitrate.value, count: view().baselines.bitrate.learnt }).toEqual(before);
    expect(view().trustedSince).toBeNaN();
    lab.run(1);
    expect(view().trustedSince).toBe(10_100);
  });
});

describe('probe/<probe>/impaired hysteresis', () => {
  it('intermittent impairment keeps one episode: it opens once it spans 3 windows, clears 5 clean windows after the last', () => {
    const lab = new Lab();
    const out: string[] = [];
    for (let i = 1; i <= 5; i++) out.push(...lab.run(1, i % 2 === 1 ? inEu(impaired('event-loop')) : undefined));
    expect(out).toEqual(['3100 open probe/p-eu/impaired P3']);
    expect(lab.run(4)).toEqual([]);
    expect(lab.run(1)).toEqual(['10100 clear probe/p-eu/impaired P3']);
  });

  it('a short impairment that ends (5 clean windows) opens nothing; a later one starts afresh', () => {
    const lab = new Lab();
    expect(lab.run(2, inEu(impaired('timer-late')))).toEqual([]);
    expect(lab.run(5)).toEqual([]);
    expect(lab.det.state.probes.get('p-eu')!.impairment).toBeUndefined();
    expect(lab.run(2, inEu(impaired('timer-late')))).toEqual([]);
    expect(lab.run(1, inEu(impaired('timer-late')))).toEqual(['10100 open probe/p-eu/impaired P3']);
  });

  it('a new reason while open updates the incident; samples of one line clean and another impaired do not end it', () => {
    const lab = new Lab();
    lab.run(3, inEu(impaired('cpu-pressure')));
    expect(lab.run(1, inEu(impaired('time-jump')))).toEqual(['4100 update probe/p-eu/impaired P3']);
    expect(lab.events.at(-1)!.regions[0]!.reasons[0]).toMatchObject({ metric: 'time-jump', value: 4000 });
    expect(lab.run(8, inEu(impaired('time-jump'), 'backup'))).toEqual([]);
    expect(lab.active()).toEqual(['probe/p-eu/impaired P3 probe']);
  });

  it('settings: impairedOpenWindows and impairedClearWindows', () => {
    const lab = new Lab(['s1'], undefined, { settings: { impairedOpenWindows: 1, impairedClearWindows: 2 } });
    expect(lab.run(1, inEu(impaired('cpu-use')))).toEqual(['1100 open probe/p-eu/impaired P3']);
    expect(lab.run(2)).toEqual(['3100 clear probe/p-eu/impaired P3']);
  });

  it('restored after a restart: kept until the probe shows clean windows; no silence watchdog for a probe not heard yet', () => {
    const lab = new Lab();
    lab.run(3, inEu(impaired('cpu-pressure')));
    const saved = JSON.parse(JSON.stringify(lab.det.activeIncidents()));
    expect(saved.map((i: { key: string }) => i.key)).toEqual(['probe/p-eu/impaired']);

    const fresh = new Lab(['s1'], [{ probe: 'p-us', region: 'us' }, { probe: 'p-eu', region: 'eu' }]);
    fresh.T = lab.T;
    restoreIncidents(fresh.det.ctx, fresh.det.state, saved, fresh.T);
    // eu silent for 10 windows: nothing (it is not known to be a probe of this hub's run yet)
    expect(fresh.run(10, (_s, _l, region) => (region === 'eu' ? null : undefined))).toEqual([]);
    expect(fresh.active()).toEqual(['probe/p-eu/impaired P3 probe']);
    // still impaired: carried on, not opened again
    expect(fresh.run(2, inEu(impaired('cpu-pressure')))).toEqual([]);
    expect(fresh.run(5)).toEqual(['20100 clear probe/p-eu/impaired P3']);
  });

  it('a restored stream incident is not settled by an impaired probe\'s healthy windows', () => {
    const lab = new Lab();
    lab.run(12, (_s, line) => (line === 'primary' ? DOWN : undefined));
    const saved = JSON.parse(JSON.stringify(lab.det.activeIncidents()));

    const fresh = new Lab();
    fresh.T = lab.T;
    restoreIncidents(fresh.det.ctx, fresh.det.state, saved, fresh.T);
    // eu's fresh view is ok, then its windows are impaired: they speak for nothing, so the
    // restored incident waits for eu (us and ap settle their part after 2 s)
    expect(fresh.run(1)).toEqual([]);
    expect(fresh.run(7, (_s, _l, region) => (region === 'eu' ? impaired('cpu-pressure') : undefined))).toEqual(['16100 open probe/p-eu/impaired P3']);
    expect(fresh.active()).toEqual(['probe/p-eu/impaired P3 probe', 's1/primary/down P1 line']);
    // 2 s of trusted windows from eu clear it (counted from its view's start it would clear at 21500)
    expect(fresh.run(3).filter((e) => e.includes('s1/'))).toEqual(['23500 clear s1/primary/down P1']);
  });
});
