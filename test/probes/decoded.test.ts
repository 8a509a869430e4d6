import { describe, expect, it } from 'vitest';
import { DecodedAnalyzer, defaultThresholds } from '../../probes/decode/analyzer.ts';
import { BlackTracker, blackframeThreshold, parseBlackframeLine } from '../../probes/decode/black.ts';
import { RunTracker } from '../../probes/decode/run-tracker.ts';
import { SilenceTracker } from '../../probes/decode/silence.ts';
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
    expect(f.onset).toBe(false); // counted since 240
    expect(f.push(undefined, 0.1)).toBeUndefined(); // NOPTS
    expect(f.push(5000, 0.1)).toBeUndefined(); // discontinuity ends the run
    expect(f.push(5040, 0.1)).toBe(0);
  });

  it('is frozen at the frame that makes the run long enough, once per run', () => {
    const f = new FreezeTracker(0.5, 120);
    const onsets = [0, 40, 80, 120, 160, 200, 240, 280, 320].map((pts, i) => {
      f.push(pts, i === 0 || i === 5 ? 3 : 0.1);
      return f.onset;
    });
    // frozen 0–120 (120 ms at 120), moving at 200, frozen again from 200: 120 ms at 320
    expect(onsets).toEqual([false, false, false, true, false, false, false, false, true]);
  });

  it('holds a picture a second by default (FROZEN_AFTER_MS) before it is frozen', () => {
    const f = new FreezeTracker(0.5);
    const credited = Array.from({ length: 27 }, (_, i) => f.push(i * 40, i === 0 ? 3 : 0.1));
    expect(credited.slice(1, 25).every((ms) => ms === 0)).toBe(true);
    expect(credited[25]).toBe(1000);
    expect(f.onset).toBe(false);
    expect(credited[26]).toBe(40);
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
      ...[200, 1000, 1040].map((ptsMs) => a.push({ key: 'lavfi.signalstats.YDIF', value: 0.1, ptsMs })),
      a.push({ key: 'lavfi.signalstats.YAVG', value: 125, ptsMs: 960 }),
      a.push({ key: 'lavfi.signalstats.YAVG', value: 235, ptsMs: 1000 }),
      a.push({ key: 'lavfi.astats.Overall.RMS_level', value: -Infinity, ptsMs: 1299 }),
      a.push({ key: 'lavfi.astats.Overall.RMS_level', value: -3, ptsMs: 1300 }),
      a.push({ key: 'lavfi.astats.Overall.RMS_level', value: -3, ptsMs: 1301 }),
    ];
    // frozen from 0: the frame at 1000 makes it a second, so the whole run counts at once
    expect(out).toEqual([[], [], [{ type: 'freeze', ms: 1000, onset: true }], [{ type: 'freeze', ms: 40, onset: false }], [], [], [], [], [{ type: 'sync', ms: -300 }]]);
  });

  it('content checks only when asked for: the beep markers and silence read the same RMS values', () => {
    const markersOnly = new DecodedAnalyzer();
    const both = new DecodedAnalyzer(defaultThresholds, { markers: true, content: 'all-frames' });
    const light = new DecodedAnalyzer(defaultThresholds, { markers: false, content: 'keyframes' });
    const silentBlocks = [0, 100, 200, 300, 400, 500, 600].map((ptsMs) => ({ key: 'lavfi.astats.Overall.RMS_level', value: -Infinity, ptsMs }));
    const total = (a: DecodedAnalyzer) => silentBlocks.flatMap((v) => a.push(v)).reduce((ms, e) => ms + (e.type === 'silence' ? e.ms : 0), 0);
    expect(total(markersOnly)).toBe(0);
    expect(total(both)).toBe(600);
    expect(total(light)).toBe(600);
    expect(light.push({ key: 'lavfi.signalstats.YDIF', value: 0, ptsMs: 0 })).toEqual([]);
    expect(markersOnly.push({ key: 'lavfi.blackframe.pblack', value: 100, ptsMs: 0 })).toEqual([]);
  });

  it('reports loudness once the 3 s short-term window is full, and true peaks floored at the Sample limit', () => {
    const a = new DecodedAnalyzer(defaultThresholds, { markers: false, content: 'keyframes' });
    const s = (ptsMs: number, value: number) => a.push({ key: 'lavfi.r128.S', value, ptsMs });
    expect([s(500, -120.7), s(2900, -40), s(3500, -36.1)]).toEqual([[], [], [{ type: 'loudness', lufs: -36.1 }]]);
    expect(a.push({ key: 'lavfi.astats.Overall.Peak_level', value: -6153.05, ptsMs: 0 })).toEqual([{ type: 'truePeak', dbtp: -200 }]);
  });
});

describe('RunTracker', () => {
  it('since-previous: a value describes the interval that ends at it', () => {
    const r = new RunTracker({ minRunMs: 100, maxStepMs: 1000, covers: 'since-previous' });
    expect([[0, true], [40, true], [80, true], [120, true], [160, false]].map(([pts, on]) => r.push(pts as number, on as boolean))).toEqual([undefined, 0, 0, 120, 0]);
  });

  it('until-next: a value describes the interval until the next one (a black keyframe stands until the next)', () => {
    const r = new RunTracker({ minRunMs: 500, maxStepMs: 10_000, covers: 'until-next' });
    expect([[0, false], [1000, true], [2000, true], [3000, false], [4000, false]].map(([pts, on]) => r.push(pts as number, on as boolean))).toEqual([undefined, 0, 1000, 1000, 0]);
    expect(r.push(20_000, true)).toBeUndefined(); // a discontinuity ends any run
  });
});

describe('black (blackframe)', () => {
  it('parses blackframe log lines into black-pixel percentages at the frame time', () => {
    expect(parseBlackframeLine('[Parsed_blackframe_3 @ 0x2dc0] frame:61 pblack:100 pts:2461 t:2.461000 type:P last_keyframe:50')).toEqual({ key: 'lavfi.blackframe.pblack', value: 100, ptsMs: 2461 });
    expect(parseBlackframeLine('[Parsed_metadata_1 @ 0x1c0] frame:12   pts:501     pts_time:0.501')).toBeUndefined();
  });

  it('converts blackdetect pix_th to blackframe\'s strict 8-bit bound (limited range)', () => {
    expect(blackframeThreshold(0.1)).toBe(38); // blackdetect counts luma <= 37
    expect(blackframeThreshold(0)).toBe(17); // only true black (16)
  });

  it('counts a picture black from pic_th on, for runs of the minimum', () => {
    const b = new BlackTracker({ pictureTh: 0.98, minRunMs: 100, maxStepMs: 1000 });
    expect([[0, 66], [40, 98], [80, 100], [120, 100], [160, 97], [200, 0]].map(([pts, p]) => b.push(pts, p!))).toEqual([undefined, 0, 0, 0, 120, 0]);
  });
});

describe('SilenceTracker', () => {
  it('counts blocks below the level; a quiet tone above it is not silence', () => {
    const s = new SilenceTracker(-60, 200);
    const blocks = [-43, -43, -200, -Infinity, -6153, -70, -43, -43];
    expect(blocks.map((db, i) => s.push(i * 100, db))).toEqual([undefined, 0, 0, 0, 200, 100, 100, 0]);
  });
});
