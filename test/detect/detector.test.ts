import { describe, expect, it } from 'vitest';
import { createDetector, restoreIncidents, type DetectorConfig } from '../../src/detect/detector.ts';
import { DEFAULT_DETECTOR_SETTINGS } from '../../src/detect/rules-schema.ts';
import { DOWN, FROZEN, Lab, sample, stream, type Fault } from './helpers.ts';

const primaryDown = (_s: string, line: string): Fault => (line === 'primary' ? DOWN : undefined);
const allDown = (): Fault => DOWN;

describe('grading across regions', () => {
  it('kill the primary → one P1 incident with evidence from three regions; kill the backup too → raised to P0; restore → lowered, cleared', () => {
    const lab = new Lab();
    expect(lab.run(3)).toEqual([]);
    const opened = lab.run(1, primaryDown);
    expect(opened).toEqual(['4100 open s1/primary/down P1', '4100 update s1/primary/down P1', '4100 update s1/primary/down P1']);
    const open = lab.events[0]!;
    expect(open.onset).toBe(3000); // the first bad sample's t − its stall: when the media stopped
    expect(open.openedAt).toBe(4100);
    expect(lab.events[2]!.scope).toBe('line');
    expect(lab.events[2]!.regions.map((r) => [r.region, r.onset, r.reasons.map((x) => x.rule)])).toEqual([
      ['eu', 3000, ['disconnected']],
      ['us', 3000, ['disconnected']],
      ['ap', 3000, ['disconnected']],
    ]);
    expect(lab.run(2, primaryDown)).toEqual([]); // no duplicates while it persists

    const both = lab.run(1, allDown);
    expect(both).toEqual([
      '7100 open s1/backup/down P1',
      '7100 update s1/backup/down P1',
      '7100 raise s1/primary/down P0 stream-down',
      '7100 update s1/backup/down P1',
    ]);
    const raise = lab.events.find((e) => e.type === 'raise')!;
    expect(raise).toMatchObject({ previous: 'P1', scope: 'stream', related: ['s1/backup/down'], onset: 3000, openedAt: 4100 });
    expect(lab.active()).toEqual(['s1/backup/down P1 line', 's1/primary/down P0 stream']);

    lab.run(5, allDown);
    // backup comes back first: the stream is up again → P0 lowered to P1; backup clears after its clear time (2 s)
    // (the backup, down 7 s, was a blip; dropping out of one region first makes its scope regional)
    expect(lab.run(3, primaryDown)).toEqual(['14100 lower s1/primary/down P1', '14100 update s1/backup/down P1', '14100 clear s1/backup/down P3 blip']);
    expect(lab.run(3)).toEqual(['17100 update s1/primary/down P1', '17100 clear s1/primary/down P1']);
    expect(lab.active()).toEqual([]);
  });

  it('regions named like Object.prototype members ("constructor", "__proto__") are first seen like any other', () => {
    const lab = new Lab(['s1'], [
      { probe: 'p-c', region: 'constructor' },
      { probe: 'p-p', region: '__proto__' },
    ]);
    lab.run(3);
    lab.run(2, primaryDown);
    const inc = lab.det.activeIncidents().find((i) => i.key === 's1/primary/down')!;
    expect(Object.keys(inc.firstSeen).sort()).toEqual(['__proto__', 'constructor']);
    expect(Object.values(inc.firstSeen)).toEqual([3000, 3000]);
  });

  it('the P0 lead is the line whose down incident opened first, even if it was the backup', () => {
    const lab = new Lab();
    lab.run(2, (_s, line) => (line === 'backup' ? DOWN : undefined));
    expect(lab.run(1, allDown)).toContain('3100 raise s1/backup/down P0 stream-down');
    expect(lab.active()).toEqual(['s1/backup/down P0 stream', 's1/primary/down P1 line']);
  });

  it('both lines die in the same window → primary (config order) carries the P0', () => {
    const lab = new Lab();
    lab.run(1);
    const ev = lab.run(1, allDown);
    expect(ev.filter((e) => e.includes('P0'))).toEqual(['2100 raise s1/primary/down P0 stream-down']);
    expect(lab.active()).toEqual(['s1/backup/down P1 line', 's1/primary/down P0 stream']);
  });

  it('one region down → regional P1, other regions stay ok', () => {
    const lab = new Lab();
    const ev = lab.run(3, (_s, _l, region) => (region === 'ap' ? DOWN : undefined));
    expect(ev).toEqual(['1100 open s1/primary/down P1', '1100 open s1/backup/down P1']);
    expect(lab.active()).toEqual(['s1/backup/down P1 regional', 's1/primary/down P1 regional']);
    expect(lab.det.activeIncidents()[0]!.regions.map((r) => r.region)).toEqual(['ap']);
  });

  it('a frozen picture in one region → P2 degraded, not down', () => {
    const lab = new Lab();
    lab.run(2);
    const ev = lab.run(4, (_s, line, region) => (line === 'primary' && region === 'us' ? FROZEN : undefined));
    expect(ev).toEqual(['3100 open s1/primary/degraded P2']);
    expect(lab.active()).toEqual(['s1/primary/degraded P2 regional']);
    expect(lab.det.activeIncidents()[0]!.onset).toBe(2000); // t − freezeMs of the first frozen window (≥ FROZEN_AFTER_MS)
  });

  it('degraded everywhere → still P2, scope line; the region going down moves it to the down key', () => {
    const lab = new Lab();
    lab.run(1);
    lab.run(3, (_s, line) => (line === 'primary' ? FROZEN : undefined));
    expect(lab.active()).toEqual(['s1/primary/degraded P2 line']);
    const ev = lab.run(1, (_s, line, region) => (line !== 'primary' ? undefined : region === 'eu' ? DOWN : FROZEN));
    expect(ev).toEqual(['5100 open s1/primary/down P1', '5100 update s1/primary/degraded P2']);
    expect(lab.active()).toEqual(['s1/primary/degraded P2 regional', 's1/primary/down P1 regional']);
  });

  it('a blip (down one window, cleared quickly) is lowered to P3 on clear', () => {
    const lab = new Lab();
    lab.run(2);
    expect(lab.run(1, (_s, line, region) => (line === 'primary' && region === 'eu' ? DOWN : undefined))).toEqual(['3100 open s1/primary/down P1']);
    expect(lab.run(3)).toEqual(['5100 clear s1/primary/down P3 blip']);
    expect(lab.events.at(-1)!.previous).toBe('P1');
  });

  it('flapping primary in one region: every flap is a blip (P3); a steady fault is not', () => {
    const lab = new Lab();
    const flap = (i: number) => (_s: string, line: string, region: string) => (line === 'primary' && region === 'eu' && i % 4 === 0 ? DOWN : undefined);
    const out: string[] = [];
    for (let i = 0; i < 12; i++) out.push(...lab.run(1, flap(i)));
    expect(out.filter((e) => e.includes('open'))).toHaveLength(3);
    expect(out.filter((e) => e.includes('clear'))).toEqual(['3100 clear s1/primary/down P3 blip', '7100 clear s1/primary/down P3 blip', '11100 clear s1/primary/down P3 blip']);
    lab.run(20, (_s, line, region) => (line === 'primary' && region === 'eu' ? DOWN : undefined));
    expect(lab.run(3)).toEqual(['34100 clear s1/primary/down P1']);
  });

  it('two probes in one region disagree → single-probe oddity, P3', () => {
    const lab = new Lab(['s1'], [
      { probe: 'p-eu-1', region: 'eu' },
      { probe: 'p-eu-2', region: 'eu' },
      { probe: 'p-us', region: 'us' },
    ]);
    const ev = lab.run(2, (_s, line, _r, probe) => (line === 'primary' && probe === 'p-eu-2' ? DOWN : undefined));
    expect(ev).toEqual(['1100 open s1/primary/down P3']);
    expect(lab.active()).toEqual(['s1/primary/down P3 single-probe']);
    // the other eu probe agrees now → the region is down → raised to P1
    expect(lab.run(1, (_s, line, region) => (line === 'primary' && region === 'eu' ? DOWN : undefined))).toEqual(['3100 raise s1/primary/down P1']);
  });

  it('clock skew between probes changes nothing but the per-region onsets', () => {
    const skewed = new Lab(['s1'], [
      { probe: 'p-eu', region: 'eu', skew: 0 },
      { probe: 'p-us', region: 'us', skew: 45_000 },
      { probe: 'p-ap', region: 'ap', skew: -30_000 },
    ]);
    const plain = new Lab();
    const script = (lab: Lab): string[] => [...lab.run(2), ...lab.run(3, primaryDown), ...lab.run(3, allDown), ...lab.run(4)];
    expect(script(skewed)).toEqual(script(plain));
    const open = skewed.events[0]!;
    expect(skewed.events.filter((e) => e.type === 'update').at(0)!.regions.map((r) => [r.region, r.onset])).toEqual([
      ['eu', 2000],
      ['us', 47_000],
    ]);
    expect(open.onset).toBe(2000);
  });

  it('late and duplicate samples are ignored', () => {
    const lab = new Lab();
    lab.run(3);
    // replay an old window as down, and a duplicate of the current one
    const late = sample({ probe: 'p-eu', region: 'eu', seq: 99, t: 1000, ...DOWN });
    const dup = sample({ probe: 'p-eu', region: 'eu', seq: 5, t: 3000, ...DOWN });
    expect(lab.feed(late)).toEqual([]);
    expect(lab.feed(dup)).toEqual([]);
    expect(lab.det.state.stats).toMatchObject({ late: 1, duplicate: 1 });
    expect(lab.active()).toEqual([]);
  });
});

