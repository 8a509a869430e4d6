import { describe, expect, it } from 'vitest';
import type { StreamConfig } from '../../src/model/stream.ts';
import type { Sample } from '../../src/model/sample.ts';
import { compileRules, evaluateLine, type LineState } from '../../src/detect/line-health.ts';
import { DEFAULT_RULES, DEFAULT_DETECTOR_SETTINGS } from '../../src/detect/rules-schema.ts';
import { sample, stream, windows } from './helpers.ts';

/** The rules as such, judged from a view's first window: the per-view grace has its own cases below. */
const rules = compileRules(DEFAULT_RULES, { ...DEFAULT_DETECTOR_SETTINGS, lineGraceWindows: 0 });

/** [t, new level, active rules] per change. */
type Change = [number, string, string[]];

function run(samples: Sample[], cfg?: StreamConfig, compiled = rules): { changes: Change[]; state: LineState; ignored: string[]; onsets: number[] } {
  let state: LineState | undefined;
  const changes: Change[] = [];
  const ignored: string[] = [];
  const onsets: number[] = [];
  for (const s of samples) {
    const r = evaluateLine(state, s, s.t + 20, compiled, cfg);
    state = r.state;
    if (r.ignored) ignored.push(`${s.seq}:${r.ignored}`);
    if (r.change) {
      changes.push([r.change.t, r.change.to, r.change.reasons.map((x) => x.rule).sort()]);
      onsets.push(r.change.onset);
    }
  }
  return { changes, state: state!, ignored, onsets };
}

const healthy = (n: number, t0 = 0, seq0 = 0): Sample[] => windows(n, () => ({}), t0, seq0);
/** `before` healthy windows, then `bad` windows of `over`, then `after` healthy windows. */
function episode(before: number, bad: number, after: number, over: Partial<Sample>): Sample[] {
  return windows(before + bad + after, (i) => (i >= before && i < before + bad ? over : {}));
}

const call = stream({ id: 's1', kind: 'call' });
const fps30 = stream({ id: 's1', nominalFps: 30 });

interface Case {
  name: string;
  samples: Sample[];
  cfg?: StreamConfig;
  changes: Change[];
  onsets?: number[];
}

