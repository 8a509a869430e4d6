import { describe, expect, it } from 'vitest';
import { DecodedAnalyzer } from '../../probes/decode/analyzer.ts';
import { FreezeTracker } from '../../probes/decode/freeze.ts';
import { OnsetDetector, SyncPairer } from '../../probes/decode/sync-markers.ts';

describe('FreezeTracker', () => {
  it('counts the interval since the previous frame as frozen when YDIF is below threshold', () => {
    const f = new FreezeTracker(0.5);
    expect(f.push(0, 0)).toBeUndefined(); // first frame has nothing to compare with
    expect(f.push(40, 2.47)).toEqual({ durationMs: 40, frozen: false });
    expect(f.push(80, 0.1)).toEqual({ durationMs: 40, frozen: true });
    expect(f.push(undefined, 0.1)).toBeUndefined(); // NOPTS
    expect(f.push(5000, 0.1)).toBeUndefined(); // discontinuity
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
      a.push({ key: 'lavfi.signalstats.YDIF', value: 0.1, ptsMs: 40 }),
      a.push({ key: 'lavfi.signalstats.YAVG', value: 125, ptsMs: 960 }),
      a.push({ key: 'lavfi.signalstats.YAVG', value: 235, ptsMs: 1000 }),
      a.push({ key: 'lavfi.astats.Overall.RMS_level', value: -Infinity, ptsMs: 1299 }),
      a.push({ key: 'lavfi.astats.Overall.RMS_level', value: -12, ptsMs: 1300 }),
    ];
    expect(out).toEqual([undefined, { type: 'frame', durationMs: 40, frozen: true }, undefined, undefined, undefined, { type: 'sync', ms: -300 }]);
  });
});