describe('per-view grace (lineGraceWindows, default 5)', () => {
  const graced: DetectorConfig = { settings: { lineGraceWindows: DEFAULT_DETECTOR_SETTINGS.lineGraceWindows } };

  it('a clean start whose first windows carry connect transients in one region opens nothing', () => {
    const lab = new Lab(['s1'], undefined, graced);
    const seen = new Set<string>();
    const ev = lab.run(30, (_s, line, region) => {
      if (seen.has(`${line}/${region}`)) return undefined;
      seen.add(`${line}/${region}`);
      // The probe opening every line at once: a startup over the show-live budget (3 s) and a stalled first window.
      return region === 'ap' ? { startupMs: 3500, stallMs: 600, maxGapMs: 600 } : { startupMs: 300 };
    });
    expect(ev).toEqual([]);
  });

  it('a line back from an outage: the outage is the P1, and the region that saw it stall (HLS) opens no P2 after it', () => {
    const lab = new Lab(['s1'], undefined, graced);
    lab.run(10);
    // ap reads HLS: it stays connected on the stale playlist (no media) while the others disconnect.
    const outage = lab.run(8, (_s, line, region) => (line !== 'primary' ? undefined : region === 'ap' ? { fps: 0, bitrateBps: 0, stallMs: 1000, latencyMs: 9000 } : DOWN));
    // Back: the first window closes the outage's gap (stall) with a burst and a stale latency, then fps settles.
    let n = 0;
    const back = lab.run(20, (_s, line, region) => (line === 'primary' && region === 'ap' && n++ < 3 ? { stallMs: 800, fps: 8, latencyMs: 20_000 } : undefined));
    const opensAndClears = (ev: string[]) => ev.filter((e) => / (open|clear) /.test(e));
    expect(opensAndClears(outage)).toEqual(['11100 open s1/primary/down P1']);
    expect(opensAndClears(back)).toEqual([expect.stringMatching(/^\d+ clear s1\/primary\/down P1$/)]);
  });
});

