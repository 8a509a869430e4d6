import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../probes/backoff.ts';
import { MetadataLineParser } from '../../probes/decode/metadata-lines.ts';
import { parseProbeLine } from '../../probes/ffprobe-output.ts';
import { readerFor } from '../../probes/readers/registry.ts';
import { withAddress } from '../../src/common/resolve-host.ts';

describe('parseProbeLine (ffprobe compact output)', () => {
  it.each([
    ['packet|codec_type=video|pts_time=0.261000|size=4963|flags=__', { type: 'packet', kind: 'video', ptsMs: 261, size: 4963, key: false }],
    ['packet|codec_type=video|pts_time=10.021000|size=11608|flags=K_', { type: 'packet', kind: 'video', ptsMs: 10021, size: 11608, key: true }],
    ['packet|codec_type=audio|pts_time=N/A|size=111|flags=K_', { type: 'packet', kind: 'audio', size: 111, key: true }],
    ['frame|media_type=video|width=640|height=360', { type: 'frame', kind: 'video', width: 640, height: 360 }],
    ['frame|media_type=audio', { type: 'frame', kind: 'audio' }],
    ['packet|codec_type=data|pts_time=1|size=10|flags=K_', undefined],
    ['', undefined],
  ])('%s', (line, want) => {
    expect(parseProbeLine(line)).toEqual(want);
  });
});

describe('MetadataLineParser (ffmpeg metadata print on stderr)', () => {
  it('tracks pts per filter instance and parses -inf and NOPTS', () => {
    const p = new MetadataLineParser();
    const lines = [
      '[Parsed_metadata_1 @ 0x29f95ec0] frame:12   pts:501     pts_time:0.501',
      '[Parsed_ametadata_4 @ 0x29f95fc0] frame:1    pts:76848   pts_time:1.601',
      '[Parsed_metadata_1 @ 0x29f95ec0] lavfi.signalstats.YAVG=125.3',
      '[Parsed_ametadata_4 @ 0x29f95fc0] lavfi.astats.Overall.RMS_level=-inf',
      '[Parsed_metadata_2 @ 0x29f95ed0] frame:3    pts:NOPTS   pts_time:NOPTS',
      '[Parsed_metadata_2 @ 0x29f95ed0] lavfi.signalstats.YDIF=2.47',
      '[Parsed_metadata_9 @ 0x29f95ed0] lavfi.signalstats.YDIF=2.47',
      'Stream mapping:',
    ];
    expect(lines.map((l) => p.parse(l))).toEqual([
      undefined,
      undefined,
      { key: 'lavfi.signalstats.YAVG', value: 125.3, ptsMs: 501 },
      { key: 'lavfi.astats.Overall.RMS_level', value: -Infinity, ptsMs: 1601 },
      undefined,
      { key: 'lavfi.signalstats.YDIF', value: 2.47, ptsMs: undefined },
      undefined,
      undefined,
    ]);
  });
});

describe('readerFor', () => {
  it.each([
    ['rtmp://h/live/a', 'rtmp'],
    ['http://h/live/a.flv', 'http-flv'],
    ['https://h/live/a.flv?token=1', 'http-flv'],
    ['http://h/hls/a.m3u8', 'hls'],
    ['rtsp://h:554/a', 'rtsp'],
  ])('%s → %s', (url, protocol) => expect(readerFor(url).protocol).toBe(protocol));
  it.each(['http://h/a.mp4', 'srt://h:9000'])('rejects %s', (url) => expect(() => readerFor(url)).toThrow());
});

describe('withAddress', () => {
  it('keeps the Host for HTTP, none for RTMP, brackets IPv6', () => {
    expect(withAddress('http://cdn.example:8080/a.flv', '10.0.0.1')).toEqual({ url: 'http://10.0.0.1:8080/a.flv', hostHeader: 'cdn.example:8080' });
    expect(withAddress('rtmp://origin.example/live/a', '10.0.0.2')).toEqual({ url: 'rtmp://10.0.0.2/live/a' });
    expect(withAddress('rtsp://cam.example/a', '::1').url).toBe('rtsp://[::1]/a');
  });
});

describe('backoffDelay', () => {
  it.each([
    [0, 0.5, 250],
    [1, 0.5, 500],
    [3, 0.5, 2000],
    [10, 0.5, 10_000],
    [10, 1, 10_000],
    [2, 0, 800],
    [2, 1, 1200],
  ])('attempt %i, random %f → %i ms', (attempt, r, want) => {
    expect(backoffDelay(attempt, undefined, () => r)).toBe(want);
  });
});
