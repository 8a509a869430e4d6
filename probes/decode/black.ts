import type { MetadataValue } from './metadata-lines.ts';
import { RunTracker } from './run-tracker.ts';

/**
 * Near-black picture from ffmpeg's `blackframe` filter, configured with blackdetect's
 * thresholds: a pixel is black when its luma is at most `pixelTh` of the video range above
 * black (blackdetect pix_th, default 0.10), a picture is black when at least `pictureTh` of its
 * pixels are (blackdetect pic_th, default 0.98).
 *
 * blackframe rather than blackdetect: blackdetect reports a black interval when it ends (its log
 * line) or only marks its edges (frame metadata), so a long black picture would show in no
 * window until it is over; blackframe with `amount=0` logs every frame's black-pixel percentage
 * as it is decoded, and its own info line carries the frame time — no metadata print needed.
 *   [Parsed_blackframe_3 @ 0x2dc0] frame:61 pblack:100 pts:2461 t:2.461000 type:P last_keyframe:50
 */
export const BLACKFRAME_KEY = 'lavfi.blackframe.pblack';

/**
 * blackframe's `threshold` (a pixel is black when its luma is below it, 8-bit) for blackdetect's
 * pix_th. H.264 from encoders is limited range (black 16, white 235): blackdetect counts luma
 * ≤ 16 + pix_th × 219 (truncated), so the equivalent strict bound is one above it.
 */
export function blackframeThreshold(pixelTh: number): number {
  return Math.floor(16 + pixelTh * (235 - 16)) + 1;
}

const BLACKFRAME_LINE = /^\[Parsed_blackframe_\d+ @ [^\]]+\]\s*frame:\s*\d+\s+pblack:\s*(\d+)\s+pts:\s*\S+\s+t:\s*(\S+)/;

/** One blackframe log line as a metadata value (percent of black pixels at the frame's time). */
export function parseBlackframeLine(line: string): MetadataValue | undefined {
  const m = BLACKFRAME_LINE.exec(line.trim());
  if (!m) return undefined;
  const seconds = Number(m[2]);
  return { key: BLACKFRAME_KEY, value: Number(m[1]), ptsMs: Number.isFinite(seconds) ? seconds * 1000 : undefined };
}

export interface BlackOptions {
  /** Share of black pixels that makes a black picture (blackdetect pic_th). */
  pictureTh: number;
  /** Shorter black runs (a cut through black) do not count. */
  minRunMs: number;
  /**
   * Longest frame step that is still one interval. Every frame: 1 s; keyframes only: the
   * longest keyframe interval expected (a black keyframe stands for the picture until the next).
   */
  maxStepMs: number;
}

/**
 * Black time from per-frame black-pixel percentages. A frame shows until the next frame: with
 * every frame decoded that is 40 ms at 25 fps; with keyframes only (`light`) a black keyframe
 * counts as black until the next keyframe says otherwise, so each edge of a black interval is
 * placed up to one keyframe interval late and the measured duration is within ± one keyframe
 * interval of the truth.
 */
export class BlackTracker {
  private readonly run: RunTracker;

  constructor(private readonly opts: BlackOptions) {
    this.run = new RunTracker({ minRunMs: opts.minRunMs, maxStepMs: opts.maxStepMs, covers: 'until-next' });
  }

  push(ptsMs: number | undefined, pblack: number): number | undefined {
    return this.run.push(ptsMs, pblack >= this.opts.pictureTh * 100);
  }
}
