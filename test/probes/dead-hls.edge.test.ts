import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { ClockWatch } from '../../probes/health/clock-watch.ts';
import { LineProber } from '../../probes/line-prober.ts';
import { DEFAULT_PROBE_HEALTH } from '../../src/model/probe-health.ts';
import { liveChildPids } from '../../src/common/children.ts';
import { startLab } from '../../src/lab/index.ts';
import { until } from '../helpers/until.ts';
import { SampleLog } from './helpers/collect.ts';

/**
 * An HLS line whose publisher died: the lab's HLS server keeps serving the last playlist, frozen.
 * Every reconnect gets its segments again — media the probe already had — and stalls. That is not
 * the line coming back: the samples stay disconnected with the error that took it down, the log
 * says "line down" once and then summaries, never "line up", and the reconnect delay grows
 * (before, any media reset the backoff: a reconnect every ~3.5 s for as long as the line was dead,
 * each one a connected sample with fps 0).
 */

interface LogLine {
  at: number;
  level: number;
  msg: string;
  delayMs?: number;
}

afterAll(() => {
  expect(liveChildPids()).toEqual([]);
});

describe('a dead HLS line (playlist frozen)', () => {
  it('stays down in samples and logs, and backs off its reconnects; comes back up when the publisher does', async () => {
    const lab = await startLab({ streams: [{ id: 'frozen', protocols: ['hls'] }] });
    const logged: LogLine[] = [];
    const logger = pino({ level: 'debug', base: undefined }, { write: (line: string) => void logged.push({ ...(JSON.parse(line) as Omit<LogLine, 'at'>), at: performance.now() }) });
    const samples = new SampleLog();
    const clock = new ClockWatch();
    clock.start();
    const prober = new LineProber({ probe: 'edge', region: 'test', stream: 'frozen', line: 'primary', url: lab.url('frozen', 'primary', 'hls'), onSample: samples.onSample, logger, health: { thresholds: () => DEFAULT_PROBE_HEALTH, loop: (from, now) => clock.worst(from, now) } });
    try {
      prober.start();
      await samples.until((s) => s.connected && s.fps > 0, 20_000);
      await until('"line up"', () => logged.some((l) => l.msg === 'line up'), 10_000);

      await lab.applyFault({ stream: 'frozen', line: 'primary', kind: 'kill' });
      const down = await samples.until((s) => !s.connected, 15_000);
      const reconnects = () => logged.filter((l) => l.msg === 'session ended, reconnecting' && l.at >= down.receivedAt - 100);
      // Each attempt replays the frozen playlist's segments, then is found stale (3 × 1 s target duration).
      await until('5 reconnect attempts on the dead line', () => reconnects().length >= 5, 60_000);
      const observedUntil = performance.now();

      const after = samples.samples.filter((s) => s.receivedAt > down.receivedAt && s.receivedAt <= observedUntil);
      expect(after.filter((s) => s.connected)).toEqual([]);
      expect(new Set(after.map((s) => s.error))).toEqual(new Set(['timeout']));
      // Replayed segments arrived (bytes) but no new frame: the stall runs on across the attempts.
      expect(after.some((s) => s.bitrateBps > 0)).toBe(true);
      expect(after.every((s) => s.fps === 0)).toBe(true);

      const delays = reconnects().map((l) => l.delayMs ?? 0);
      // Exponential from 250 ms (±20 % jitter): each at least 1.3 × the one before until the 10 s cap.
      for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(Math.min(8000, 1.3 * delays[i - 1]!));
      expect(delays[4]).toBeGreaterThanOrEqual(3200);

      const spoken = logged.filter((l) => l.level >= 30 && l.at >= down.receivedAt - 100 && l.at <= observedUntil).map((l) => l.msg);
      expect(spoken.filter((m) => m.startsWith('line up'))).toEqual([]);
      expect(spoken.filter((m) => m.startsWith('line down'))).toHaveLength(1);
      const spokenFor = (observedUntil - down.receivedAt) / 1000;
      // "line down" once, then at most one "still down" summary per 10 s.
      expect(spoken.length).toBeLessThanOrEqual(2 + spokenFor / 10);

      // The publisher is back: new media, the line is up again (within the capped backoff).
      await lab.applyFault({ stream: 'frozen', line: 'primary', kind: 'start' });
      await samples.until((s) => s.connected && s.fps > 0, 30_000, observedUntil);
      await until('"line up after … down"', () => logged.some((l) => l.msg.startsWith('line up after')), 10_000);
    } finally {
      await prober.stop();
      clock.stop();
      await lab.stop();
    }
  }, 150_000);
});