describe('blind probe vs dead stream', () => {
  it('a silent probe raises probe/<probe>/blind (P2) after 3 heartbeat intervals, not a stream incident', () => {
    const lab = new Lab();
    lab.run(2);
    const silentAp = (_s: string, _l: string, region: string): Fault | null => (region === 'ap' ? null : undefined);
    const ev = lab.run(4, silentAp);
    // last heard at 2100; blind when now − 2100 > 3000 → tick at 5500
    expect(ev).toEqual(['5500 open probe/p-ap/blind P2']);
    expect(lab.active()).toEqual(['probe/p-ap/blind P2 probe']);
    expect(lab.events.at(-1)).toMatchObject({ probe: 'p-ap', onset: 2100 });
    lab.run(10, silentAp);
    expect(lab.run(1)).toEqual(['17100 clear probe/p-ap/blind P2']);
  });

  it('heartbeats keep a probe with nothing to report from being blind', () => {
    const lab = new Lab();
    lab.run(1);
    for (let i = 0; i < 5; i++) {
      lab.window((_s, _l, region) => (region === 'ap' ? null : undefined));
      lab.det.step({ type: 'heartbeat', probe: 'p-ap', region: 'ap' }, lab.T + 200);
      expect(lab.tick()).toEqual([]);
    }
  });

  it('a probe whose every stream fails at once while other regions see them fine → probe incident, no stream incident on the way', () => {
    const lab = new Lab(['s1', 's2', 's3']);
    lab.run(2);
    const apBlind = (_s: string, _l: string, region: string): Fault => (region === 'ap' ? { ...DOWN, error: 'unreachable' } : undefined);
    // its first five views going down are held back; the sixth makes the probe all-failing
    expect(lab.run(1, apBlind)).toEqual(['3100 open probe/p-ap/blind P2']);
    expect(lab.active()).toEqual(['probe/p-ap/blind P2 probe']);
    // while blind its samples do not raise or worsen stream incidents
    expect(lab.run(10, apBlind)).toEqual([]);
    // it sees again (views clear after 2 s) → the probe incident clears on the next tick, nothing else
    expect(lab.run(3)).toEqual(['15500 clear probe/p-ap/blind P2']);
  });

  it('every stream dead in every region is a real outage (P0s), not blind probes', () => {
    const lab = new Lab(['s1', 's2', 's3']);
    lab.run(2);
    lab.run(3, allDown);
    expect(lab.active()).toEqual([
      's1/backup/down P1 line',
      's1/primary/down P0 stream',
      's2/backup/down P1 line',
      's2/primary/down P0 stream',
      's3/backup/down P1 line',
      's3/primary/down P0 stream',
    ]);
  });

  it('one region losing one stream is not a blind probe', () => {
    const lab = new Lab(['s1', 's2', 's3']);
    lab.run(3, (s, _l, region) => (region === 'ap' && s === 's2' ? DOWN : undefined));
    expect(lab.active()).toEqual(['s2/backup/down P1 regional', 's2/primary/down P1 regional']);
  });

  it('allFailMinStreams: 0 turns the all-failing check off (a cut regional path is graded as regional P1s)', () => {
    const lab = new Lab(['s1', 's2', 's3'], undefined, { settings: { allFailMinStreams: 0 } });
    lab.run(2, (_s, _l, region) => (region === 'ap' ? DOWN : undefined));
    expect(lab.active()).toHaveLength(6);
    expect(lab.active().every((a) => a.endsWith('P1 regional'))).toBe(true);
  });
});

