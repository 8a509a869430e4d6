import { describe, expect, it } from 'vitest';
import { IMPAIRMENT_PRIORITY, impairment, type HealthReadings } from '../../../probes/health/impairment.ts';
import { DEFAULT_PROBE_HEALTH as T } from '../../../src/model/probe-health.ts';

/** Readings of a probe on a quiet host: nothing near a threshold. */
const quiet: HealthReadings = { stalledMs: 5, eventLoopDelayMs: 12, timerLateMs: 2, childLateMs: 0.3, cpuUsePct: 4, cpuPressurePct: 3 };

/** Each reason's reading, set exactly at its default threshold. */
const atThreshold: Record<(typeof IMPAIRMENT_PRIORITY)[number], Partial<HealthReadings>> = {
  'time-jump': { stalledMs: T.timeJumpMs },
  'child-late': { childLateMs: T.childLateMs },
  'event-loop': { eventLoopDelayMs: T.eventLoopDelayMs },
  'timer-late': { timerLateMs: T.timerLateMs },
  'cpu-use': { cpuUsePct: T.cpuUsePct as number },
  'cpu-pressure': { cpuPressurePct: T.cpuPressurePct as number },
};

describe('impairment (the pure decision)', () => {
  it('a quiet probe is not impaired', () => {
    expect(impairment(quiet, T)).toBeUndefined();
  });

  it.each(IMPAIRMENT_PRIORITY)('%s: trips at its threshold, not just below it', (reason) => {
    const at = { ...quiet, ...atThreshold[reason] };
    expect(impairment(at, T)).toBe(reason);
    const below = Object.fromEntries(Object.entries(atThreshold[reason]).map(([k, v]) => [k, (v as number) * 0.99]));
    expect(impairment({ ...quiet, ...below }, T)).toBeUndefined();
  });

  it('several at once: the most specific by the fixed priority', () => {
    const all: HealthReadings = Object.assign({ ...quiet }, ...Object.values(atThreshold));
    expect(impairment(all, T)).toBe('time-jump');
    // Without the jump, the children's lateness; then the loop; the host's pressure last.
    expect(impairment({ ...all, stalledMs: 0 }, T)).toBe('child-late');
    expect(impairment({ ...all, stalledMs: 0, childLateMs: 0 }, T)).toBe('event-loop');
    expect(impairment({ ...quiet, cpuUsePct: 500, cpuPressurePct: 100 }, T)).toBe('cpu-use');
    expect(IMPAIRMENT_PRIORITY).toEqual(['time-jump', 'child-late', 'event-loop', 'timer-late', 'cpu-use', 'cpu-pressure']);
  });

  it('a stopped probe is a time jump, not the event-loop delay the same stop also shows', () => {
    expect(impairment({ ...quiet, stalledMs: 1480, eventLoopDelayMs: 1480, timerLateMs: 1470 }, T)).toBe('time-jump');
    // A delay long enough to matter but short of a jump is the loop's.
    expect(impairment({ ...quiet, stalledMs: 400, eventLoopDelayMs: 400 }, T)).toBe('event-loop');
  });

  it('readings a host cannot give (no PSI, no child, no /proc) are no signal', () => {
    const { cpuPressurePct: _p, childLateMs: _c, ...bare } = quiet;
    expect(impairment(bare, T)).toBeUndefined();
  });

  it('thresholds are the configured ones; false turns a circumstantial reason off', () => {
    const strict = { ...T, eventLoopDelayMs: 10 };
    expect(impairment(quiet, strict)).toBe('event-loop');
    const saturated = { ...quiet, cpuPressurePct: 100, cpuUsePct: 400 };
    expect(impairment(saturated, T)).toBe('cpu-use');
    expect(impairment(saturated, { ...T, cpuUsePct: false })).toBe('cpu-pressure');
    expect(impairment(saturated, { ...T, cpuUsePct: false, cpuPressurePct: false })).toBeUndefined();
  });
});
