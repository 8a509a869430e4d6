import { describe, expect, it } from 'vitest';
import { parsePlaylist, parseProgramDateTime, StalenessTracker, type MediaPlaylist } from '../../probes/hls-playlist.ts';

// As written by ffmpeg 4.1 `-f hls -hls_flags program_date_time`.
const LIVE = `#EXTM3U
#EXT-X-VERSION:3
#EXT-X-TARGETDURATION:1
#EXT-X-MEDIA-SEQUENCE:41
#EXTINF:1.000000,
#EXT-X-PROGRAM-DATE-TIME:2026-11-24T21:00:00.000+0000
seg41.ts
#EXTINF:1.000000,
#EXT-X-PROGRAM-DATE-TIME:2026-11-24T21:00:01.000+0000
seg42.ts
#EXTINF:0.960000,
seg43.ts
`;

describe('HLS playlist', () => {
  it('normalises +0000 before Date.parse', () => {
    expect(parseProgramDateTime('2026-11-24T21:00:00.000+0000')).toBe(Date.UTC(2026, 10, 24, 21));
    expect(parseProgramDateTime('2026-11-24T23:00:00.000+0200')).toBe(Date.UTC(2026, 10, 24, 21));
    expect(parseProgramDateTime('garbage')).toBeUndefined();
  });

  it('finds the end of the last segment, carrying PDT forward over untagged segments', () => {
    const p = parsePlaylist(LIVE);
    expect(p).toEqual({
      type: 'media',
      media: { targetDurationS: 1, mediaSequence: 41, segmentCount: 3, endList: false, lastSegmentEndMs: Date.UTC(2026, 10, 24, 21, 0, 2, 960) },
    });
  });

  it('returns the first variant of a master playlist', () => {
    expect(parsePlaylist('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000\nlow/index.m3u8\n')).toEqual({ type: 'master', variantUri: 'low/index.m3u8' });
    expect(parsePlaylist('<html>')).toBeUndefined();
  });

  it('is stale when the sequence has not moved for > 3 × TARGETDURATION', () => {
    const s = new StalenessTracker(3);
    const at = (mediaSequence: number): MediaPlaylist => ({ targetDurationS: 1, mediaSequence, segmentCount: 3, endList: false });
    expect(s.observe(0, at(1))).toBe(false);
    expect(s.observe(2000, at(1))).toBe(false);
    expect(s.observe(2500, at(2))).toBe(false);
    expect(s.observe(5400, at(2))).toBe(false);
    expect(s.observe(5600, at(2))).toBe(true);
  });
});
