import type { ProbeHealthThresholds } from '../../src/model/probe-health.ts';
import type { ProbeImpairment } from '../../src/model/sample.ts';
import { impairment, type HealthReadings } from './impairment.ts';
import type { LoopWorst } from './loop-log.ts';
import { readCpuPressureTotalUs } from './psi.ts';
import { readSchedstat, type Schedstat } from './schedstat.ts';

/** What every line of one probe shares: its thresholds (they change at a reload) and its loop watch. */
export interface ProbeHealthContext {
  thresholds(): ProbeHealthThresholds;
  /** The probe's event loop over [from, now]. */
  loop(from: number, now: number): LoopWorst;
}

/** Cumulative counters read when a window closes; the system's by default. */
export interface HealthCounters {
  /** CPU time of this process, user + system, µs. */
  cpuUs(): number;
  /** The host's CPU pressure stall total, µs; undefined without PSI. */
  cpuPressureUs(): number | undefined;
  schedstat(pid: number): Schedstat | undefined;
}

export const systemCounters: HealthCounters = {
  cpuUs: () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  },
  cpuPressureUs: () => readCpuPressureTotalUs(),
  schedstat: readSchedstat,
};

/** How a line's window ended, as far as its health is concerned (monotonic ms). */
export interface WindowEnd {
  now: number;
  /** The earliest instant the window's measurements depend on (the start of the oldest media gap it closed, or its start). */
  measuredSince: number;
  timerLateMs: number;
  /** The line's ffprobe/ffmpeg children now. */
  pids: readonly number[];
}

const NO_RUNS: Schedstat = { runNs: 0, waitNs: 0, runs: 0 };
/** How far back a window's measurements may reach: the longest window plus as much (as the loop watch keeps). */
const CHILD_HISTORY_MS = 120_000;

/**
 * One line's self-health, window by window: the readings over the window (counters as deltas
 * since the last window; the loop and the children's waits over everything the window measured,
 * which reaches back into earlier windows when it closed a gap, or found the line dead after a
 * silence, that began there) and the decision. A child seen for the first time counts from its start.
 */
export class LineHealth {
  private start: number;
  private cpuUs: number;
  private cpuPressureUs: number | undefined;
  private children = new Map<number, Schedstat>();
  /** The children's worst wait per run in each recent window, by its end (only windows that had a reading). */
  private childLate: { to: number; ms: number }[] = [];

  constructor(
    private readonly probe: ProbeHealthContext,
    now: number,
    private readonly counters: HealthCounters = systemCounters,
  ) {
    this.start = now;
    this.cpuUs = counters.cpuUs();
    this.cpuPressureUs = counters.cpuPressureUs();
  }

  close(end: WindowEnd): { impaired: ProbeImpairment | undefined; readings: HealthReadings } {
    const ms = Math.max(1, end.now - this.start);
    const cpuUs = this.counters.cpuUs();
    const cpuPressureUs = this.counters.cpuPressureUs();
    const since = Math.min(end.measuredSince, this.start);
    const loop = this.probe.loop(since, end.now);
    const childLateMs = this.childLateSince(since, end.now, this.childLateMs(end.pids));
    const readings: HealthReadings = {
      stalledMs: loop.stalledMs,
      eventLoopDelayMs: loop.eventLoopDelayMs,
      timerLateMs: end.timerLateMs,
      // µs over ms, in %: ÷ 1000 × 100.
      cpuUsePct: (cpuUs - this.cpuUs) / 10 / ms,
      // A share of the window: the kernel's per-CPU aggregation can put a saturated window a little over 100.
      ...(cpuPressureUs !== undefined && this.cpuPressureUs !== undefined && { cpuPressurePct: Math.min(100, (cpuPressureUs - this.cpuPressureUs) / 10 / ms) }),
      ...(childLateMs !== undefined && { childLateMs }),
    };
    this.start = end.now;
    this.cpuUs = cpuUs;
    this.cpuPressureUs = cpuPressureUs;
    return { impaired: impairment(readings, this.probe.thresholds()), readings };
  }

  /**
   * The worst of the children's waits over [since, now]: this window's reading and those of the
   * earlier windows the span reaches into. A child's wait shows only once it runs again, and a
   * child killed for a silent line shows nothing more: the silence's own window had the reading.
   */
  private childLateSince(since: number, now: number, own: number | undefined): number | undefined {
    if (own !== undefined) this.childLate.push({ to: now, ms: own });
    this.childLate = this.childLate.filter((w) => w.to > now - CHILD_HISTORY_MS);
    let worst: number | undefined;
    for (const w of this.childLate) if (w.to > since) worst = Math.max(worst ?? 0, w.ms);
    return worst;
  }

  /** The worst child's mean wait for a CPU per run since the last window (ms). */
  private childLateMs(pids: readonly number[]): number | undefined {
    const seen = new Map<number, Schedstat>();
    let worst: number | undefined;
    for (const pid of pids) {
      const now = this.counters.schedstat(pid);
      if (!now) continue;
      const before = this.children.get(pid) ?? NO_RUNS;
      const late = (now.waitNs - before.waitNs) / 1e6 / Math.max(1, now.runs - before.runs);
      worst = Math.max(worst ?? 0, late);
      seen.set(pid, now);
    }
    this.children = seen;
    return worst;
  }
}
