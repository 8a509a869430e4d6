import { describe, expect, it } from 'vitest';
import { cellView, problemFigure } from '../../src/console/public/cell-view.js';

const sample = (over: Record<string, unknown> = {}) => ({ connected: true, windowMs: 1000, fps: 25, stallMs: 0, freezeMs: 0, ...over });

describe('console cell words', () => {
  it('a down cell says DOWN, the probe error and for how long', () => {
    expect(cellView('down', sample({ connected: false, error: 'timeout' }), 1000, 13_000)).toEqual({ icon: '✖', text: 'DOWN timeout 12 s', detail: '' });
    expect(cellView('down', undefined, undefined, 0).text).toBe('DOWN');
    expect(cellView('down', undefined, 1000, 1400).text).toBe('DOWN <1 s');
  });

  it('a degraded cell says its telling figure: black, silent, stall share, frozen, A/V with a real minus sign', () => {
    expect(cellView('degraded', sample({ stallMs: 180 }), undefined, 0).text).toBe('stall 18 %');
    expect(problemFigure(sample({ blackMs: 3000, stallMs: 500 }))).toBe('black 3 s');
    expect(problemFigure(sample({ silenceMs: 1000 }))).toBe('silent 1 s');
    expect(problemFigure(sample({ freezeMs: 2000 }))).toBe('frozen 2 s');
    // the short window a probe sends the moment a picture froze; the end of a freeze in a window
    expect(problemFigure(sample({ windowMs: 200, freezeMs: 200 }))).toMatch(/^frozen /);
    expect(problemFigure(sample({ freezeMs: 300 }))).toBeUndefined();
    expect(problemFigure(sample({ avSyncMs: -310 }))).toBe('A/V −310 ms');
    expect(problemFigure(sample({ avSkewMs: 120 }))).toBe('A/V +120 ms');
    expect(problemFigure(sample({ avSyncMs: 40, stallMs: 10 }))).toBeUndefined();
    expect(cellView('degraded', sample(), 0, 65_000)).toMatchObject({ icon: '▲', text: 'degraded 1 min 05 s' });
  });

  it('ok shows the latency; never seen says so; an impaired probe is named', () => {
    expect(cellView('ok', sample({ latencyMs: 1800 }), 0, 0)).toEqual({ icon: '✓', text: 'ok · latency 1.8 s', detail: '' });
    expect(cellView('unknown', undefined, undefined, 0)).toEqual({ icon: '?', text: 'no data', detail: '' });
    expect(cellView('ok', sample({ impaired: 'child-late' }), 0, 0).detail).toBe('probe impaired (child-late)');
  });
});
