/**
 * Content A/V sync from markers the publisher burns in: a white flash frame (signalstats YAVG
 * jumps, lab: 235 vs ~125) and a beep (astats RMS, lab: > −30 dB vs −inf/−60). Container
 * timestamps cannot see an offset injected before muxing; only the content can.
 */

/** Rising edge of `value > threshold`: the onset pts, once per marker (video flash frames). */
export class OnsetDetector {
  private on = false;

  constructor(private readonly threshold: number) {}

  push(ptsMs: number | undefined, value: number): number | undefined {
    const on = value > this.threshold;
    const rising = on && !this.on;
    this.on = on;
    return rising ? ptsMs : undefined;
  }
}

/**
 * Beep onset from per-block audio RMS (dBFS). A block is tens of samples to milliseconds long;
 * the beep rarely starts on a block edge, so the onset is placed inside its first block from
 * the energy it holds relative to the next, fully-beeping block: a block that beeps for a
 * fraction f of its length has f times the power. Without this, 10 ms blocks bias the onset
 * up to 10 ms early. The onset is reported with the block after the rising edge.
 */
export class BeepOnsetDetector {
  private on = false;
  private edge: { ptsMs: number; db: number } | undefined;
  private lastPts: number | undefined;

  constructor(private readonly thresholdDb: number) {}

  push(ptsMs: number | undefined, db: number): number | undefined {
    const blockMs = ptsMs !== undefined && this.lastPts !== undefined ? ptsMs - this.lastPts : undefined;
    this.lastPts = ptsMs;
    const on = db > this.thresholdDb;
    const rising = on && !this.on;
    this.on = on;
    const edge = this.edge;
    this.edge = rising && ptsMs !== undefined ? { ptsMs, db } : undefined;
    if (!edge || blockMs === undefined || blockMs <= 0) return undefined;
    if (!on) return edge.ptsMs; // a beep shorter than two blocks: keep the block edge
    const fraction = Math.min(1, Math.max(0, 10 ** ((edge.db - db) / 10)));
    return edge.ptsMs + (1 - fraction) * blockMs;
  }
}

/**
 * Pairs each flash onset with the nearest beep onset within ±maxPairMs, whichever arrives
 * first (decoding order between tracks is not guaranteed). Result in ITU-R BT.1359 sign:
 * flash − beep, so + means audio leads the picture and − means it lags.
 */
export class SyncPairer {
  private flashes: number[] = [];
  private beeps: number[] = [];

  constructor(private readonly maxPairMs = 500) {}

  flash(ptsMs: number): number | undefined {
    const beep = this.take(this.beeps, ptsMs);
    if (beep === undefined) {
      this.remember(this.flashes, ptsMs);
      return undefined;
    }
    return ptsMs - beep;
  }

  beep(ptsMs: number): number | undefined {
    const flash = this.take(this.flashes, ptsMs);
    if (flash === undefined) {
      this.remember(this.beeps, ptsMs);
      return undefined;
    }
    return flash - ptsMs;
  }

  private take(list: number[], pts: number): number | undefined {
    let best = -1;
    for (let i = 0; i < list.length; i++) {
      const d = Math.abs((list[i] ?? Infinity) - pts);
      if (d <= this.maxPairMs && (best < 0 || d < Math.abs((list[best] ?? Infinity) - pts))) best = i;
    }
    if (best < 0) return undefined;
    return list.splice(best, 1)[0];
  }

  /** Unpaired onsets older than the pairing horizon can never pair: drop them. */
  private remember(list: number[], pts: number): void {
    list.push(pts);
    const horizon = pts - 2 * this.maxPairMs;
    while (list.length > 0 && (list[0] ?? 0) < horizon) list.shift();
    for (const other of [this.flashes, this.beeps]) {
      while (other.length > 0 && (other[0] ?? 0) < horizon) other.shift();
    }
  }
}
