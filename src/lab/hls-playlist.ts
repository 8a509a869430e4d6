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
