import { describe, expect, it } from 'vitest';
import type { PacketEvent } from '../../probes/events.ts';
import { hlsTiming } from '../../probes/readers/hls.ts';
import { MetricsWindow } from '../../probes/window.ts';

const video = (at: number, key = false, ptsMs = at, size = 1000): PacketEvent => ({ at, kind: 'video', key, ptsMs, size });
const audio = (at: number, ptsMs = at, size = 100): PacketEvent => ({ at, kind: 'audio', key: true, ptsMs, size });

/** Feeds a 25 fps video track from `from` to `to` (exclusive), first packet a keyframe. */
function feed(w: MetricsWindow, from: number, to: number, first = true): void {
  for (let t = from; t < to; t += 40) w.packet(video(t, first && t === from));
}

describe('MetricsWindow', () => {
  it('healthy 25 fps: fps 25, no stall, startup from connect to first keyframe', () => {
    const w = new MetricsWindow({ stallThresholdMs: 250 }, 0);
    w.connecting(0);
    feed(w, 300, 1000);
    w.resolution(640, 360);
    const first = w.close(1000);
    expect(first).toMatchObject({ connected: true, startupMs: 300, width: 640, height: 360, stallMs: 0 });
    for (let t = 1000; t < 2000; t += 40) w.packet(video(t));
    const second = w.close(2000);
    expect(second.fps).toBe(25);
    expect(second.bitrateBps).toBe(25 * 1000 * 8);
    expect(second.stallMs).toBe(0);
    expect(second.maxGapMs).toBe(40);
    expect(second.startupMs).toBeUndefined();
  });

  it('fps follows stream time, not arrival jitter across window edges; a lower rate shows', () => {
    const w = new MetricsWindow({ stallThresholdMs: 250 }, 0);
    w.connecting(0);
    // 25 fps content, but the 26th frame arrives late, in the next window: 24 then 26 arrivals.
    for (let i = 0; i < 24; i++) w.packet(video(i * 40 + 5, i === 0, i * 40));
    expect(w.close(1000).fps).toBe(25);
    for (let i = 24; i < 50; i++) w.packet(video(i === 24 ? 1001 : i * 40 + 5, false, i * 40));
    expect(w.close(2000).fps).toBe(25);
    for (let i = 0; i < 10; i++) w.packet(video(2000 + i * 100, false, 2000 + i * 100));
    expect(w.close(3000).fps).toBe(10);
  });

  it('a connected window sent early and too short to measure rates reports the window before it', () => {
    const w = new MetricsWindow({ stallThresholdMs: 250 }, 0);
    w.connecting(0);
    feed(w, 0, 1000);
    const full = w.close(1000);
    // 30 ms: one frame, which over its own span would read 33 fps and 267 kb/s.
    w.packet(video(1010));
    expect(w.close(1030)).toMatchObject({ windowMs: 30, fps: full.fps, bitrateBps: full.bitrateBps });
    feed(w, 1040, 2000, false);
    expect(w.close(2000).fps).toBe(25);
    // A reconnect measures afresh: no rates of the session before it.
    w.disconnected('eof');
    w.connecting(2000);
    w.packet(video(2010, true));
    expect(w.close(2030)).toMatchObject({ connected: true, fps: 33.3 });
  });

  it('a GOP replayed right after a reconnect is not new media; a restarted publisher\'s older pts are', () => {
    const w = new MetricsWindow({ stallThresholdMs: 250 }, 0);
    w.connecting(0);
    for (let t = 0; t < 1000; t += 40) w.packet(video(t, t === 0, t + 5000));
    w.close(1000);
    // Publisher stalls at pts 5960; the probe reconnects at 1500 and the server replays its GOP.
    w.disconnected('timeout');
    w.connecting(1500);
    for (let i = 0; i < 10; i++) w.packet(video(1510 + i, i === 0, 5600 + i * 40));
    const replayed = w.close(2000);
    // Not the line coming back: still disconnected, with the error that took it down.
    expect(replayed).toMatchObject({ connected: false, error: 'timeout', fps: 0, stallMs: 1000, maxGapMs: 1040 });
    expect(replayed.startupMs).toBeUndefined();
    // A restarted publisher: pts from 0 again, arriving steadily after the burst: connected, its
    // startup up to its first frame (2600).
    for (let t = 2000; t < 3000; t += 40) w.packet(video(t + 600, false, t - 2000));
    const back = w.close(3000);
    expect(back).toMatchObject({ connected: true, startupMs: 1100 });
    expect(back.fps).toBeGreaterThan(20);
    for (let t = 3000; t < 4000; t += 40) w.packet(video(t, false, t - 2000));
    expect(w.close(4000)).toMatchObject({ fps: 25, stallMs: 0 });
  });

  it('a reconnect to a stopped HLS playlist replays its whole length (6 × 6 s segments): not new media', () => {
    // A GOP cache reaches back 10 s at most; older pts would be taken for a restarted publisher.
    const w = new MetricsWindow({ stallThresholdMs: 9000 }, 0);
    w.setReplayWindow(hlsTiming({ targetDurationS: 6, segmentCount: 6 }).replayWindowMs!);
    const playlist = (at: number) => {
      for (let pts = 64_000; pts < 100_000; pts += 40) w.packet(video(at + (pts - 64_000) / 1000, pts % 6000 === 4000, pts));
    };
    w.connecting(0);
    playlist(100);
    expect(w.close(1000)).toMatchObject({ connected: true });
    w.disconnected('timeout');
    w.connecting(20_000);
    playlist(20_100);
    expect(w.close(21_000)).toMatchObject({ connected: false, error: 'timeout', fps: 0 });
  });

  it('is not connected before the first keyframe', () => {
    const w = new MetricsWindow({ stallThresholdMs: 250 }, 0);
    w.connecting(0);
    w.packet(video(100, false));
    expect(w.close(1000)).toMatchObject({ connected: false, fps: 0 });
  });

  it.each([
    { pauseFrom: 1500, pauseMs: 3000 },
    { pauseFrom: 1960, pauseMs: 3000 },
    { pauseFrom: 1200, pauseMs: 500 },
  ])('a pause of $pauseMs ms from $pauseFrom totals its length in stallMs over the windows', ({ pauseFrom, pauseMs }) => {
    const w = new MetricsWindow({ stallThresholdMs: 250 }, 0);
    w.connecting(0);
    const end = 8000;
    const windows = [];
    let t = 0;
    let next = 1000;
    let first = true;
    while (next <= end) {
      for (; t < next; t += 40) {
        if (t >= pauseFrom && t < pauseFrom + pauseMs) continue;
        w.packet(video(t, first));
        first = false;
      }
      windows.push(w.close(next));
      next += 1000;
    }
    const stall = windows.reduce((s, x) => s + x.stallMs, 0);
    expect(Math.abs(stall - pauseMs)).toBeLessThanOrEqual(300);
    expect(Math.max(...windows.map((x) => x.maxGapMs))).toBeGreaterThanOrEqual(pauseMs - 500);
    for (const x of windows) expect(x.stallMs).toBeLessThanOrEqual(x.windowMs);
  });

  it('the open gap at window end counts: a dead stream shows stall before the next packet', () => {
    const w = new MetricsWindow({ stallThresholdMs: 250 }, 0);
    w.connecting(0);
    w.packet(video(0, true));
    w.packet(video(100));
    expect(w.close(1000)).toMatchObject({ maxGapMs: 900, stallMs: 900 });
    expect(w.close(2000)).toMatchObject({ maxGapMs: 1900, stallMs: 1000 });
  });

  it('disconnect keeps the error on every window until media flows again', () => {
    const w = new MetricsWindow({ stallThresholdMs: 250 }, 0);
    w.connecting(0);
    feed(w, 0, 500);
    w.disconnected('timeout');
    expect(w.close(600)).toMatchObject({ connected: false, error: 'timeout' });
    w.connecting(700);
    expect(w.close(1600)).toMatchObject({ connected: false, error: 'timeout', stallMs: 1000 });
    feed(w, 1700, 2600);
    const up = w.close(2600);
    expect(up.connected).toBe(true);
    expect(up.error).toBeUndefined();
    expect(up.startupMs).toBe(1000);
  });

  it('avSkewMs is the median of audio pts − video pts at audio arrivals; absent without audio', () => {
    const w = new MetricsWindow({ stallThresholdMs: 250 }, 0);
    w.connecting(0);
    for (let t = 0; t < 1000; t += 40) {
      w.packet(video(t, t === 0, t));
      w.packet(audio(t + 1, t + 30));
    }
    expect(w.close(1000).avSkewMs).toBe(30);
    feed(w, 1000, 2000, false);
    expect(w.close(2000).avSkewMs).toBeUndefined();
  });

  it('freezeMs sums frozen time, capped at the window with the excess carried over; sync and latency are reported', () => {
    const w = new MetricsWindow({ stallThresholdMs: 250 }, 0);
    for (let i = 0; i < 10; i++) w.freeze(40);
    w.avSync(120);
    w.avSync(-200);
    w.latencyMs(1234.4);
    expect(w.close(1000)).toMatchObject({ freezeMs: 400, avSyncMs: -200, latencyMs: 1234 });
    w.freeze(1160);
    expect(w.close(2000).freezeMs).toBe(1000);
    expect(w.close(3000).freezeMs).toBe(160);
    expect(w.close(4000).freezeMs).toBe(0);
  });

  it('content fields: black and silence on every connected window once checked (silence only with audio), the newest loudness, the highest true peak', () => {
    const w = new MetricsWindow({ stallThresholdMs: 250 }, 0);
    w.connecting(0);
    feed(w, 0, 1000);
    expect(w.close(1000)).not.toHaveProperty('blackMs'); // no content checks on this line
    w.checksContent();
    feed(w, 1000, 2000, false);
    w.blackTime(1500); // a run credited late, longer than the window
    expect(w.close(2000)).toMatchObject({ blackMs: 1000 });
    expect(w.close(2000)).not.toHaveProperty('silenceMs'); // no audio seen
    w.packet(audio(2010));
    feed(w, 2000, 3000, false);
    w.silenceTime(300);
    w.loudnessLufs(-23.04);
    w.loudnessLufs(-37.66);
    w.truePeakDbtp(-1.04);
    w.truePeakDbtp(-20.9);
    expect(w.close(3000)).toMatchObject({ silenceMs: 300, loudnessLufs: -37.7, truePeakDbtp: -1 });
    w.disconnected('eof');
    const down = w.close(4000);
    expect(down).not.toHaveProperty('blackMs');
    expect(down).not.toHaveProperty('loudnessLufs');
  });

  it('a decoder that exited: the windows it missed, even in part, leave black and silence out instead of reporting 0', () => {
    const w = new MetricsWindow({ stallThresholdMs: 250 }, 0);
    w.connecting(0);
    w.checksContent();
    feed(w, 0, 1000);
    w.packet(audio(990));
    w.blackTime(400);
    expect(w.close(1000)).toMatchObject({ blackMs: 400, silenceMs: 0 });
    feed(w, 1000, 2000, false);
    w.blackTime(300);
    w.contentLost(); // exited mid-window
    const lost = w.close(2000);
    expect(lost).not.toHaveProperty('blackMs');
    expect(lost).not.toHaveProperty('silenceMs');
    feed(w, 2000, 3000, false);
    w.checksContent(); // restarted mid-window: this window still had a gap
    expect(w.close(3000)).not.toHaveProperty('blackMs');
    feed(w, 3000, 4000, false);
    expect(w.close(4000)).toMatchObject({ blackMs: 0, silenceMs: 0 }); // the black of the lost window is not carried into a checked one
  });

  it('measuredSince reaches back to the oldest media gap a window closed, not to a gap still open', () => {
    const w = new MetricsWindow({ stallThresholdMs: 250 }, 0);
    w.connecting(0);
    feed(w, 0, 1000);
    expect(w.measuredSince).toBe(0);
    w.close(1000);
    // Steady media: the window's first frame closes the gap from the last frame of the one before.
    feed(w, 1000, 2000, false);
    expect(w.measuredSince).toBe(960);
    w.close(2000);
    // The stream dies at 2500; the gap open since then is not waiting media (it would have been read).
    feed(w, 2000, 2500, false);
    w.close(3000);
    expect(w.measuredSince).toBe(3000);
  });

  it('measuredSince of the window that reads the media after a stop: the last frame before it', () => {
    const w = new MetricsWindow({ stallThresholdMs: 250 }, 0);
    w.connecting(0);
    feed(w, 0, 1000);
    w.close(1000);
    // Stopped from 1050 to 2500; the window due at 2000 closed at 2495 before the pipe was read.
    w.close(2495);
    for (let i = 0; i < 37; i++) w.packet(video(2500, false, 1000 + i * 40));
    expect(w.measuredSince).toBe(960);
  });

  it('measuredSince of the window that finds the line dead: the last frame, whose silence it judged', () => {
    const w = new MetricsWindow({ stallThresholdMs: 250 }, 0);
    w.connecting(0);
    feed(w, 0, 1000);
    w.close(1000);
    feed(w, 1000, 1300, false);
    w.close(2000);
    // The watchdog finds it silent since 1280 and ends the session; its window is flushed at once.
    w.disconnected('timeout');
    expect(w.measuredSince).toBe(1280);
    expect(w.close(2300)).toMatchObject({ connected: false, error: 'timeout' });
    // A failed reconnect judges no media of its own: nothing reaches back.
    w.connecting(2300);
    w.disconnected('refused');
    expect(w.measuredSince).toBe(2300);
  });

  it('a raised stall threshold (HLS segment bursts) ignores gaps below it', () => {
    const w = new MetricsWindow({ stallThresholdMs: 250 }, 0);
    w.setStallThreshold(1500);
    w.connecting(0);
    w.packet(video(0, true));
    w.packet(video(1000));
    expect(w.close(1000)).toMatchObject({ stallMs: 0, maxGapMs: 1000 });
  });
});
