import { describe, expect, it } from 'vitest';
import { Lab, type FaultOf } from './helpers.ts';

/**
 * Content faults graded across regions and lines (three regions, one probe each, two lines): a
 * black picture is `down` like a dead line, so the keys and severities are those of `down`.
 */
const BLACK = { blackMs: 1000 };
const on = (line: string, regions: readonly string[], fault: object): FaultOf => (_s, l, region) => (l === line && regions.includes(region) ? fault : undefined);
const ALL = ['eu', 'us', 'ap'];

describe('black picture, graded', () => {
  it('on the primary in every region → P1 scope line (onset = when it went black); cleared after 2 s of picture', () => {
    const lab = new Lab();
    lab.run(3);
    // each region's view joins as its sample comes in
    expect(lab.run(2, on('primary', ALL, BLACK))).toEqual(['5100 open s1/primary/down P1', '5100 update s1/primary/down P1', '5100 update s1/primary/down P1']);
    expect(lab.active()).toEqual(['s1/primary/down P1 line']);
    expect(lab.events[0]!.onset).toBe(3000);
    expect(lab.events[0]!.regions[0]!.reasons[0]).toMatchObject({ rule: 'black', metric: 'blackRatio', forMs: 2000, lastedMs: 2000 });
    // picture back at window 6: cleared after 2 s of it (clear within blipMs of opening: a blip, P3)
    // (the first region to see it again narrows it to regional)
    expect(lab.run(3, on('primary', ALL, { blackMs: 0 }))).toEqual(['7100 update s1/primary/down P1', '7100 clear s1/primary/down P3 blip']);
  });

  it('on the primary in one region only → P1 regional', () => {
    const lab = new Lab();
    lab.run(3);
    lab.run(3, on('primary', ['eu'], BLACK));
    expect(lab.active()).toEqual(['s1/primary/down P1 regional']);
  });

  it('on both lines in every region → P0 (nothing clean to fail over to: the source)', () => {
    const lab = new Lab();
    lab.run(3);
    lab.run(3, (_s, _l) => BLACK);
    expect(lab.active()).toEqual(['s1/backup/down P1 line', 's1/primary/down P0 stream']);
  });

  it('silence on the primary everywhere → P1 line', () => {
    const lab = new Lab();
    lab.run(3);
    lab.run(3, on('primary', ALL, { silenceMs: 1000 }));
    expect(lab.active()).toEqual(['s1/primary/down P1 line']);
  });

  it('too loud on the primary everywhere → P2 degraded', () => {
    const lab = new Lab();
    lab.run(3);
    lab.run(11, on('primary', ALL, { loudnessLufs: -9 }));
    expect(lab.active()).toEqual(['s1/primary/degraded P2 line']);
  });

  it('content fields absent (checks off) on every view → no incident', () => {
    const lab = new Lab();
    expect(lab.run(30)).toEqual([]);
  });

  it('the picture back, but content checks off (fields absent): black holds, no false clear', () => {
    const lab = new Lab();
    lab.run(3, on('primary', ALL, BLACK));
    expect(lab.run(10)).toEqual([]);
    expect(lab.active()).toEqual(['s1/primary/down P1 line']);
  });
});
