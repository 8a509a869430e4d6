import { describe, expect, it } from 'vitest';
import { LoopLog, type LoopSlice } from '../../../probes/health/loop-log.ts';

/** Looks every 100 ms from `from` to `to`, on time, with a small event-loop delay each. */
function onTime(log: LoopLog, from: number, to: number, delayMs = 3): void {
  for (let t = from + 100; t <= to; t += 100) log.add({ from: t - 100, to: t, lateMs: 0, delayMs });
}

describe('LoopLog', () => {
  it('on-time looks: no stall, the worst delay', () => {
    const log = new LoopLog(120_000);
    onTime(log, 0, 2000);
    log.add({ from: 2000, to: 2100, lateMs: 0, delayMs: 40 });
    onTime(log, 2100, 3000);
    expect(log.worst(1000, 2000)).toEqual({ stalledMs: 0, eventLoopDelayMs: 3 });
    expect(log.worst(2000, 3000)).toEqual({ stalledMs: 0, eventLoopDelayMs: 40 });
  });

  /**
   * The probe is stopped from 1050 to 2500. Its look due at 1100 comes at 2500 (1400 late); its
   * window due at 2000 closes at 2495, before that look (same turn of the loop, timer order).
   */
  const stopped = (): LoopLog => {
    const log = new LoopLog(120_000);
    onTime(log, 0, 1000);
    return log;
  };
  const lateLook: LoopSlice = { from: 1000, to: 2500, lateMs: 1400, delayMs: 1450 };

  it('the window that overlaps a stop: the stretch since the last look, before the late look is in', () => {
    const log = stopped();
    // At its close (2495) the late look has not run: the open stretch since the last look counts.
    const open: LoopSlice = { from: 1000, to: 2495, lateMs: 1395, delayMs: 0 };
    expect(log.worst(1000, 2495, open).stalledMs).toBe(1395);
  });

  it('the window after a stop is charged only if its measurements reach back into it', () => {
    const log = stopped();
    log.add(lateLook);
    onTime(log, 2500, 3500);
    // Its media arrived after the resumption: the jump ends 5 ms into it, nothing of it counts beyond that.
    expect(log.worst(2495, 3495)).toEqual({ stalledMs: 5, eventLoopDelayMs: 5 });
    // It closed a media gap that began before the stop (media that waited in the pipe): charged in full.
    expect(log.worst(1040, 3495)).toEqual({ stalledMs: 1400, eventLoopDelayMs: 1450 });
  });

  it('an event-loop delay between two looks counts only as far as it can lie inside the span', () => {
    const log = new LoopLog(120_000);
    log.add({ from: 0, to: 300, lateMs: 200, delayMs: 250 });
    expect(log.worst(0, 1000).eventLoopDelayMs).toBe(250);
    expect(log.worst(280, 1000).eventLoopDelayMs).toBe(20);
    expect(log.worst(300, 1000)).toEqual({ stalledMs: 0, eventLoopDelayMs: 0 });
  });

  it('forgets what is older than it keeps', () => {
    const log = new LoopLog(1000);
    log.add({ from: 0, to: 500, lateMs: 400, delayMs: 400 });
    onTime(log, 500, 1400);
    expect(log.worst(0, 1400).stalledMs).toBe(400);
    onTime(log, 1400, 1600);
    expect(log.worst(0, 1600).stalledMs).toBe(0);
  });
});
