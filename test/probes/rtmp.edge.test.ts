import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveChildPids } from '../../src/common/children.ts';
import { probeUrl } from '../../probes/prober.ts';
import { gone } from '../helpers/gone.ts';
import { SampleLog } from './helpers/collect.ts';
import { publish, startMediaServer, stopProcess, type MediaServer } from './helpers/media.ts';

// Real node-media-server and ffmpeg publishers on random 127.0.0.1 ports.
const id = { region: 'test', probe: 'edge', line: 'primary' };

describe('RTMP / HTTP-FLV against node-media-server', () => {
  let nms: MediaServer;
  const publishers: ChildProcess[] = [];

  beforeAll(async () => {
    nms = await startMediaServer();
  });
  afterAll(async () => {
    await Promise.all(publishers.map(stopProcess));
    await nms?.stop();
  });

  it('healthy RTMP: fps 25 ± 1, no stall, resolution, then publisher killed → connected false within 1.5 s', async () => {
    const pub = publish(`rtmp://127.0.0.1:${nms.rtmpPort}/live/healthy`);
    publishers.push(pub);
    await new Promise((r) => setTimeout(r, 1000));
    const log = new SampleLog();
    const h = probeUrl(`rtmp://127.0.0.1:${nms.rtmpPort}/live/healthy`, { ...id, stream: 'healthy', onSample: log.onSample });
    try {
      const first = await log.until((s) => s.connected, 5000);
      expect(first.startupMs).toBeGreaterThan(0);
      expect(first.startupMs).toBeLessThan(1000);
      await log.until((s) => s.seq >= first.seq + 4, 6000);
      const steady = log.samples.filter((s) => s.seq > first.seq);
      for (const s of steady) {
        expect(s.connected).toBe(true);
        expect(Math.abs(s.fps - 25)).toBeLessThanOrEqual(1);
        expect(s.stallMs).toBe(0);
        expect(s).toMatchObject({ width: 640, height: 360 });
        expect(s.avSkewMs).toBeDefined();
        expect(s.bitrateBps).toBeGreaterThan(50_000);
      }
      const seqs = log.samples.map((s) => s.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));

      const killedAt = performance.now();
      await stopProcess(pub);
      const down = await log.until((s) => !s.connected && s.seq > first.seq, 3000);
      expect(down.receivedAt - killedAt).toBeLessThan(1500);
      expect(down.error).toBe('timeout');
    } finally {
      const pids = liveChildPids();
      await h.stop();
      expect(liveChildPids()).toEqual([]);
      for (const pid of pids) expect(gone(pid)).toBe(true);
    }
  });

  it('HTTP-FLV stream without audio works and has no avSkewMs', async () => {
    const pub = publish(`rtmp://127.0.0.1:${nms.rtmpPort}/live/noaudio`, { audio: false });
    publishers.push(pub);
    await new Promise((r) => setTimeout(r, 1000));
    const log = new SampleLog();
    const h = probeUrl(`http://127.0.0.1:${nms.httpPort}/live/noaudio.flv`, { ...id, stream: 'noaudio', onSample: log.onSample });
    try {
      const first = await log.until((s) => s.connected, 5000);
      const next = await log.until((s) => s.seq >= first.seq + 2, 4000);
      expect(Math.abs(next.fps - 25)).toBeLessThanOrEqual(1);
      expect(next.avSkewMs).toBeUndefined();
      expect(next.stallMs).toBe(0);
    } finally {
      await h.stop();
    }
    expect(liveChildPids()).toEqual([]);
  });

  it('unpublished stream: NMS holds the player, so it is a startup timeout, not connected', async () => {
    const log = new SampleLog();
    const h = probeUrl(`rtmp://127.0.0.1:${nms.rtmpPort}/live/nobody`, { ...id, stream: 'nobody', onSample: log.onSample });
    try {
      const s = await log.until((x) => x.error !== undefined, 8000);
      expect(s).toMatchObject({ connected: false, error: 'timeout' });
    } finally {
      await h.stop();
    }
  });
});
