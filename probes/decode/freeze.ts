import { RunTracker } from './run-tracker.ts';

/**
 * Frozen picture from signalstats YDIF (mean absolute luma difference to the previous frame).
 * Measured on the lab stream: live 2.2–4, frozen 0.0–0.2, so 0.5 separates them with margin.
 *
 * A single repeated frame is a duplicated frame (frame-rate conversion, a late packet at an
 * HLS segment edge: measured once a second on healthy HLS and RTSP), not a frozen picture: only
 * runs of at least `minRunMs` count, and then the whole run counts from its first frame.
 */
export class FreezeTracker {
  private readonly run: RunTracker;

  constructor(
    private readonly ydifThreshold: number,
    minRunMs = 200,
  ) {
    // YDIF compares a frame with the previous one: it describes the interval that ends at it.
    this.run = new RunTracker({ minRunMs, maxStepMs: 1000, covers: 'since-previous' });
  }

  /** Returns the frozen time to add for this frame (0 when none), or undefined for no interval. */
  push(ptsMs: number | undefined, ydif: number): number | undefined {
    return this.run.push(ptsMs, ydif < this.ydifThreshold);
  }
}
