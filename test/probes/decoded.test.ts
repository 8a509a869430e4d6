import { describe, expect, it } from 'vitest';
import { DecodedAnalyzer } from '../../probes/decode/analyzer.ts';
import { FreezeTracker } from '../../probes/decode/freeze.ts';
import { BeepOnsetDetector, OnsetDetector, SyncPairer } from '../../probes/decode/sync-markers.ts';

describe('FreezeTracker', () => {
  it('counts frozen runs of at least the minimum, from their first frame', () => {
    const f = new FreezeTracker(0.5, 120);
    expect(f.push(0, 0)).toBeUndefined(); // first frame has nothing to compare with
    expect(f.push(40, 2.47)).toBe(0);
    expect(f.push(80, 0.1)).toBe(0); // one repeated frame: a duplicate, not a freeze
    expect(f.push(120, 3)).toBe(0);
    expect([160, 200, 240, 280].map((pts) => f.push(pts, 0.1))).toEqual([0, 0, 120, 40]);
    expect(f.push(undefined, 0.1)).toBeUndefined(); // NOPTS
    expect(f.push(5000, 0.1)).toBeUndefined(); // discontinuity ends the run
    expect(f.push(5040, 0.1)).toBe(0);
  });
});

describe('BeepOnsetDetector', () => {
  it('places the onset inside its first block from the energy ratio to the next block', () => {
    const d = new BeepOnsetDetector(-30);
    // 10 ms blocks; the beep starts 7.5 ms into the block at 1000: a quarter of its power.
    const db = (fraction: number) => -3 + 10 * Math.log10(fraction);
    const out = [[990, -Infinity], [1000, db(0.25)], [1010, db(1)], [1020, db(1)]].map(([pts, v]) => d.push(pts, v!));
    expect(out[0]).toBeUndefined();
    expect(out[1]).toBeUndefined();
    expect(out[2]).toBeCloseTo(1007.5, 6);
    expect(out[3]).toBeUndefined();
  });

  it('keeps the block edge for a beep shorter than two blocks', () => {
    const d = new BeepOnsetDetector(-30);
    expect([[0, -90], [10, -6], [20, -90]].map(([pts, v]) => d.push(pts, v!))).toEqual([undefined, undefined, 10]);
  });
});

describe('OnsetDetector', () => {
  it('reports only rising edges', () => {
    const d = new OnsetDetector(200);
    expect([125, 235, 235, 125, 236].map((v, i) => d.push(i * 40, v))).toEqual([undefined, 40, undefined, undefined, 160]);
  });
});

describe('SyncPairer (BT.1359: + audio leads)', () => {
  it.each([
    { name: 'in sync', flash: 1000, beep: 1000, want: 0 },
    { name: 'audio 300 ms late (flash first)', flash: 1000, beep: 1300, want: -300 },
    { name: 'audio 200 ms early (beep first)', flash: 1200, beep: 1000, want: 200 },
  ])('$name → $want', ({ flash, beep, want }) => {
    const p = new SyncPairer(500);
    const events = [{ kind: 'flash', pts: flash }, { kind: 'beep', pts: beep }].sort((a, b) => a.pts - b.pts);
    const results = events.map((e) => (e.kind === 'flash' ? p.flash(e.pts) : p.beep(e.pts)));
    expect(results.filter((r) => r !== undefined)).toEqual([want]);
  });

  it('does not pair markers further apart than the limit, and pairs the nearest', () => {
    const p = new SyncPairer(500);
    expect(p.flash(1000)).toBeUndefined();
    expect(p.beep(1600)).toBeUndefined();
    expect(p.flash(1650)).toBe(50);
  });
});

describe('DecodedAnalyzer', () => {
  it('turns metadata values into frame intervals and a sync measurement', () => {
    const a = new DecodedAnalyzer();
    const out = [
      a.push({ key: 'lavfi.signalstats.YDIF', value: 3, ptsMs: 0 }),
      ...[40, 80, 120, 160, 200].map((ptsMs) => a.push({ key: 'lavfi.signalstats.YDIF', value: 0.1, ptsMs })),
      a.push({ key: 'lavfi.signalstats.YAVG', value: 125, ptsMs: 960 }),
      a.push({ key: 'lavfi.signalstats.YAVG', value: 235, ptsMs: 1000 }),
      a.push({ key: 'lavfi.astats.Overall.RMS_level', value: -Infinity, ptsMs: 1299 }),
      a.push({ key: 'lavfi.astats.Overall.RMS_level', value: -3, ptsMs: 1300 }),
      a.push({ key: 'lavfi.astats.Overall.RMS_level', value: -3, ptsMs: 1301 }),
    ];
    expect(out).toEqual([undefined, undefined, undefined, undefined, undefined, { type: 'freeze', ms: 200 }, undefined, undefined, undefined, undefined, { type: 'sync', ms: -300 }]);
  });
});
