export interface PlaylistSegment {
  sequence: number;
  uri: string;
  durationMs: number;
}

export interface MediaPlaylist {
  mediaSequence: number;
  segments: PlaylistSegment[];
}

/**
 * Parses a live media playlist as written by ffmpeg's hls muxer. Returns undefined for text
 * that is not a complete playlist: ffmpeg 4.1 under the tee muxer rewrites the file in place
 * (no temp file + rename), so a reader can catch it truncated.
 */
export function parseMediaPlaylist(text: string): MediaPlaylist | undefined {
  if (!text.startsWith('#EXTM3U') || !text.endsWith('\n')) return undefined;
  let mediaSequence = 0;
  let pendingDurationMs: number | undefined;
  const segments: PlaylistSegment[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) {
      mediaSequence = Number(line.slice('#EXT-X-MEDIA-SEQUENCE:'.length));
    } else if (line.startsWith('#EXTINF:')) {
      pendingDurationMs = Number.parseFloat(line.slice('#EXTINF:'.length)) * 1000;
    } else if (line !== '' && !line.startsWith('#') && pendingDurationMs !== undefined) {
      segments.push({ sequence: mediaSequence + segments.length, uri: line, durationMs: pendingDurationMs });
      pendingDurationMs = undefined;
    }
  }
  if (!Number.isFinite(mediaSequence) || segments.length === 0) return undefined;
  return { mediaSequence, segments };
}

const PDT = '#EXT-X-PROGRAM-DATE-TIME:';

/**
 * Rewrites each segment's PROGRAM-DATE-TIME with `startWallOf(sequence)` (unix ms) where known.
 * ffmpeg 4.1 stamps PDT from `time()` in whole seconds when its muxer starts, so its values are
 * up to a second early; the lab serves the times it measured, as a packager with a good clock
 * would, so that a probe's latency can be checked against ground truth.
 */
export function restampProgramDateTime(text: string, startWallOf: (sequence: number) => number | undefined): string {
  let mediaSequence = 0;
  let segmentIndex = 0;
  return text
    .split('\n')
    .map((line) => {
      if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) mediaSequence = Number(line.slice('#EXT-X-MEDIA-SEQUENCE:'.length));
      if (line !== '' && !line.startsWith('#')) segmentIndex++;
      if (!line.startsWith(PDT)) return line;
      const wall = startWallOf(mediaSequence + segmentIndex);
      return wall === undefined ? line : `${PDT}${new Date(wall).toISOString()}`;
    })
    .join('\n');
}
