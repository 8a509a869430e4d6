import { z } from 'zod';

/**
 * When a probe's content checks call a picture black or the sound silent. Declared here, not in
 * the config, because three parties share it: the config (`probe.contentThresholds`), the hub's
 * assignment to remote probes, and the probes' decoder (probes/decode/).
 *
 * Why these defaults:
 * - `blackPixelTh` 0.10 and `blackPictureTh` 0.98 are ffmpeg blackdetect's pix_th and pic_th,
 *   tuned for "(almost) black" after compression noise; the lab's dark scene (mean luma 31,
 *   moving content) has 66 % black pixels and reads 0 ms.
 * - `silenceDb` −60 dBFS is ffmpeg silencedetect's default noise level, 20 dB under the lab's
 *   quiet −40 dBFS tone (which reads 0 ms).
 * - `minRunMs` 500: fades through black and gaps between words are shorter; the detector judges
 *   longer spans (2 s) across windows, and a run that reaches it counts from its start.
 */
export const ContentThresholdsSchema = z.strictObject({
  /** A pixel is black at most this far above black, as a share of the video range (blackdetect pix_th). */
  blackPixelTh: z.number().min(0).max(1).default(0.1),
  /** A picture is black when at least this share of its pixels is (blackdetect pic_th). */
  blackPictureTh: z.number().min(0.01).max(1).default(0.98),
  /** Audio blocks with an RMS below this (dBFS) are silent. */
  silenceDb: z.number().min(-150).max(0).default(-60),
  /** Black or silent runs shorter than this do not count. */
  minRunMs: z.number().int().min(0).max(10_000).default(500),
});
export type ContentThresholds = z.infer<typeof ContentThresholdsSchema>;

export const DEFAULT_CONTENT_THRESHOLDS: ContentThresholds = ContentThresholdsSchema.parse({});