const cases: Case[] = [
  { name: 'healthy stays ok', samples: healthy(20), changes: [] },
  {
    name: 'disconnected for one window → down at once; clears after 2 s connected',
    samples: episode(3, 1, 4, { connected: false, fps: 0, bitrateBps: 0, stallMs: 1000, error: 'eof' }),
    changes: [
      [4000, 'down', ['disconnected']],
      [6000, 'ok', []],
    ],
    onsets: [3000, NaN],
  },
  {
    name: 'connected with no media → down after 2 s (no-media); clears after 2 s of media, with no stall P2 after it',
    samples: episode(3, 4, 5, { fps: 0, bitrateBps: 0, stallMs: 1000 }),
    // stall would trip at the same time: while the line is down quality is not judged, so it
    // does not hold the line degraded for its 5 s clear time once no-media has cleared.
    changes: [
      [5000, 'down', ['no-media']],
      [9000, 'ok', []],
    ],
    onsets: [3000, NaN],
  },
  {
    name: 'stall ratio 0.2 for 2 s → degraded; clear after 5 s at ≤ 0.02',
    samples: episode(2, 3, 6, { stallMs: 200 }),
    changes: [
      [4000, 'degraded', ['stall']],
      [10000, 'ok', []],
    ],
  },
  {
    name: 'stall exactly at threshold 0.1 never trips',
    samples: episode(2, 6, 0, { stallMs: 100 }),
    changes: [],
  },
  {
    name: 'flapping stall (bad, good, bad, …) never holds 2 s → stays ok',
    samples: windows(20, (i) => (i % 2 === 0 ? { stallMs: 500 } : {})),
    changes: [],
  },
  {
    name: 'hysteresis band: stall 0.05 after tripping keeps it degraded',
    samples: windows(20, (i) => (i < 3 ? { stallMs: 300 } : { stallMs: 50 })),
    changes: [[2000, 'degraded', ['stall']]],
  },
  {
    name: 'band interrupts the clear run: clear needs 5 s of contiguous clear windows',
    samples: windows(14, (i) => (i < 2 ? { stallMs: 300 } : i === 5 ? { stallMs: 50 } : {})),
    // clear run 1: windows 3..5 (t 3000-5000) broken by band at t=6000; run 2 from t=7000 (start 6000) → 11000
    changes: [
      [2000, 'degraded', ['stall']],
      [11000, 'ok', []],
    ],
  },
  {
    // The probe held the picture for FROZEN_AFTER_MS before it counted any of it: no hold here.
    name: 'a window mostly frozen → degraded at once, the freeze began 1 s before; clear after 3 s',
    samples: episode(1, 3, 4, { freezeMs: 800 }),
    changes: [
      [2000, 'degraded', ['freeze']],
      [7000, 'ok', []],
    ],
    onsets: [1000, NaN],
  },
  {
    name: 'a short window the probe sent as the picture froze → degraded; onset 1 s back, not the window\'s 200 ms',
    samples: [...windows(3, () => ({})), sample({ t: 3200, seq: 4, windowMs: 200, freezeMs: 200 }), ...windows(2, () => ({ freezeMs: 1000 }), 3200, 4)],
    changes: [[3200, 'degraded', ['freeze']]],
    onsets: [2200],
  },
  {
    name: 'a window frozen for less than half of it is not a frozen line (the freeze ended early in it)',
    samples: windows(6, (i) => (i === 2 ? { freezeMs: 400 } : {})),
    changes: [],
  },
  {
    name: 'fps below 80 % of nominal for 3 s → degraded',
    cfg: fps30,
    samples: episode(2, 4, 6, { fps: 23 }),
    changes: [
      [5000, 'degraded', ['low-fps']],
      [11000, 'ok', []],
    ],
  },
  { name: 'fps at 80 % of nominal does not trip', cfg: fps30, samples: episode(2, 6, 0, { fps: 24 }), changes: [] },
  {
    name: 'fps without nominal uses the learnt baseline (after warm-up)',
    samples: episode(6, 4, 0, { fps: 15 }),
    changes: [[9000, 'degraded', ['low-fps']]],
  },
  {
    name: 'latency above the call budget (400 ms) for 3 s → degraded',
    cfg: call,
    samples: episode(1, 4, 6, { latencyMs: 700 }).map((s) => ({ ...s, latencyMs: s.latencyMs ?? 100 })),
    changes: [
      [4000, 'degraded', ['latency']],
      [10000, 'ok', []],
    ],
  },
  {
    name: 'latency uses stream.latencyBudgetMs over the kind default',
    cfg: stream({ id: 's1', kind: 'call', latencyBudgetMs: 1000 }),
    samples: episode(1, 6, 0, { latencyMs: 700 }),
    changes: [],
  },
  {
    name: 'bitrate collapse to 15 % of the learnt baseline for 5 s → degraded',
    samples: episode(10, 6, 6, { bitrateBps: 300_000 }),
    changes: [
      [15000, 'degraded', ['bitrate-collapse']],
      [21000, 'ok', []],
    ],
  },
  {
    name: 'a stream that is low from its first window has no healthier baseline → no collapse verdict',
    samples: episode(0, 12, 0, { bitrateBps: 100_000 }),
    changes: [],
  },
  {
    name: 'resolution drop 1080p → 480p for 3 s → degraded ("blurry picture")',
    samples: episode(6, 4, 6, { width: 854, height: 480 }),
    changes: [
      [9000, 'degraded', ['resolution-drop']],
      [15000, 'ok', []],
    ],
  },
  {
    name: 'startup 900 ms on a call (budget 600) → degraded at once, clears 15 s later',
    cfg: call,
    samples: windows(20, (i) => (i === 2 ? { startupMs: 900 } : {})),
    changes: [
      [3000, 'degraded', ['slow-startup']],
      [18000, 'ok', []],
    ],
  },
  {
    name: 'a reconnect that waited out an outage (startup 4.9 s) is recovery, not a slow startup',
    cfg: call,
    samples: windows(12, (i) => (i >= 2 && i < 5 ? { connected: false, fps: 0, bitrateBps: 0, stallMs: 1000, error: 'timeout' } : i === 5 ? { startupMs: 4900 } : {})),
    changes: [
      [3000, 'down', ['disconnected']],
      [7000, 'ok', []],
    ],
  },
  { name: 'startup 2500 ms on show-live (budget 3000) is fine', samples: windows(5, (i) => (i === 0 ? { startupMs: 2500 } : {})), changes: [] },
  {
    name: 'audio leads by 100 ms for 3 s → degraded; 80 ms (band) holds; 40 ms for 5 s clears',
    samples: windows(16, (i) => ({ avSyncMs: i < 3 ? 100 : i < 8 ? 80 : 40 })),
    changes: [
      [3000, 'degraded', ['av-sync-lead']],
      [13000, 'ok', []],
    ],
  },
  { name: 'audio lead of exactly 90 ms is acceptable', samples: windows(8, () => ({ avSyncMs: 90 })), changes: [] },
  {
    name: 'audio lags by 200 ms for 3 s → degraded',
    samples: windows(10, (i) => ({ avSyncMs: i < 4 ? -200 : -150 })),
    changes: [[3000, 'degraded', ['av-sync-lag']]],
  },
  { name: 'audio lag of exactly 185 ms is acceptable', samples: windows(8, () => ({ avSyncMs: -185 })), changes: [] },
  {
    name: 'disconnect while degraded: down, then judged afresh (the freeze is over: ok)',
    samples: windows(16, (i) => (i < 3 ? { freezeMs: 1000 } : i === 3 ? { connected: false, fps: 0, bitrateBps: 0 } : {})),
    changes: [
      [1000, 'degraded', ['freeze']],
      [4000, 'down', ['disconnected']],
      [6000, 'ok', []],
    ],
  },
  {
    name: 'disconnect while degraded, still degraded after it: degraded again once judged afresh',
    samples: windows(16, (i) => (i === 3 ? { connected: false, fps: 0, bitrateBps: 0 } : { freezeMs: 1000 })),
    changes: [
      [1000, 'degraded', ['freeze']],
      [4000, 'down', ['disconnected']],
      [6000, 'degraded', ['freeze']],
    ],
  },
  {
    name: 'a gap of more than 3 windows restarts a pending run',
    samples: [...windows(1, () => ({ stallMs: 500 })), ...windows(1, () => ({ stallMs: 500 }), 5000, 1), ...windows(1, () => ({ stallMs: 500 }), 6000, 2)],
    changes: [[7000, 'degraded', ['stall']]],
  },
];

