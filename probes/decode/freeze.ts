/**
 * Frozen picture from signalstats YDIF (mean absolute luma difference to the previous frame).
 * Measured on the lab stream: live 2.2–4, frozen 0.0–0.2, so 0.5 separates them with margin.
 * Each frame accounts for the interval since the previous frame's pts, so freezeMs is time.
 *
 * A single repeated frame is a duplicated frame (frame-rate conversion, a late packet at an
 * HLS segment edge: measured once a second on healthy HLS and RTSP), not a frozen picture: only
 * runs of at least `minRunMs` count, and then the whole run counts from its first frame.
 */

/** Longer pts jumps are discontinuities (reconnect, wrap), not a frame that lasted that long. */
const MAX_FRAME_MS = 1000;

export class FreezeTracker {
  private lastPts: number | undefined;
  /** Frozen time of the current run not yet reported (the run is still shorter than minRunMs). */
  private pendingMs = 0;
  private runMs = 0;

  constructor(
    private readonly ydifThreshold: number,
    private readonly minRunMs = 200,
  ) {}

  /** Returns the frozen time to add for this frame (0 when none), or undefined for no interval. */
  push(ptsMs: number | undefined, ydif: number): number | undefined {
    if (ptsMs === undefined) return undefined;
    const previous = this.lastPts;
    this.lastPts = ptsMs;
    if (previous === undefined) return undefined; // YDIF of the first frame has nothing to compare with
    const durationMs = ptsMs - previous;
    if (durationMs <= 0 || durationMs > MAX_FRAME_MS) {
      this.runMs = this.pendingMs = 0;
      return undefined;
    }
    if (ydif >= this.ydifThreshold) {
      this.runMs = this.pendingMs = 0;
      return 0;
    }
    this.runMs += durationMs;
    if (this.runMs < this.minRunMs) {
      this.pendingMs += durationMs;
      return 0;
    }
    const frozenMs = this.pendingMs + durationMs;
    this.pendingMs = 0;
    return frozenMs;
  }
}
