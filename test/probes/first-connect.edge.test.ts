import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { liveChildPids } from '../../src/common/children.ts';
import { probeUrl } from '../../probes/prober.ts';
import { SampleLog } from './helpers/collect.ts';
import { closeServer, freePort, publish, serveDir, stopProcess, tempDir } from './helpers/media.ts';
import { until } from '../helpers/until.ts';

/**
 * A line that is starting up has neither connected nor failed yet: the probe knows nothing about
 * it and must not report it disconnected (that opened a P1 at every probe start that cleared as a
 * blip). Its first Sample comes once the first attempt connected, failed with a classified error,
 * or ran into its startup timeout.
 */

const id = { region: 'test', probe: 'first', line: 'primary' };

afterAll(() => {
  expect(liveChildPids()).toEqual([]);
});

describe('first connect attempt', () => {
  it('a healthy HLS line whose first connect takes several windows: its first Sample is connected', async () => {
    const tmp = tempDir('sg-first-hls-');
    const pub = publish(join(tmp.dir, 'index.m3u8'), {
      outputArgs: ['-f', 'hls', '-hls_time', '1', '-hls_list_size', '4', '-hls_flags', 'delete_segments+program_date_time'],
    });
    const { port, server } = await serveDir(tmp.dir, { firstDelayMs: 1500 });
    const log = new SampleLog();
    let h: { stop(): Promise<void> } | undefined;
    try {
      await until('HLS playlist', () => existsSync(join(tmp.dir, 'index.m3u8')), 10_000, 100);
      const started = performance.now();
      // 250 ms windows, first playlist answered after 1.5 s: six windows pass before the line is up.
      h = probeUrl(`http://127.0.0.1:${port}/index.m3u8`, { ...id, stream: 'hls', windowMs: 250, onSample: log.onSample });
      const up = await log.until((s) => s.connected, 8000);
      expect(up.receivedAt - started).toBeGreaterThan(1500);
      expect(log.samples[0], JSON.stringify(log.samples.slice(0, 3))).toMatchObject({ connected: true });
      expect(log.samples[0]!.startupMs).toBeGreaterThanOrEqual(1500);
      expect(log.samples.filter((s) => !s.connected)).toEqual([]);
    } finally {
      await stopProcess(pub);
      await h?.stop();
      await closeServer(server);
      tmp.remove();
    }
  });

  it('a server that accepts and never answers: no Sample until the startup timeout (5 s), then connected:false timeout', async () => {
    const silent = createServer(() => undefined);
    const port = await freePort();
    await new Promise<void>((r) => silent.listen(port, '127.0.0.1', r));
    const log = new SampleLog();
    const started = performance.now();
    const h = probeUrl(`rtmp://127.0.0.1:${port}/live/a`, { ...id, stream: 'silent', onSample: log.onSample });
    try {
      const first = await log.until(() => true, 8000);
      const at = first.receivedAt - started;
      expect(at).toBeGreaterThanOrEqual(5000);
      expect(at).toBeLessThan(6500);
      expect(first).toMatchObject({ connected: false, error: 'timeout' });
      // From then on it is a known-down line: one Sample per window.
      const next = await log.until((s) => s.seq > first.seq, 1500);
      expect(next.connected).toBe(false);
    } finally {
      await h.stop();
      silent.close();
    }
  });

  it('a refused line is reported down at the first window (a classified error settles the first attempt)', async () => {
    const port = await freePort();
    const log = new SampleLog();
    const started = performance.now();
    const h = probeUrl(`rtmp://127.0.0.1:${port}/live/a`, { ...id, stream: 'refused', onSample: log.onSample });
    try {
      const first = await log.until(() => true, 3000);
      expect(first.receivedAt - started).toBeLessThan(1500);
      expect(first).toMatchObject({ connected: false, error: 'refused' });
    } finally {
      await h.stop();
    }
  });
});
