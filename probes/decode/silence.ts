import { RunTracker } from './run-tracker.ts';

/**
 * Silent audio from per-block astats RMS (dBFS, every channel together): a block is silent when
 * its RMS is below `levelDb` (default −60 dBFS, ffmpeg silencedetect's default noise level).
 * silencedetect itself compares every sample's amplitude and logs a silence only once it has
 * lasted its minimum, and its end when it is over; the block RMS the decoder prints anyway (for
 * the beep markers) gives the same answer per block as it happens, at the cost of one block of
 * resolution (10 ms decoding every frame, 100 ms light), and a single click does not end a silence.
 *
 * ffmpeg prints digital silence as -inf (RMS) or a huge negative number (-6153 for a zero
 * block): both are below any level.
 */
export class SilenceTracker {
  private readonly run: RunTracker;

  constructor(
    private readonly levelDb: number,
    minRunMs: number,
  ) {
    // A block's pts is its start: its RMS describes the time until the next block.
    this.run = new RunTracker({ minRunMs, maxStepMs: 1000, covers: 'until-next' });
  }

  push(ptsMs: number | undefined, rmsDb: number): number | undefined {
    return this.run.push(ptsMs, rmsDb < this.levelDb);
  }
}