describe('evaluateLine rules', () => {
  it.each(cases)('$name', ({ samples, cfg, changes, onsets }) => {
    const r = run(samples, cfg);
    expect(r.changes).toEqual(changes);
    if (onsets) expect(r.onsets).toEqual(onsets);
  });
});

describe('evaluateLine per-view grace (lineGraceWindows, default 5)', () => {
  const graced = compileRules(DEFAULT_RULES, DEFAULT_DETECTOR_SETTINGS);
  const down = { connected: false, fps: 0, bitrateBps: 0, stallMs: 1000, error: 'timeout' } as const;

  it('a slow startup in a view\'s first window (the probe connecting every line at once) opens nothing', () => {
    // Measured in the demo under load: 664 ms on a call's HLS path (budget 600), 17–54 ms when the line starts alone.
    expect(run(windows(20, (i) => (i === 0 ? { startupMs: 664 } : {})), call, graced).changes).toEqual([]);
  });

  it('a quality condition from the first window is judged once the grace is over: trips `for` after it', () => {
    // Windows 1–5 (t ≤ 5000) are the grace; the stall run starts with window 6 (5000–6000), trips 2 s on.
    expect(run(windows(12, () => ({ stallMs: 300 })), undefined, graced).changes).toEqual([[7000, 'degraded', ['stall']]]);
  });

  it('a reconnect\'s transients (a stalled window, low fps, a late segment) open nothing; down rules still judge', () => {
    const samples = windows(30, (i) => {
      if (i >= 10 && i < 13) return down;
      // Back: the first windows close the outage's gap, carry a replayed burst, or a stale HLS latency.
      if (i === 13) return { stallMs: 900, fps: 4, startupMs: 700, latencyMs: 20_000 };
      if (i === 14 || i === 15) return { stallMs: 400, fps: 15 };
      return {};
    });
    expect(run(samples, call, graced).changes).toEqual([
      [11_000, 'down', ['disconnected']],
      [15_000, 'ok', []],
    ]);
  });

  it('the grace runs for lineGraceWindows windows after the last down window, then quality counts again', () => {
    // Disconnected in t 11 000–13 000, down until `disconnected` clears after 2 s of media (15 000):
    // the last down window ends at 14 000, the grace at 19 000; the freeze (there since the line came
    // back) is judged from the window 19 000–20 000 on and trips with it (the probe held it already).
    const samples = windows(30, (i) => (i >= 10 && i < 13 ? down : i >= 13 ? { freezeMs: 1000 } : {}));
    expect(run(samples, undefined, graced).changes).toEqual([
      [11_000, 'down', ['disconnected']],
      [15_000, 'ok', []],
      [20_000, 'degraded', ['freeze']],
    ]);
  });

  it('a gap of more than gapWindows windows (a restarted probe) starts a new grace', () => {
    const before = windows(8, () => ({}));
    const after = windows(4, (i) => (i === 0 ? { startupMs: 900 } : {}), 20_000, 8);
    expect(run([...before, ...after], call, graced).changes).toEqual([]);
  });

  it('baselines are not learnt in the grace: a first window carrying a burst does not become the bitrate baseline', () => {
    const r = run(windows(12, (i) => (i === 0 ? { bitrateBps: 6_000_000 } : {})), undefined, graced);
    expect(r.state.baselines.bitrate.value).toBe(2_000_000);
    expect(r.state.baselines.bitrate.learnt).toBe(7);
  });
});

