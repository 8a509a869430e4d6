import type { ProbeHealthThresholds } from '../../src/model/probe-health.ts';
import type { ProbeImpairment } from '../../src/model/sample.ts';

/** What a probe measured of itself over one window (see the thresholds' schema for each). */
export interface HealthReadings {
  /** Longest stretch the probe did not run, within the span the window's measurements cover. */
  stalledMs: number;
  /** Worst event-loop delay within that span. */
  eventLoopDelayMs: number;
  /** How late the window's timer fired. */
  timerLateMs: number;
  /** Worst mean CPU wait per run of the line's ffprobe/ffmpeg children within that span; undefined: none, or no /proc. */
  childLateMs?: number;
  /** CPU time of the probe process, % of one core. */
  cpuUsePct: number;
  /** Share of the window some task on the host waited for a CPU (PSI); undefined: no PSI on this host. */
  cpuPressurePct?: number;
}

/**
 * Most specific first: what happened to this window's own measurements (the probe did not run; the
 * children that read the stream were held back; the loop that stamps arrivals was blocked; the
 * timer that closes the window was late) before the circumstances that make it likely (the probe
 * uses a lot of CPU; the host is contended).
 */
export const IMPAIRMENT_PRIORITY: readonly ProbeImpairment[] = ['time-jump', 'child-late', 'event-loop', 'timer-late', 'cpu-use', 'cpu-pressure'];

/** The reading for a reason as a share of its threshold: 1 and more trips it; a threshold set to false never does. */
function reading(reason: ProbeImpairment, r: HealthReadings, t: ProbeHealthThresholds): number {
  switch (reason) {
    case 'time-jump':
      return r.stalledMs / t.timeJumpMs;
    case 'child-late':
      return (r.childLateMs ?? 0) / t.childLateMs;
    case 'event-loop':
      return r.eventLoopDelayMs / t.eventLoopDelayMs;
    case 'timer-late':
      return r.timerLateMs / t.timerLateMs;
    case 'cpu-use':
      return t.cpuUsePct === false ? 0 : r.cpuUsePct / t.cpuUsePct;
    case 'cpu-pressure':
      return t.cpuPressurePct === false ? 0 : (r.cpuPressurePct ?? 0) / t.cpuPressurePct;
  }
}

/**
 * Why this window's measurement cannot be trusted, or undefined: the most specific reading at or
 * above its threshold. Each window is judged on its own readings, with no memory of the last: the
 * readings already reach as far back as the window's measurements do (`stalledMs`,
 * `eventLoopDelayMs` and `childLateMs` cover the media gap a window closed after a jump, or the
 * silence it found a line dead after), and a window whose readings are all under the thresholds
 * was measured in good enough conditions. Pure.
 */
export function impairment(readings: HealthReadings, thresholds: ProbeHealthThresholds): ProbeImpairment | undefined {
  return IMPAIRMENT_PRIORITY.find((reason) => reading(reason, readings, thresholds) >= 1);
}
