import { FROZEN_AFTER_MS } from '../../src/model/sample.ts';
import { RunTracker } from './run-tracker.ts';

/**
 * Frozen picture from signalstats YDIF (mean absolute luma difference to the previous frame).
 * Measured on the lab stream: live 2.2–4, frozen 0.0–0.2, so 0.5 separates them with margin.
 *
 * A picture is frozen once it has not changed for `minRunMs` of stream time (FROZEN_AFTER_MS);
 * then the whole run counts from its first frame. Shorter runs are duplicated frames (frame-rate
 * conversion, a late packet at an HLS segment edge: measured once a second on healthy HLS and
 * RTSP) or a still moment. The hold is measured here, per frame, not by the detector over
 * windows: a hold counted in windows lands one to two windows after the freeze began, depending
 * on where in a window it began; this one lands on time, and the probe sends its window the
 * moment it is reached (`onset`).
 */
export class FreezeTracker {
  private readonly run: RunTracker;

  constructor(
    private readonly ydifThreshold: number,
    minRunMs = FROZEN_AFTER_MS,
  ) {
    // YDIF compares a frame with the previous one: it describes the interval that ends at it.
    this.run = new RunTracker({ minRunMs, maxStepMs: 1000, covers: 'since-previous' });
  }

  /** Returns the frozen time to add for this frame (0 when none), or undefined for no interval. */
  push(ptsMs: number | undefined, ydif: number): number | undefined {
    return this.run.push(ptsMs, ydif < this.ydifThreshold);
  }

  /** Whether the last frame made the picture frozen (the run reached the minimum just now). */
  get onset(): boolean {
    return this.run.onset;
  }
}
