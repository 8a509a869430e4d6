import { afterAll, describe, expect, it } from 'vitest';
import { liveChildPids } from '../../src/common/children.ts';
import { probeUrl, startProber } from '../../probes/prober.ts';
import { SampleLog } from './helpers/collect.ts';
import { closeServer, freePort, publish, serveDir, serveGarbage, stopProcess, tempDir } from './helpers/media.ts';
import { until } from '../helpers/until.ts';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gone } from '../helpers/gone.ts';

const id = { region: 'test', probe: 'edge', line: 'primary' };

afterAll(() => {
  expect(liveChildPids()).toEqual([]);
});

describe('faults as classified samples', () => {
  it('garbage bytes over HTTP-FLV → decode, and the prober keeps retrying', async () => {
    const { port, server } = await serveGarbage();
    const log = new SampleLog();
    const h = probeUrl(`http://127.0.0.1:${port}/live/x.flv`, { ...id, stream: 'garbage', onSample: log.onSample });
    try {
      // ≈ 3 s on a quiet machine (ffprobe gives up on the bytes); deadlines leave room for a loaded one.
      const first = await log.until((s) => s.error === 'decode', 15_000);
      // Still emitting and still reconnecting after the failure.
      const later = await log.until((s) => s.seq >= first.seq + 2, 10_000);
      expect(later).toMatchObject({ connected: false, error: 'decode' });
    } finally {
      await h.stop();
      await closeServer(server);
    }
  });

  it('refused port → refused; unknown host → unreachable (many targets, one prober, one seq)', async () => {
    const port = await freePort();
    const log = new SampleLog();
    const h = startProber({
      ...id,
      onSample: log.onSample,
      targets: [
        { stream: 'refused', line: 'primary', url: `rtmp://127.0.0.1:${port}/live/a` },
        { stream: 'dns', line: 'primary', url: 'http://nonexistent.invalid/live/a.flv' },
      ],
    });
    try {
      await log.until((s) => s.stream === 'refused' && s.error === 'refused', 3000);
      await log.until((s) => s.stream === 'dns' && s.error === 'unreachable', 3000);
      const seqs = log.samples.map((s) => s.seq);
      expect(new Set(seqs).size).toBe(seqs.length);
    } finally {
      await h.stop();
    }
  });

  it('HLS 404 → not-found', async () => {
    const tmp = tempDir('sg-hls404-');
    const { port, server } = await serveDir(tmp.dir);
    const log = new SampleLog();
    const h = probeUrl(`http://127.0.0.1:${port}/missing.m3u8`, { ...id, stream: 'hls404', onSample: log.onSample });
    try {
      await log.until((s) => s.error === 'not-found', 3000);
    } finally {
      await h.stop();
      await closeServer(server);
      tmp.remove();
    }
  });

  it('HLS live: connected with latency; publisher killed → playlist stale → connected false', async () => {
    const tmp = tempDir('sg-hls-');
    const pub = publish(join(tmp.dir, 'index.m3u8'), {
      outputArgs: ['-f', 'hls', '-hls_time', '1', '-hls_list_size', '4', '-hls_flags', 'delete_segments+program_date_time'],
    });
    const { port, server } = await serveDir(tmp.dir);
    const log = new SampleLog();
    let h: { stop(): Promise<void> } | undefined;
    try {
      await until('HLS playlist', () => existsSync(join(tmp.dir, 'index.m3u8')), 10_000, 100);
      h = probeUrl(`http://127.0.0.1:${port}/index.m3u8`, { ...id, stream: 'hls', onSample: log.onSample });
      const up = await log.until((s) => s.connected, 8000);
      expect(up.startupMs).toBeLessThan(3000);
      const withLatency = await log.until((s) => s.connected && s.latencyMs !== undefined, 5000);
      expect(withLatency.latencyMs).toBeGreaterThan(0);
      expect(withLatency.latencyMs).toBeLessThan(5000);
      const killedAt = performance.now();
      await stopProcess(pub);
      const down = await log.until((s) => !s.connected && s.seq > withLatency.seq, 8000);
      // Stale after 3 × TARGETDURATION (1 s) plus up to one poll and the last segment's length.
      expect(down.receivedAt - killedAt).toBeLessThan(5500);
      expect(down.error).toBe('timeout');
    } finally {
      await stopProcess(pub);
      await h?.stop();
      await closeServer(server);
      tmp.remove();
    }
  });

  it('a parent that exits without stopping leaves no ffprobe behind', async () => {
    // A server that accepts and never answers: ffprobe would wait forever.
    const silent = createServer(() => undefined);
    const port = await freePort();
    await new Promise<void>((r) => silent.listen(port, '127.0.0.1', r));
    try {
      const script = fileURLToPath(new URL('./helpers/exit-with-probes.ts', import.meta.url));
        const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, `http://127.0.0.1:${port}/live/a.flv`]);
      const pids = JSON.parse(stdout.trim()) as number[];
      expect(pids.length).toBeGreaterThan(0);
      await until('orphaned ffprobe to be killed', () => pids.every(gone), 2000, 100);
    } finally {
      silent.close();
    }
  });
});
