import { describe, expect, it } from 'vitest';
import { LineLogPolicy, lineLogMessage, type LineLogEntry } from '../../probes/line-log-policy.ts';

/** A policy on a clock the test moves, and the messages it let through. */
function policy(windowMs = 1000) {
  let now = 0;
  const p = new LineLogPolicy({ now: () => now, windowMs });
  const logged: string[] = [];
  const keep = (e: LineLogEntry | undefined) => e && logged.push(lineLogMessage(e));
  return {
    logged,
    at: (ms: number) => (now = ms),
    failed: (error: Parameters<LineLogPolicy['failed']>[0]) => keep(p.failed(error)),
    connected: () => p.connected(),
    windowClosed: (media: boolean) => keep(p.windowClosed(media)),
  };
}

describe('LineLogPolicy', () => {
  it('a dead line: "line down" once, then one summary per 10 s of the retries in it', () => {
    const p = policy();
    // Refused every 300 ms for 25 s, a window closing every second.
    for (let t = 0; t <= 25_000; t += 100) {
      p.at(t);
      if (t % 300 === 0) p.failed('refused');
      if (t % 1000 === 0 && t > 0) p.windowClosed(false);
    }
    expect(p.logged).toEqual(['line down (refused)', 'still down, 33 retries in the last 10 s (refused)', 'still down, 33 retries in the last 10 s (refused)']);
  });

  it('a connect that stalls before a whole window of media is one more retry, not "line up"', () => {
    const p = policy();
    p.failed('refused');
    for (let t = 1000; t < 9000; t += 1000) {
      // Connected 100 ms into a window; media in it; stalled before the next window closed.
      p.at(t + 100);
      p.connected();
      p.at(t + 1000);
      p.windowClosed(true);
      p.at(t + 1050);
      p.failed('timeout');
    }
    p.at(10_000);
    p.windowClosed(false);
    expect(p.logged).toEqual(['line down (refused)', 'still down, 8 retries in the last 10 s (timeout)']);
  });

  it('"line up" after a whole window with new media, saying how long it was down', () => {
    const p = policy();
    p.at(500);
    p.connected();
    p.at(1000);
    p.windowClosed(true);
    p.at(2000);
    p.windowClosed(true);
    expect(p.logged).toEqual(['line up']);
    p.at(5000);
    p.failed('eof');
    p.at(6000);
    p.failed('refused');
    p.at(7000);
    p.connected();
    p.at(8000);
    p.windowClosed(false); // connected, but only a replay of the server's cache: not up yet
    p.at(9000);
    p.windowClosed(true);
    expect(p.logged).toEqual(['line up', 'line down (eof)', 'line up after 4 s down (1 failed retry)']);
  });

  it('a period without retries (long backoff) runs on until a retry happens', () => {
    const p = policy();
    p.failed('timeout');
    p.at(12_000);
    p.windowClosed(false);
    p.at(14_000);
    p.failed('timeout');
    p.windowClosed(false);
    expect(p.logged).toEqual(['line down (timeout)', 'still down, 1 retry in the last 14 s (timeout)']);
  });

  it('names the most frequent errors first', () => {
    const p = policy();
    p.failed('refused');
    for (const e of ['timeout', 'refused', 'refused', 'not-found'] as const) p.failed(e);
    p.at(10_000);
    p.windowClosed(false);
    expect(p.logged.at(-1)).toBe('still down, 4 retries in the last 10 s (refused, timeout, not-found)');
  });
});
