import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveChildPids } from '../../src/common/children.ts';
import { probeUrl } from '../../probes/prober.ts';
import { ffmpegPath } from '../../src/common/binaries.ts';
import { SampleLog } from './helpers/collect.ts';
import { startMediaServer, stopProcess, type MediaServer } from './helpers/media.ts';

const id = { region: 'test', probe: 'edge', line: 'primary' };

/**
 * Publishes a marker stream: a white frame every 2 s and a 100 ms 1 kHz beep every 2 s, the
 * beep `audioLagMs` after the flash; or a frozen picture (solid colour).
 */
function publishMarkers(url: string, opts: { audioLagMs?: number; frozen?: boolean }): ChildProcess {
  const lag = (opts.audioLagMs ?? 0) / 1000;
  const video = opts.frozen
    ? 'color=c=gray:size=640x360:rate=25'
    : "testsrc2=size=640x360:rate=25,drawbox=color=white:t=fill:enable='lt(mod(t,2),0.04)'";
  const audio = `aevalsrc='if(lt(mod(t-${lag},2),0.1),0.5*sin(2*PI*1000*t),0)':s=48000`;
  const args = ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', video, '-f', 'lavfi', '-i', audio];
  const enc = ['-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-g', '25', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-f', 'flv', url];
  return spawn(ffmpegPath, [...args, ...enc], { stdio: 'ignore' });
}

describe('decoded checks (freeze, A/V sync markers)', () => {
  let nms: MediaServer;
  const publishers: ChildProcess[] = [];
  beforeAll(async () => {
    nms = await startMediaServer();
  });
  afterAll(async () => {
    await Promise.all(publishers.map(stopProcess));
    await nms?.stop();
    expect(liveChildPids()).toEqual([]);
  });

  it('audio 300 ms late → avSyncMs ≈ −300; a live picture has no freeze', async () => {
    const url = `rtmp://127.0.0.1:${nms.rtmpPort}/live/markers`;
    publishers.push(publishMarkers(url, { audioLagMs: 300 }));
    await new Promise((r) => setTimeout(r, 1000));
    const log = new SampleLog();
    const h = probeUrl(url, { ...id, stream: 'markers', decode: true, onSample: log.onSample });
    try {
      const first = await log.until((s) => s.avSyncMs !== undefined, 12_000);
      const second = await log.until((s) => s.avSyncMs !== undefined && s.seq > first.seq, 4000);
      for (const s of [first, second]) expect(Math.abs((s.avSyncMs ?? 0) + 300)).toBeLessThanOrEqual(20);
      const live = log.samples.filter((s) => s.connected && s.seq > first.seq);
      for (const s of live) expect(s.freezeMs).toBeLessThan(100);
    } finally {
      await h.stop();
    }
  });

  it('frozen picture → freezeMs close to the window; no markers → no avSyncMs', async () => {
    const url = `rtmp://127.0.0.1:${nms.rtmpPort}/live/frozen`;
    publishers.push(publishMarkers(url, { frozen: true, audioLagMs: 0 }));
    await new Promise((r) => setTimeout(r, 1000));
    const log = new SampleLog();
    const h = probeUrl(url, { ...id, stream: 'frozen', decode: true, onSample: log.onSample });
    try {
      const up = await log.until((s) => s.connected, 5000);
      await log.until((s) => s.seq >= up.seq + 5, 7000);
      // Decoded frames reach the window in bursts, so one window may hold a frame more or less:
      // judge the steady windows together.
      const steady = log.samples.filter((s) => s.seq > up.seq + 1 && s.seq <= up.seq + 5);
      expect(steady.reduce((n, s) => n + s.freezeMs, 0) / steady.length).toBeGreaterThan(850);
      for (const s of steady) expect(s.avSyncMs).toBeUndefined();
    } finally {
      await h.stop();
    }
  });
});
