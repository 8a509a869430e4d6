import type { MediaPlaylist } from './hls-playlist.ts';
import type { StreamClock } from './stream-clock.ts';

interface SegmentEnd {
  clock: StreamClock;
  endPtsMs: number;
}

const MAX_ENTRIES = 600;

/**
 * Remembers, for every HLS segment a line's publisher wrote, the stream time at which it ends
 * and the clock of the publisher run that wrote it, so that the wall time of a segment's end
 * can be known long after the playlist stopped listing its predecessors.
 *
 * Segment ends are cumulative EXTINF durations from the start of the run: the first segment of
 * a run starts at pts 0 (the sources start at 0 and every segment is cut at a keyframe).
 * Media sequences come from the epoch at publisher start, so runs do not collide.
 */
export class HlsLedger {
  private readonly ends = new Map<number, SegmentEnd>();

  /** Records segments not seen before; `clock` is the run that is publishing right now. */
  observe(playlist: MediaPlaylist, clock: StreamClock): void {
    for (const segment of playlist.segments) {
      if (this.ends.has(segment.sequence)) continue;
      const previous = this.ends.get(segment.sequence - 1);
      const startPtsMs = previous && previous.clock === clock ? previous.endPtsMs : 0;
      this.ends.set(segment.sequence, { clock, endPtsMs: startPtsMs + segment.durationMs });
    }
    for (const sequence of this.ends.keys()) {
      if (this.ends.size <= MAX_ENTRIES) break;
      this.ends.delete(sequence);
    }
  }

  /** Publisher wall-clock ms at which segment `sequence` starts. */
  startWallMs(sequence: number, durationMs: number): number | undefined {
    const end = this.ends.get(sequence);
    const wall = end?.clock.wallOf(end.endPtsMs - durationMs);
    return wall === undefined ? undefined : Math.round(wall);
  }

  /** Publisher wall-clock ms at which the newest segment of `playlist` ends. */
  newestEndWallMs(playlist: MediaPlaylist): number | undefined {
    const newest = playlist.segments.at(-1);
    const end = newest && this.ends.get(newest.sequence);
    return end?.clock.wallOf(end.endPtsMs);
  }
}