describe('evaluateLine ordering', () => {
  it('a quality condition that comes back soon after clearing needs twice as long to clear each time; after a long clean stretch, its clearFor again', () => {
    // stall: trips after 2 s, clears after 5 s clean; relapses within relapseWindowMs (60 s) double that
    const stalled = { stallMs: 200 };
    const plan: [number, Partial<Sample>][] = [[2, {}], [3, stalled], [6, {}], [3, stalled], [11, {}], [3, stalled], [21, {}], [70, {}], [3, stalled], [6, {}]];
    const samples = plan.flatMap(([n, over]) => Array.from({ length: n }, () => over)).map((over, i) => sample({ t: 1000 * (i + 1), seq: i + 1, ...over }));
    const { changes } = run(samples);
    // degraded 2 s after the first bad window's start; ok clearFor × factor after the first clean window's start
    expect(changes.map(([t, level]) => [t, level])).toEqual([
      [4000, 'degraded'], [10_000, 'ok'], // clearFor: 5 s
      [13_000, 'degraded'], [24_000, 'ok'], // back 3 s after clearing: 10 s
      [27_000, 'degraded'], [48_000, 'ok'], // again: 20 s
      [121_000, 'degraded'], [127_000, 'ok'], // after 73 s clean: 5 s again
    ]);
  });

  it('a line that drops out again soon is judged as before: each drop-out clears after the down rule\'s clearFor', () => {
    const out = { connected: false, fps: 0, bitrateBps: 0, stallMs: 1000, error: 'eof' as const };
    const plan: [number, Partial<Sample>][] = [[2, {}], [1, out], [4, {}], [1, out], [4, {}]];
    const samples = plan.flatMap(([n, over]) => Array.from({ length: n }, () => over)).map((over, i) => sample({ t: 1000 * (i + 1), seq: i + 1, ...over }));
    const { changes } = run(samples);
    const downs = changes.filter(([, level]) => level === 'down').map(([t]) => t);
    const oks = changes.filter(([, level]) => level === 'ok').map(([t]) => t);
    expect(downs).toHaveLength(2);
    expect(oks[0]! - downs[0]!).toBe(oks[1]! - downs[1]!);
  });

  it('ignores late and duplicate samples without changing state', () => {
    const s = healthy(3);
    const bad = sample({ t: 4000, seq: 4, connected: false });
    const r = run([...s, sample({ t: 2000, seq: 9, connected: false }), sample({ t: 3000, seq: 3 }), bad, { ...bad }, sample({ t: 4500, seq: 4 })]);
    expect(r.ignored).toEqual(['9:late', '3:duplicate', '4:duplicate', '4:duplicate']);
    expect(r.changes).toEqual([[4000, 'down', ['disconnected']]]);
    expect(r.state.lastT).toBe(4000);
    expect(r.state.dropped).toBe(4);
  });

  it('accepts a probe clock step back (> 30 s) with a newer seq as a clock reset', () => {
    const r = run([...healthy(3, 100_000), sample({ t: 50_000, seq: 4, connected: false })]);
    expect(r.ignored).toEqual([]);
    expect(r.changes).toEqual([[50_000, 'down', ['disconnected']]]);
  });

  it('uses only the sample clock: the same sequence with a skewed probe clock gives the same verdicts, shifted', () => {
    const base = episode(3, 3, 6, { freezeMs: 900 });
    const skewed = base.map((s) => ({ ...s, t: s.t + 123_456 }));
    const a = run(base).changes;
    const b = run(skewed).changes.map(([t, l, rr]) => [t - 123_456, l, rr]);
    expect(b).toEqual(a);
    expect(a).toHaveLength(2);
  });

  it('learns baselines only while healthy', () => {
    const r = run(episode(10, 12, 0, { bitrateBps: 200_000 }));
    expect(r.state.level).toBe('degraded');
    // the collapse did not drag the baseline down (no learning while pending/active)
    expect(r.state.baselines.bitrate.value).toBe(2_000_000);
    expect(r.state.baselines.bitrate.learnt).toBe(10);
  });

  it('reports reasons with the rule, value and since', () => {
    // A down window flushed 1.5 s after the last frame: the onset is that last frame.
    const r = evaluateLine(undefined, sample({ connected: false, t: 7000, seq: 1, maxGapMs: 1500, stallMs: 20 }), 7100, rules);
    expect(r.change).toMatchObject({ from: 'ok', to: 'down', at: 7100, t: 7000, onset: 5500 });
    expect(r.change?.reasons).toEqual([{ rule: 'disconnected', metric: 'disconnected', value: 1, threshold: 0.5, yields: 'down', since: 5500, op: '>', forMs: 0, lastedMs: 1500 }]);
    expect(r.state.onsetSample?.t).toBe(7000);
  });
});
