import { z } from 'zod';

/**
 * When a probe stops trusting its own measurement of a window (Sample.impaired): one threshold per
 * reading of its own health. Declared here, not in the config, because three parties share it: the
 * config (`probe.health`), the hub's assignment to remote probes, and the probes themselves.
 * Defaults and the measurements behind them: docs/architecture.md "Probe self-health".
 */
export const ProbeHealthThresholdsSchema = z.strictObject({
  /** Worst event-loop delay (perf_hooks monitorEventLoopDelay) within what the window measured. */
  eventLoopDelayMs: z.number().int().min(10).max(60_000).default(150),
  /**
   * Share of the window some task on the host waited for a CPU (Linux PSI `some`), in %. false:
   * not a reason (a host whose other load runs at a lower priority than the probe).
   */
  cpuPressurePct: z.union([z.number().min(1).max(100), z.literal(false)]).default(95),
  /** How late the window's own timer fired. */
  timerLateMs: z.number().int().min(10).max(60_000).default(150),
  /** Mean wait for a CPU each time one of the line's ffprobe/ffmpeg children had work (its output was that late). */
  childLateMs: z.number().min(1).max(60_000).default(10),
  /**
   * CPU time of the probe process in the window, in % of one core (above 100 with helper threads).
   * false: not a reason (a hub whose own work is known to be heavy).
   */
  cpuUsePct: z.union([z.number().min(1).max(10_000), z.literal(false)]).default(90),
  /** A stretch the probe did not run at all (stopped, frozen, a long GC pause) within what the window measured. */
  timeJumpMs: z.number().int().min(100).max(60_000).default(1000),
});
export type ProbeHealthThresholds = z.infer<typeof ProbeHealthThresholdsSchema>;

export const DEFAULT_PROBE_HEALTH: ProbeHealthThresholds = ProbeHealthThresholdsSchema.parse({});
