import { describe, expect, it } from 'vitest';
import type { Sample } from '../../src/model/sample.ts';
import { compileRules, evaluateLine, type CompiledRules, type LineState } from '../../src/detect/line-health.ts';
import { DEFAULT_DETECTOR_SETTINGS, DEFAULT_RULES, mergeRules } from '../../src/detect/rules-schema.ts';
import { windows } from './helpers.ts';

/** Content rules as such, judged from a view's first window (the per-view grace is line-health.test.ts's). */
const rules = compileRules(DEFAULT_RULES, { ...DEFAULT_DETECTOR_SETTINGS, lineGraceWindows: 0 });

/** [t, new level, active rules] per change. */
type Change = [number, string, string[]];

function run(samples: Sample[], compiled: CompiledRules = rules): { changes: Change[]; onsets: number[]; state: LineState } {
  let state: LineState | undefined;
  const changes: Change[] = [];
  const onsets: number[] = [];
  for (const s of samples) {
    const r = evaluateLine(state, s, s.t + 20, compiled);
    state = r.state;
    if (r.change) {
      changes.push([r.change.t, r.change.to, r.change.reasons.map((x) => x.rule).sort()]);
      onsets.push(r.change.onset);
    }
  }
  return { changes, onsets, state: state! };
}

/** Content checks on (black 0, silence 0, −18 LUFS, −6 dBTP) unless a window says otherwise. */
const CLEAN: Partial<Sample> = { blackMs: 0, silenceMs: 0, loudnessLufs: -18, truePeakDbtp: -6 };
const checked = (n: number, at: (i: number) => Partial<Sample> = () => ({})) => windows(n, (i) => ({ ...CLEAN, ...at(i) }));
const BLACK: Partial<Sample> = { blackMs: 1000 };
const SILENT: Partial<Sample> = { silenceMs: 1000, loudnessLufs: -120, truePeakDbtp: -90 };

describe('black picture (blackRatio > 0.9 for 2 s → down)', () => {
  it('trips after two black windows, onset when the picture went black; clears after 2 s of picture', () => {
    // windows 4, 5 (t 5000, 6000) black from 4300 on: the first is 70 % black (not yet bad), then 100 %, 100 %
    const r = run(checked(12, (i) => (i === 4 ? { blackMs: 700 } : i === 5 || i === 6 ? BLACK : {})));
    expect(r.changes).toEqual([
      [7000, 'down', ['black']],
      [9000, 'ok', []],
    ]);
    expect(r.onsets[0]).toBe(5000); // the first window ≥ 90 % black started at 5000 (the 70 % one is below the threshold)
  });

  it('a fade to black (one black window) and a half-black window trip nothing', () => {
    expect(run(checked(10, (i) => (i === 3 ? BLACK : i === 6 ? { blackMs: 500 } : {}))).changes).toEqual([]);
  });

  it('is a content fault only: contentOnly while black alone holds the level, not once the line also disconnects', () => {
    const black = run(checked(4, () => BLACK));
    expect(black.state.level).toBe('down');
    expect(black.state.contentOnly).toBe(true);
    const then = evaluateLine(black.state, { ...windows(5, () => ({}))[4]!, connected: false, fps: 0, bitrateBps: 0, stallMs: 1000 }, 5020, rules);
    expect(then.state.level).toBe('down');
    expect(then.state.contentOnly).toBe(false);
  });

  it('quality rules are not judged while the picture is black (a black slate at a low frame rate is one fault)', () => {
    const r = run(checked(10, (i) => (i >= 1 ? { ...BLACK, fps: 5, freezeMs: 1000 } : {})), compileRules(DEFAULT_RULES, { ...DEFAULT_DETECTOR_SETTINGS, lineGraceWindows: 0, baselineWarmup: 1 }));
    expect(r.changes).toEqual([[3000, 'down', ['black']]]);
  });
});

describe('silence (silenceRatio > 0.9 for 2 s → down)', () => {
  it('trips after two silent windows and clears after 2 s of sound; a pause of one window does not', () => {
    expect(run(checked(12, (i) => (i === 1 || i >= 4 && i < 7 ? SILENT : {}))).changes).toEqual([
      [6000, 'down', ['silence']],
      [9000, 'ok', []],
    ]);
  });
});

describe('loudness (degraded)', () => {
  it('too loud: short-term above −14 LUFS for 10 s; cleared at −16 or below for 5 s', () => {
    expect(run(checked(25, (i) => (i >= 2 && i < 14 ? { loudnessLufs: -9 } : {}))).changes).toEqual([
      [12_000, 'degraded', ['too-loud']],
      [19_000, 'ok', []],
    ]);
  });

  it('too loud for 9 s is not (a loud scene), nor is −15 LUFS for long (inside the limit)', () => {
    expect(run(checked(30, (i) => (i < 9 ? { loudnessLufs: -9 } : { loudnessLufs: -15 }))).changes).toEqual([]);
  });

  it('true peak above −1 dBTP over two windows running; one overshoot is not', () => {
    expect(run(checked(14, (i) => (i === 1 || (i >= 4 && i < 6) ? { truePeakDbtp: -0.2 } : {}))).changes).toEqual([
      [6000, 'degraded', ['true-peak']],
      [11_000, 'ok', []],
    ]);
  });

  it('too quiet: short-term below −45 LUFS for 20 s; quiet but present sound (−38 LUFS) is not', () => {
    expect(run(checked(40, (i) => (i >= 2 && i < 24 ? { loudnessLufs: -50 } : {}))).changes).toEqual([
      [22_000, 'degraded', ['too-quiet']],
      [29_000, 'ok', []],
    ]);
    expect(run(checked(40, () => ({ loudnessLufs: -38 }))).changes).toEqual([]);
  });
});

describe('content checks off (fields absent)', () => {
  it('nothing fires on a line whose probe sends no content fields', () => {
    expect(run(windows(40, () => ({}))).changes).toEqual([]);
  });

  it('a missing window neither trips a pending run nor clears an active one', () => {
    const pending = run(checked(8, (i) => (i === 2 ? BLACK : i >= 3 ? { blackMs: undefined } : {})));
    expect(pending.changes).toEqual([]);
    const active = run(checked(10, (i) => (i >= 1 && i < 3 ? BLACK : i >= 3 ? { blackMs: undefined } : {})));
    expect(active.changes).toEqual([[3000, 'down', ['black']]]);
    expect(active.state.level).toBe('down');
  });
});

describe('content checks on a decode budget (some windows unmeasured)', () => {
  it('a run holds over a window without the field: black, unmeasured, black trips', () => {
    expect(run(checked(6, (i) => (i === 1 || i === 3 ? BLACK : i === 2 ? { blackMs: undefined } : {}))).changes).toEqual([
      [4000, 'down', ['black']],
      [6000, 'ok', []],
    ]);
  });

  it('but not over more than gapWindows (3) unmeasured windows: one black window after checks were off starts afresh', () => {
    expect(run(checked(10, (i) => (i === 1 || i === 6 ? BLACK : i > 1 && i < 6 ? { blackMs: undefined } : {}))).changes).toEqual([]);
  });
});

describe('content rules in config', () => {
  it('a shorter hold for black is one override away: 1 s trips on the first black window', () => {
    const fast = compileRules(mergeRules({ black: { for: 1000 } }), { ...DEFAULT_DETECTOR_SETTINGS, lineGraceWindows: 0 });
    expect(run(checked(6, (i) => (i >= 2 ? BLACK : {})), fast).changes).toEqual([[3000, 'down', ['black']]]);
  });
});
