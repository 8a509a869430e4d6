import { SAMPLE_LIMITS } from '../../src/model/sample.ts';

/**
 * Loudness (EBU R128 short-term, LUFS) from ebur128's `lavfi.r128.S`, printed every 100 ms.
 * Short-term loudness integrates the last 3 s: for the first 3 s of a decoder's run ebur128
 * averages over a window still partly empty and reads far too low (−120.7 at the start), so
 * those values are not reported.
 *
 * True peak (dBTP) is not taken from ebur128: in ffmpeg 4.1 its `true_peaks` metadata is the
 * maximum since the filter started, so a window could never read lower than the loudest moment
 * of the whole run. Instead the audio is oversampled 4× (aresample to 192 kHz, as BS.1770's
 * true-peak meter does) and astats reports each 100 ms block's peak; a window takes the highest.
 * Measured on the lab tone: the same −19.17 dBTP as ebur128's own true-peak meter.
 */
export const SHORT_TERM_MS = 3000;

export class LoudnessTracker {
  private firstPts: number | undefined;

  /** The value to report, or undefined while the 3 s window is still filling. */
  push(ptsMs: number | undefined, lufs: number): number | undefined {
    if (ptsMs === undefined) return undefined;
    this.firstPts ??= ptsMs;
    if (ptsMs - this.firstPts < SHORT_TERM_MS) return undefined;
    return clampLevel(lufs);
  }
}

/** Silence reads as −120.7 LUFS, −inf or −6153 dB: the Sample's floor says the same. */
export function clampLevel(db: number): number {
  return Math.min(SAMPLE_LIMITS.maxLevelDb, Math.max(SAMPLE_LIMITS.minLevelDb, db));
}
