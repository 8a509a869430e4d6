/**
 * Frozen picture from signalstats YDIF (mean absolute luma difference to the previous frame).
 * Measured on the lab stream: live 2.2–4, frozen 0.0–0.2, so 0.5 separates them with margin.
 * Each frame accounts for the interval since the previous frame's pts, so freezeMs is time.
 */
export interface FrameInterval {
  durationMs: number;
  frozen: boolean;
}

/** Longer pts jumps are discontinuities (reconnect, wrap), not a frame that lasted that long. */
const MAX_FRAME_MS = 1000;

export class FreezeTracker {
  private lastPts: number | undefined;

  constructor(private readonly ydifThreshold: number) {}

  push(ptsMs: number | undefined, ydif: number): FrameInterval | undefined {
    if (ptsMs === undefined) return undefined;
    const previous = this.lastPts;
    this.lastPts = ptsMs;
    if (previous === undefined) return undefined; // YDIF of the first frame has nothing to compare with
    const durationMs = ptsMs - previous;
    if (durationMs <= 0 || durationMs > MAX_FRAME_MS) return undefined;
    return { durationMs, frozen: ydif < this.ydifThreshold };
  }
}
