/**
 * HLS media playlist facts the probe needs: live latency from PROGRAM-DATE-TIME and staleness
 * from the media sequence. Pure; the HTTP polling is in readers/hls.ts.
 */
export interface MediaPlaylist {
  targetDurationS: number;
  mediaSequence: number;
  segmentCount: number;
  endList: boolean;
  /** Wall time (unix ms) at which the last segment ends, when the playlist carries PDT. */
  lastSegmentEndMs?: number;
}

export type Playlist = { type: 'media'; media: MediaPlaylist } | { type: 'master'; variantUri: string };

/** ffmpeg writes `2026-01-01T10:00:00.000+0000`; Date.parse needs `+00:00`. */
export function parseProgramDateTime(value: string): number | undefined {
  const normalised = value.trim().replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(normalised);
  return Number.isNaN(ms) ? undefined : ms;
}

export function parsePlaylist(text: string): Playlist | undefined {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  if (lines[0] !== '#EXTM3U') return undefined;
  let targetDurationS = 0;
  let mediaSequence = 0;
  let segmentCount = 0;
  let endList = false;
  let pendingDuration: number | undefined;
  let pendingPdt: number | undefined;
  // PDT applies to the next segment; later segments without a tag follow on from it.
  let lastSegmentEndMs: number | undefined;
  let variantNext = false;
  for (const line of lines) {
    if (variantNext && line && !line.startsWith('#')) return { type: 'master', variantUri: line };
    if (line.startsWith('#EXT-X-STREAM-INF')) variantNext = true;
    else if (line.startsWith('#EXT-X-TARGETDURATION:')) targetDurationS = Number(line.slice(22)) || 0;
    else if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) mediaSequence = Number(line.slice(22)) || 0;
    else if (line.startsWith('#EXT-X-ENDLIST')) endList = true;
    else if (line.startsWith('#EXTINF:')) pendingDuration = Number.parseFloat(line.slice(8));
    else if (line.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) pendingPdt = parseProgramDateTime(line.slice(25));
    else if (line && !line.startsWith('#')) {
      segmentCount++;
      const durationMs = (pendingDuration ?? 0) * 1000;
      const startMs = pendingPdt ?? lastSegmentEndMs;
      lastSegmentEndMs = startMs === undefined ? undefined : startMs + durationMs;
      pendingDuration = undefined;
      pendingPdt = undefined;
    }
  }
  return {
    type: 'media',
    media: { targetDurationS, mediaSequence, segmentCount, endList, ...(lastSegmentEndMs !== undefined && { lastSegmentEndMs }) },
  };
}

/**
 * A live playlist whose last segment index has not advanced for `factor` × TARGETDURATION is
 * stale: the publisher is gone even though ffprobe keeps waiting.
 */
export class StalenessTracker {
  private lastIndex: number | undefined;
  private changedAt = 0;

  constructor(private readonly factor = 3) {}

  /** Returns true when the playlist is stale at `now` (monotonic ms). */
  observe(now: number, p: MediaPlaylist): boolean {
    const index = p.mediaSequence + p.segmentCount;
    if (index !== this.lastIndex) {
      this.lastIndex = index;
      this.changedAt = now;
      return false;
    }
    return !p.endList && now - this.changedAt > this.factor * Math.max(1, p.targetDurationS) * 1000;
  }
}
