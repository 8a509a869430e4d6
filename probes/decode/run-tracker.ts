/**
 * Time spent in a state (frozen, black, silent) from values at points of stream time (frames,
 * audio blocks). Each point accounts for the interval since the previous point's pts, so the
 * result is time, not a count.
 *
 * Which value describes that interval depends on the measurement: a freeze value compares a
 * frame with the one before it (it describes the interval that ends at it: `since-previous`);
 * a black frame or a silent audio block shows until the next one (`until-next`).
 *
 * Runs shorter than `minRunMs` do not count (a duplicated frame is not a frozen picture, a black
 * cut is not a black picture); once a run is long enough it counts from its first interval, so
 * a run's total is kept (credited late, when it reached the minimum).
 */
export type Coverage = 'since-previous' | 'until-next';

export interface RunTrackerOptions {
  minRunMs: number;
  /** Longer pts steps are discontinuities (reconnect, wrap), not an interval in the state. */
  maxStepMs: number;
  covers: Coverage;
}

export class RunTracker {
  private lastPts: number | undefined;
  private lastInRun = false;
  /** Time of the current run not yet reported (the run is still shorter than minRunMs). */
  private pendingMs = 0;
  private runMs = 0;
  /** True after the push that made the current run long enough (its whole time credited at once). */
  private reachedNow = false;

  constructor(private readonly opts: RunTrackerOptions) {}

  /** Whether the last push made a run long enough to count: the moment the state is established. */
  get onset(): boolean {
    return this.reachedNow;
  }

  /** Returns the time to add for this point (0 when none), or undefined when it closes no interval. */
  push(ptsMs: number | undefined, inRun: boolean): number | undefined {
    this.reachedNow = false;
    if (ptsMs === undefined) return undefined;
    const previous = this.lastPts;
    const previousInRun = this.lastInRun;
    this.lastPts = ptsMs;
    this.lastInRun = inRun;
    if (previous === undefined) return undefined;
    const stepMs = ptsMs - previous;
    if (stepMs <= 0 || stepMs > this.opts.maxStepMs) {
      this.runMs = this.pendingMs = 0;
      return undefined;
    }
    if (!(this.opts.covers === 'since-previous' ? inRun : previousInRun)) {
      this.runMs = this.pendingMs = 0;
      return 0;
    }
    this.runMs += stepMs;
    if (this.runMs < this.opts.minRunMs) {
      this.pendingMs += stepMs;
      return 0;
    }
    this.reachedNow = this.runMs - stepMs < this.opts.minRunMs;
    const ms = this.pendingMs + stepMs;
    this.pendingMs = 0;
    return ms;
  }
}
