import type http from 'node:http';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ClockWatch } from '../../probes/health/clock-watch.ts';
import { LineProber } from '../../probes/line-prober.ts';
import { DEFAULT_PROBE_HEALTH } from '../../src/model/probe-health.ts';
import { liveChildPids } from '../../src/common/children.ts';
import { publishHls, type HlsPublisher } from '../helpers/processes.ts';
import { until } from '../helpers/until.ts';
import { SampleLog } from './helpers/collect.ts';

/**
 * One failed HTTP request is not a dead HLS line: a real ffprobe and the reader's own playlist
 * polls against a real live HLS server that answers some requests 503. FFmpeg 4's hls demuxer
 * exits (cleanly) when a playlist reload fails (after one retry on a new connection); before, that was an 'eof' sample, a P1 and a
 * switch (CI saw it as a false page in the SIGSTOP test). A playlist that keeps failing is still
 * down within a couple of seconds, with the server's error.
 */

interface LogLine {
  msg: string;
  detail?: string;
  cause?: string;
  code?: number;
}

const isPlaylist = (req: http.IncomingMessage) => (req.url ?? '').includes('.m3u8');
const byFfprobe = (req: http.IncomingMessage) => /^Lavf/.test(req.headers['user-agent'] ?? '');

let hls: HlsPublisher | undefined;
let prober: LineProber | undefined;
let clock: ClockWatch | undefined;
afterEach(async () => {
  await prober?.stop();
  clock?.stop();
  await hls?.stop();
});
afterAll(() => {
  expect(liveChildPids()).toEqual([]);
});

/** A line prober on the publisher's stream, up and measuring; `fail` decides which requests get a 503. */
async function probeLine(fail: (req: http.IncomingMessage) => boolean) {
  hls = await publishHls({ failWith: (req) => (fail(req) ? 503 : undefined) });
  const logged: LogLine[] = [];
  const logger = pino({ level: 'debug', base: undefined }, { write: (line: string) => void logged.push(JSON.parse(line) as LogLine) });
  const samples = new SampleLog();
  clock = new ClockWatch();
  clock.start();
  const c = clock;
  prober = new LineProber({ probe: 'edge', region: 'test', stream: 's', line: 'primary', url: hls.url, onSample: samples.onSample, logger, health: { thresholds: () => DEFAULT_PROBE_HEALTH, loop: (from, now) => c.worst(from, now) } });
  prober.start();
  await samples.until((s) => s.connected && s.fps > 0, 20_000);
  return { samples, logged };
}

describe('an HLS line whose server fails a request now and then', () => {
  it("ffprobe's playlist reload refused: ffprobe is restarted, every window stays up at the stream's frame rate", async () => {
    // ffprobe retries a failed reload once, on a new connection: the edge fails both.
    let toRefuse = 0;
    let refused = 0;
    const { samples, logged } = await probeLine((req) => {
      if (toRefuse === 0 || !isPlaylist(req) || !byFfprobe(req)) return false;
      toRefuse--;
      refused++;
      return true;
    });
    const from = performance.now();
    toRefuse = 2;
    await until("ffprobe's reload refused", () => refused === 2 || undefined, 10_000);
    const refusedAt = performance.now();
    await until('three windows after the refusal', () => samples.samples.filter((s) => s.receivedAt > refusedAt).length >= 3, 10_000);

    const after = samples.samples.filter((s) => s.receivedAt > from);
    expect(after.filter((s) => !s.connected).map((s) => s.error)).toEqual([]);
    expect(logged.find((l) => l.msg === 'reader restarted')?.detail).toMatch(/ffprobe exited on a live playlist/);
    // A 25 fps stream (what the new ffprobe reads again, if anything, is dropped: hls-redelivery.test.ts).
    for (const s of after) expect(s.fps).toBeLessThanOrEqual(30);
    expect(after.filter((s) => s.fps > 0).length).toBeGreaterThan(0);
  }, 60_000);

  it("the reader's own playlist poll refused once: the line stays up", async () => {
    let armed = false;
    let refused = 0;
    const { samples } = await probeLine((req) => {
      if (!armed || !isPlaylist(req) || byFfprobe(req)) return false;
      armed = false;
      refused++;
      return true;
    });
    const from = performance.now();
    armed = true;
    await until('the poll refused', () => refused === 1 || undefined, 10_000);
    const refusedAt = performance.now();
    await until('three windows after the refusal', () => samples.samples.filter((s) => s.receivedAt > refusedAt).length >= 3, 10_000);
    expect(samples.samples.filter((s) => s.receivedAt > from && !s.connected).map((s) => s.error)).toEqual([]);
  }, 60_000);

  it('a playlist that keeps failing takes the line down within 2.5 s, with the 5xx as the reason', async () => {
    let failing = false;
    const { samples, logged } = await probeLine((req) => failing && isPlaylist(req));
    const from = performance.now();
    failing = true;
    const down = await samples.until((s) => !s.connected, 10_000, from);
    expect(down.error, JSON.stringify(logged)).toBe('protocol');
    expect(down.receivedAt - from).toBeLessThan(2500);
  }, 60_000);
});
