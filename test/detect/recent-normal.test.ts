import { describe, expect, it } from 'vitest';
import type { Sample } from '../../src/model/sample.ts';
import { compileRules, evaluateLine, type LineState } from '../../src/detect/line-health.ts';
import { DEFAULT_DETECTOR_SETTINGS, DEFAULT_RULES } from '../../src/detect/rules-schema.ts';
import { sharedRules } from '../../src/detect/source-fault.ts';
import { Lab, windows } from './helpers.ts';

/**
 * Resolution drop and bitrate collapse against the line's own recent normal (the trailing median
 * of its healthy windows), and compared across the stream's lines (source-fault.ts).
 */
const rules = compileRules(DEFAULT_RULES, { ...DEFAULT_DETECTOR_SETTINGS, lineGraceWindows: 0 });

function run(samples: Sample[]): { changes: [number, string, string[]][]; state: LineState } {
  let state: LineState | undefined;
  const changes: [number, string, string[]][] = [];
  for (const s of samples) {
    const r = evaluateLine(state, s, s.t + 20, rules);
    state = r.state;
    if (r.change) changes.push([r.change.t, r.change.to, r.change.reasons.map((x) => x.rule).sort()]);
  }
  return { changes, state: state! };
}

describe("against the line's own recent normal", () => {
  it('1080p → 360p trips resolution-drop after 3 s; back to 1080p clears after 5 s', () => {
    expect(run(windows(30, (i) => (i >= 10 && i < 20 ? { height: 360, width: 640 } : {}))).changes).toEqual([
      [13_000, 'degraded', ['resolution-drop']],
      [25_000, 'ok', []],
    ]);
  });

  it('a bitrate collapse to 10 % trips after 5 s', () => {
    expect(run(windows(20, (i) => (i >= 10 ? { bitrateBps: 200_000 } : {}))).changes).toEqual([[15_000, 'degraded', ['bitrate-collapse']]]);
  });

  it('a minute at a lower but healthy rendition does not lower the normal (an EWMA would have followed it)', () => {
    // 3 min at 1080, 30 s at 864 (80 %, healthy), then 700: 65 % of the median 1080 trips; against
    // an EWMA (α 0.05) dragged to ≈ 910 it would be 77 % and pass.
    const samples = windows(240, (i) => (i < 180 ? {} : i < 210 ? { height: 864 } : { height: 700 }));
    const r = run(samples);
    expect(r.state.baselines.height.value).toBe(1080);
    expect(r.changes).toEqual([[213_000, 'degraded', ['resolution-drop']]]);
  });

  it('learns nothing while degraded: a long drop stays a drop', () => {
    const r = run(windows(400, (i) => (i >= 10 ? { height: 360 } : {})));
    expect(r.state.level).toBe('degraded');
    expect(r.state.baselines.height.value).toBe(1080);
  });

  it('bounded memory per view whatever it has seen', () => {
    const r = run(windows(1000, () => ({})));
    const b = r.state.baselines;
    expect([b.bitrate, b.height, b.fps].map((m) => m.bucket.length + m.medians.length)).toEqual([36, 36, 36]);
  });
});

const LOW = { height: 360, width: 640 };
const lab = () => {
  const l = new Lab();
  l.run(10);
  return l;
};

describe('compared across the lines of a stream', () => {
  it('the primary fell to 360p while the backup stays at 1080p: the primary\'s fault (scope line)', () => {
    const l = lab();
    l.run(4, (_s, line) => (line === 'primary' ? LOW : undefined));
    expect(l.active()).toEqual(['s1/primary/degraded P2 line']);
  });

  it('both lines fell together in every region: the source\'s (lead degraded incident, scope stream, cause source-degraded)', () => {
    const l = lab();
    l.run(4, () => LOW);
    expect(l.active()).toEqual(['s1/backup/degraded P2 line', 's1/primary/degraded P2 stream']);
    const lead = l.events.filter((e) => e.key === 's1/primary/degraded').at(-1)!;
    expect(lead).toMatchObject({ scope: 'stream', cause: 'source-degraded', related: ['s1/backup/degraded'] });
    // the backup recovers: the primary's drop is its own again
    l.run(6, (_s, line) => (line === 'primary' ? LOW : undefined));
    expect(l.active()).toEqual(['s1/primary/degraded P2 line']);
  });

  it('both degraded, but by different rules: each line\'s own', () => {
    const l = lab();
    l.run(6, (_s, line) => (line === 'primary' ? LOW : { bitrateBps: 100_000 }));
    expect(l.active()).toEqual(['s1/backup/degraded P2 line', 's1/primary/degraded P2 line']);
  });

  it('both fell, but the backup only in one region: not the source\'s', () => {
    const l = lab();
    l.run(4, (_s, line, region) => (line === 'primary' || region === 'eu' ? LOW : undefined));
    expect(l.active()).toEqual(['s1/backup/degraded P2 regional', 's1/primary/degraded P2 line']);
  });

  it('sharedRules needs two lines to compare', () => {
    const l = lab();
    l.run(4, () => LOW);
    const views = l.det.state.streams.get('s1')!.lines;
    expect(sharedRules([views.get('primary')!], l.det.ctx.rules.rules)).toEqual([]);
    expect(sharedRules([views.get('primary')!, views.get('backup')!], l.det.ctx.rules.rules)).toEqual(['resolution-drop']);
  });
});