describe('restart', () => {
  it('restored incidents are continued, not duplicated, and cleared when fresh samples show their condition gone', () => {
    const lab = new Lab();
    lab.run(12, primaryDown);
    const saved = JSON.parse(JSON.stringify(lab.det.activeIncidents()));
    expect(saved).toHaveLength(1);

    const fresh = new Lab();
    fresh.T = lab.T;
    restoreIncidents(fresh.det.ctx, fresh.det.state, saved, fresh.T);
    expect(fresh.run(2, primaryDown).filter((e) => e.includes('open'))).toEqual([]);
    expect(fresh.active()).toEqual(['s1/primary/down P1 line']);
    expect(fresh.run(3)).toEqual(['16100 update s1/primary/down P1', '16100 clear s1/primary/down P1']);

    const idle = new Lab();
    idle.T = lab.T;
    restoreIncidents(idle.det.ctx, idle.det.state, saved, idle.T);
    // healthy from the start, so no view ever changes: cleared on the tick once every region's
    // samples span the clear time (first views at 13100, 2 s of them at 15100)
    expect(idle.run(12)).toEqual(['15500 clear s1/primary/down P1']);

    // no probe has reported yet at all: no evidence either way, so it stays as it was
    const empty = createDetector({ streams: [stream({ id: 's1' })] });
    restoreIncidents(empty.ctx, empty.state, saved, 50_000);
    for (let now = 51_000; now <= 120_000; now += 1000) expect(empty.step({ type: 'tick' }, now)).toEqual([]);
    expect(empty.activeIncidents().map((i) => `${i.key} ${i.severity}`)).toEqual(['s1/primary/down P1']);
  });
});
