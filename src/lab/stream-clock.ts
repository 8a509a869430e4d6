/**
 * Maps a publisher's stream time (pts, ms) to the wall-clock time at which that content was
 * "captured", i.e. released by ffmpeg's `realtime` filter: wall = t0 + pts.
 *
 * t0 is estimated from `-progress` reports: a report at wall time w saying the output has
 * reached pts p implies the frame p was released at or before w, so w − p is an upper bound
 * of t0 and the minimum over reports converges to t0 + (encode + mux + pipe latency).
 *
 * `realtime` resets its offset when it falls more than 2 s behind (a SIGSTOP longer than
 * that): it logs the lateness `sleep` (negative µs) and from then on wall = t0 − sleep + pts.
 * Each reset opens an epoch, starting at the pts of the frame that triggered it.
 */
interface Epoch {
  fromPtsMs: number;
  t0Ms: number;
}

export class StreamClock {
  private readonly epochs: Epoch[] = [];

  /** A progress report: output reached `ptsMs` when observed at `wallMs`. */
  observe(wallMs: number, ptsMs: number): void {
    const bound = wallMs - ptsMs;
    const epoch = this.epochAt(ptsMs);
    if (!epoch) {
      this.epochs.push({ fromPtsMs: Number.NEGATIVE_INFINITY, t0Ms: bound });
    } else if (bound < epoch.t0Ms) {
      epoch.t0Ms = bound;
    }
  }

  /** `realtime` reported a discontinuity of `sleepUs` (negative: frames were late) at `wallMs`. */
  discontinuity(wallMs: number, sleepUs: number): void {
    const current = this.epochs.at(-1);
    if (!current) return;
    const lateMs = -sleepUs / 1000;
    this.epochs.push({ fromPtsMs: wallMs - lateMs - current.t0Ms, t0Ms: current.t0Ms + lateMs });
  }

  /** Wall-clock ms of stream time `ptsMs`, or undefined before the first progress report. */
  wallOf(ptsMs: number): number | undefined {
    const epoch = this.epochAt(ptsMs);
    return epoch ? epoch.t0Ms + ptsMs : undefined;
  }

  /** Stream time (pts, ms) released at `wallMs` in the current epoch, or undefined before the first progress report. */
  ptsAt(wallMs: number): number | undefined {
    const epoch = this.epochs.at(-1);
    return epoch ? wallMs - epoch.t0Ms : undefined;
  }

  private epochAt(ptsMs: number): Epoch | undefined {
    for (let i = this.epochs.length - 1; i >= 0; i--) {
      const epoch = this.epochs[i];
      if (epoch && ptsMs >= epoch.fromPtsMs) return epoch;
    }
    return undefined;
  }
}
