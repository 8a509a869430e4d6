/**
 * One stretch between two looks at the event loop (monotonic ms): the look at `to` came `lateMs`
 * after it was due, and the worst event-loop delay seen in between was `delayMs`.
 */
export interface LoopSlice {
  from: number;
  to: number;
  lateMs: number;
  delayMs: number;
}

/** The worst of the probe's own availability over a span of time. */
export interface LoopWorst {
  /** Longest stretch the loop did not run at all, inside the span. */
  stalledMs: number;
  /** Worst event-loop delay, counted only as far as it can lie inside the span. */
  eventLoopDelayMs: number;
}

/** Clipped overlap of [a0, a1] and [b0, b1]. */
function overlap(a0: number, a1: number, b0: number, b1: number): number {
  return Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
}

/**
 * The recent history of the probe's event loop, asked about any span afterwards: a window asks
 * about the whole span its measurements cover, which reaches back before the window when it closed
 * a media gap that began earlier (media that waited in a pipe while the probe was stopped).
 *
 * Attribution is conservative at the edges so that a jump is charged to the windows that measured
 * across it and not to the one that starts as the probe resumes: a late look means the loop did not
 * run during the `lateMs` just before it; a delay seen between two looks lies between them.
 * Pure: times are given.
 */
export class LoopLog {
  private readonly slices: LoopSlice[] = [];

  /** `keepMs`: how far back spans are asked about (the longest window and its reach-back). */
  constructor(private readonly keepMs: number) {}

  add(slice: LoopSlice): void {
    this.slices.push(slice);
    const horizon = slice.to - this.keepMs;
    let drop = 0;
    while (drop < this.slices.length && this.slices[drop]!.to < horizon) drop++;
    if (drop > 0) this.slices.splice(0, drop);
  }

  /** The worst over [from, to], `open` (the stretch since the last look, not yet added) included. */
  worst(from: number, to: number, open?: LoopSlice): LoopWorst {
    const out: LoopWorst = { stalledMs: 0, eventLoopDelayMs: 0 };
    const take = (s: LoopSlice): void => {
      const stalled = overlap(s.to - s.lateMs, s.to, from, to);
      out.stalledMs = Math.max(out.stalledMs, stalled);
      out.eventLoopDelayMs = Math.max(out.eventLoopDelayMs, stalled, Math.min(s.delayMs, overlap(s.from, s.to, from, to)));
    };
    for (let i = this.slices.length - 1; i >= 0; i--) {
      const s = this.slices[i]!;
      if (s.to <= from) break;
      take(s);
    }
    if (open) take(open);
    return out;
  }
}
