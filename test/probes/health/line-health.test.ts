import { describe, expect, it } from 'vitest';
import { LineHealth, type HealthCounters, type ProbeHealthContext } from '../../../probes/health/line-health.ts';
import { LoopLog } from '../../../probes/health/loop-log.ts';
import type { Schedstat } from '../../../probes/health/schedstat.ts';
import { DEFAULT_PROBE_HEALTH } from '../../../src/model/probe-health.ts';

/** Counters a test moves by hand: the process's CPU µs, the PSI total µs, each child's schedstat. */
class Counters implements HealthCounters {
  cpu = 0;
  psi: number | undefined = 0;
  readonly stats = new Map<number, Schedstat>();
  cpuUs = () => this.cpu;
  cpuPressureUs = () => this.psi;
  schedstat = (pid: number) => this.stats.get(pid);
}

function probe(log = new LoopLog(120_000)): ProbeHealthContext & { log: LoopLog } {
  return { log, thresholds: () => DEFAULT_PROBE_HEALTH, loop: (from, now) => log.worst(from, now) };
}

const end = (now: number, over: Partial<Parameters<LineHealth['close']>[0]> = {}) => ({ now, measuredSince: now - 1000, timerLateMs: 1, pids: [], ...over });

describe('LineHealth', () => {
  it('CPU use and host pressure are deltas over the window, in %', () => {
    const c = new Counters();
    const h = new LineHealth(probe(), 0, c);
    c.cpu += 50_000; // 50 ms of CPU in a 1 s window
    c.psi! += 300_000; // someone waited 300 ms
    expect(h.close(end(1000)).readings).toMatchObject({ cpuUsePct: 5, cpuPressurePct: 30 });
    c.cpu += 950_000;
    c.psi! += 1_000_000;
    expect(h.close(end(2000))).toMatchObject({ impaired: 'cpu-use', readings: { cpuUsePct: 95, cpuPressurePct: 100 } });
  });

  it('no PSI on this host: no pressure reading, not an error', () => {
    const c = new Counters();
    c.psi = undefined;
    const h = new LineHealth(probe(), 0, c);
    const { readings, impaired } = h.close(end(1000));
    expect(readings.cpuPressurePct).toBeUndefined();
    expect(impaired).toBeUndefined();
  });

  it("child-late: a child's mean wait for a CPU per run since the last window; a new child counts from its start; the worst child", () => {
    const c = new Counters();
    const h = new LineHealth(probe(), 0, c);
    c.stats.set(11, { runNs: 5e6, waitNs: 2e6, runs: 100 });
    expect(h.close(end(1000, { pids: [11] })).readings.childLateMs).toBeCloseTo(0.02);
    // 70 more runs, 1.4 s more waiting: 20 ms each. A decoder appears, waiting 1 ms per run.
    c.stats.set(11, { runNs: 9e6, waitNs: 1402e6, runs: 170 });
    c.stats.set(12, { runNs: 9e6, waitNs: 50e6, runs: 50 });
    expect(h.close(end(2000, { pids: [11, 12] }))).toMatchObject({ impaired: 'child-late', readings: { childLateMs: 20 } });
    // Starved so hard it did not run at all: the whole wait.
    c.stats.set(12, { runNs: 9e6, waitNs: 80e6, runs: 50 });
    expect(h.close(end(3000, { pids: [12] })).readings.childLateMs).toBe(30);
    // The child is gone (no schedstat): no reading.
    expect(h.close(end(4000, { pids: [99] })).readings.childLateMs).toBeUndefined();
  });

  it('after a stop, a window is charged with it only when it closed a media gap from before the stop', () => {
    const p = probe();
    const c = new Counters();
    const h = new LineHealth(p, 0, c);
    for (let t = 100; t <= 1000; t += 100) p.log.add({ from: t - 100, to: t, lateMs: 0, delayMs: 2 });
    expect(h.close(end(1000)).impaired).toBeUndefined();
    // Stopped from about 1050 to 2500; the window due at 2000 closes at 2495 with the late look already in.
    p.log.add({ from: 1000, to: 2490, lateMs: 1390, delayMs: 1400 });
    expect(h.close(end(2495, { timerLateMs: 495 })).impaired).toBe('time-jump');
    for (let t = 2590; t <= 3490; t += 100) p.log.add({ from: t - 100, to: t, lateMs: 0, delayMs: 2 });
    // Its media waited in the pipe: it closed the gap from the last frame before the stop.
    expect(h.close(end(3495, { measuredSince: 1040 })).impaired).toBe('time-jump');
    for (let t = 3590; t <= 4490; t += 100) p.log.add({ from: t - 100, to: t, lateMs: 0, delayMs: 2 });
    expect(h.close(end(4495, { measuredSince: 3470 })).impaired).toBeUndefined();
  });

  it("child-late reaches back as far as the window's measurements: a line found dead after a silence its child was held back in", () => {
    const c = new Counters();
    const h = new LineHealth(probe(), 0, c);
    c.stats.set(11, { runNs: 5e6, waitNs: 1e6, runs: 100 });
    expect(h.close(end(1000, { pids: [11] })).impaired).toBeUndefined();
    // Starved from 1200: 10 more runs that waited 25 ms each; the last frame came at 1250.
    c.stats.set(11, { runNs: 6e6, waitNs: 251e6, runs: 110 });
    expect(h.close(end(2000, { pids: [11] })).impaired).toBe('child-late');
    // The watchdog ends the line at 2260: a short window whose child has not run since (no new
    // wait to read), but its verdict rests on the silence since 1250, in the starved window.
    expect(h.close(end(2260, { measuredSince: 1250, pids: [11] }))).toMatchObject({ impaired: 'child-late', readings: { childLateMs: 25 } });
    // A window measuring only itself is judged on its own children.
    c.stats.set(11, { runNs: 7e6, waitNs: 252e6, runs: 210 });
    expect(h.close(end(3260, { measuredSince: 2260, pids: [11] })).impaired).toBeUndefined();
  });

  it('the thresholds are read at every window (a reload changes them)', () => {
    let thresholds = DEFAULT_PROBE_HEALTH;
    const log = new LoopLog(120_000);
    const h = new LineHealth({ thresholds: () => thresholds, loop: (from, now) => log.worst(from, now) }, 0, new Counters());
    expect(h.close(end(1000, { timerLateMs: 60 })).impaired).toBeUndefined();
    thresholds = { ...thresholds, timerLateMs: 50 };
    expect(h.close(end(2000, { timerLateMs: 60 })).impaired).toBe('timer-late');
  });
});
