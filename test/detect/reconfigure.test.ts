import { describe, expect, it } from 'vitest';
import { compileDetector, createDetector, type Detector } from '../../src/detect/detector.ts';
import { mergeRules, type RuleOverride } from '../../src/detect/rules-schema.ts';
import type { IncidentEvent } from '../../src/model/incident.ts';
import type { Sample } from '../../src/model/sample.ts';
import type { StreamConfig } from '../../src/model/stream.ts';
import { sample, stream } from './helpers.ts';

/**
 * A config reload moves the running detector onto another config (src/detect/reconfigure.ts):
 * what stays keeps its state, what left is dropped and its later samples ignored, rule changes
 * apply from the next sample on. One probe (eu), 1 s windows, samples at T+100.
 */

const DOWN: Partial<Sample> = { connected: false, fps: 0, bitrateBps: 0, stallMs: 1000, error: 'refused' };
const STALL: Partial<Sample> = { stallMs: 200 };
const ONE_LINE = { primary: { url: 'rtmp://127.0.0.1/live/a' } };

function brief(events: IncidentEvent[]): string[] {
  return events.map((e) => `${e.type} ${e.key} ${e.severity}`);
}

/** Feeds windows i = from..to of `line` of `streamId` (over per window), returning the events. */
function feed(det: Detector, streamId: string, line: string, from: number, to: number, over: Partial<Sample> = {}): string[] {
  const out: string[] = [];
  for (let i = from; i <= to; i++) {
    const T = 1000 * i;
    out.push(...brief(det.step(sample({ stream: streamId, line, seq: i * 10 + line.length, t: T, ...over }), T + 100)));
    out.push(...brief(det.step({ type: 'tick' }, T + 500)));
  }
  return out;
}

function active(det: Detector): string[] {
  return det
    .activeIncidents()
    .map((x) => `${x.key} ${x.severity}`)
    .sort();
}

function reconfigured(streams: StreamConfig[], rules?: Record<string, RuleOverride>) {
  return compileDetector({ streams, rules: mergeRules(rules) });
}

describe('detector reconfigure (config reload)', () => {
  it('a stream that stays keeps its views and incidents; a removed one is dropped and its later samples are ignored', () => {
    const det = createDetector({ streams: [stream({ id: 's1', lines: ONE_LINE }), stream({ id: 's2', lines: ONE_LINE })] });
    feed(det, 's1', 'primary', 1, 5, DOWN);
    feed(det, 's2', 'primary', 1, 5, DOWN);
    expect(active(det)).toEqual(['s1/primary/down P0', 's2/primary/down P0']);

    const events = det.reconfigure(reconfigured([stream({ id: 's1', lines: ONE_LINE })]), 5600);
    expect(events).toEqual([]);
    expect(active(det)).toEqual(['s1/primary/down P0']);
    expect(det.state.streams.has('s2')).toBe(false);
    expect(det.state.probes.get('p-eu')!.views.has('s2')).toBe(false);
    expect(det.state.probes.get('p-eu')!.viewCount).toBe(1);

    // A probe not yet told keeps sending the removed stream: nothing opens.
    expect(feed(det, 's2', 'primary', 6, 10, DOWN)).toEqual([]);
    expect(det.state.stats.retired).toBe(5);
    expect(det.state.streams.has('s2')).toBe(false);
    // The stream that stayed still clears as before (within the blip time: lowered to P3).
    expect(feed(det, 's1', 'primary', 6, 9)).toContain('clear s1/primary/down P3');
  });

  it('a stream added back is watched again from its first sample, in start-up grace', () => {
    const det = createDetector({ streams: [stream({ id: 's1', lines: ONE_LINE }), stream({ id: 's2' })] });
    det.reconfigure(reconfigured([stream({ id: 's1', lines: ONE_LINE })]), 500);
    expect(feed(det, 's2', 'primary', 1, 1, DOWN)).toEqual([]);
    det.reconfigure(reconfigured([stream({ id: 's1', lines: ONE_LINE }), stream({ id: 's2' })]), 1600);
    // Primary down, backup not heard yet: P1 within the grace (3 windows), P0 once it has passed.
    expect(feed(det, 's2', 'primary', 2, 6, DOWN)).toEqual(['open s2/primary/down P1', 'raise s2/primary/down P0']);
  });

  it('a line removed from a stream takes its incident with it; a line added gets a fresh start-up grace', () => {
    const det = createDetector({ streams: [stream({ id: 's1' })] });
    feed(det, 's1', 'primary', 1, 5, DOWN);
    feed(det, 's1', 'backup', 1, 5, DOWN);
    expect(active(det)).toEqual(['s1/backup/down P1', 's1/primary/down P0']);

    det.reconfigure(reconfigured([stream({ id: 's1', lines: ONE_LINE })]), 5600);
    expect(active(det)).toEqual(['s1/primary/down P0']);
    expect(det.state.streams.get('s1')!.lineOrder).toEqual(['primary']);
    expect(feed(det, 's1', 'backup', 6, 6, DOWN)).toEqual([]);

    const withSpare = { ...ONE_LINE, spare: { url: 'rtmp://127.0.0.1/live/spare' } };
    det.reconfigure(reconfigured([stream({ id: 's1', lines: withSpare })]), 7000);
    const sv = det.state.streams.get('s1')!;
    expect(sv.lineOrder).toEqual(['primary', 'spare']);
    expect(sv.graceUntil).toBe(7000 + 3 * 1000);
    expect(det.state.awaiting.has(sv)).toBe(true);
  });

  it('rule changes apply from the next sample: a disabled rule clears its condition, runs of kept rules carry over', () => {
    // Quality judged from the first window (no per-view grace), so the stall trips within 4 windows.
    const det = createDetector({ streams: [stream({ id: 's1', lines: ONE_LINE })], settings: { lineGraceWindows: 0 } });
    expect(feed(det, 's1', 'primary', 1, 4, STALL)).toContain('open s1/primary/degraded P2');

    // Disabling a rule listed before the stall rule shifts its index: its active run must follow its name.
    const stallAt = () => det.ctx.rules.rules.findIndex((r) => r.name === 'stall');
    const before = stallAt();
    det.reconfigure(reconfigured([stream({ id: 's1', lines: ONE_LINE })], { 'no-media': { enabled: false } }), 4600);
    expect(stallAt()).toBe(before - 1);
    expect(feed(det, 's1', 'primary', 5, 6, STALL)).toEqual([]);
    expect(active(det)).toEqual(['s1/primary/degraded P2']);

    det.reconfigure(reconfigured([stream({ id: 's1', lines: ONE_LINE })], { stall: { enabled: false } }), 6600);
    expect(feed(det, 's1', 'primary', 7, 7, STALL)).toEqual(['clear s1/primary/degraded P3']);
  });

  it('a raised threshold applies to new evaluation: what it no longer counts as bad does not trip', () => {
    const det = createDetector({ streams: [stream({ id: 's1', lines: ONE_LINE })] });
    det.reconfigure(reconfigured([stream({ id: 's1', lines: ONE_LINE })], { stall: { threshold: 0.5 } }), 500);
    expect(feed(det, 's1', 'primary', 1, 6, STALL)).toEqual([]);
  });
});
