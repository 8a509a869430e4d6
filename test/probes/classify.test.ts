import { describe, expect, it } from 'vitest';
import { classifyEnd, type SessionEnd } from '../../probes/classify.ts';

// Real stderr lines captured from ffprobe 4.0.2 (ffprobe-static) against the listed targets.
const cases: Array<{ name: string; end: Partial<SessionEnd>; want: string }> = [
  {
    name: 'RTMP to a closed port',
    end: { stderr: ['[tcp @ 0x16561fc0] Connection to tcp://127.0.0.1:1 failed: Connection refused', '[rtmp @ 0x16562100] Cannot open connection tcp://127.0.0.1:1', 'rtmp://127.0.0.1:1/live/a: Connection refused'], code: 1 },
    want: 'refused',
  },
  { name: 'RTSP to a closed port', end: { stderr: ['[tcp @ 0x2a944fc0] Connection to tcp://127.0.0.1:1?timeout=0 failed: Connection refused'], code: 1 }, want: 'refused' },
  { name: 'HLS 404', end: { stderr: ['http://127.0.0.1:18080/nope.m3u8: Server returned 404 Not Found'], code: 1 }, want: 'not-found' },
  { name: 'HLS 503 (ffmpeg names no 5xx status)', end: { stderr: ['http://127.0.0.1:46663/index.m3u8: Server returned 5XX Server Error reply'], code: 1, sawVideo: true }, want: 'protocol' },
  { name: 'HLS 410 (ffmpeg names 400, 401, 403, 404 only)', end: { stderr: ['http://127.0.0.1:46663/index.m3u8: Server returned 4XX Client Error, but not one of 40{0,1,3,4}'], code: 1 }, want: 'protocol' },
  { name: 'HLS playlist poll 404', end: { stderr: ['playlist: Server returned 404'], httpStatus: 404 }, want: 'not-found' },
  { name: 'garbage over HTTP-FLV', end: { stderr: ['http://127.0.0.1:18081/x.flv: Invalid data found when processing input'], code: 1 }, want: 'decode' },
  { name: 'garbage over RTSP', end: { stderr: ['rtsp://127.0.0.1:18082/a: Invalid data found when processing input'], code: 1 }, want: 'decode' },
  { name: 'garbage over RTMP (handshake)', end: { stderr: ['[rtmp @ 0x20c3d100] Server response validating failed', 'rtmp://127.0.0.1:18082/live/a: Input/output error'], code: 1 }, want: 'protocol' },
  { name: 'DNS failure (resolved in Node)', end: { stderr: ['Failed to resolve nonexistent.invalid: ENOTFOUND'] }, want: 'unreachable' },
  { name: 'publisher killed (watchdog)', end: { cause: 'watchdog', sawVideo: true }, want: 'timeout' },
  { name: 'HLS playlist stale', end: { cause: 'stale', sawVideo: true }, want: 'timeout' },
  { name: 'unpublished stream hangs', end: { cause: 'startup-timeout' }, want: 'timeout' },
  { name: 'audio-only stream', end: { cause: 'startup-timeout', sawAudio: true }, want: 'no-video' },
  { name: 'clean exit after media (-rw_timeout, server closed)', end: { code: 0, sawVideo: true }, want: 'eof' },
  { name: 'segfault with no output', end: { code: null, signal: 'SIGSEGV' }, want: 'unknown' },
];

describe('classifyEnd', () => {
  it.each(cases)('$name → $want', ({ end, want }) => {
    expect(classifyEnd({ cause: 'exit', stderr: [], sawVideo: false, sawAudio: false, ...end })).toBe(want);
  });
});
