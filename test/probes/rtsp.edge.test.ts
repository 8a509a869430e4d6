import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveChildPids } from '../../src/common/children.ts';
import { probeUrl } from '../../probes/prober.ts';
import { SampleLog } from './helpers/collect.ts';
import { freePort, publish, stopProcess } from './helpers/media.ts';

const id = { region: 'test', probe: 'edge', line: 'primary', stream: 'rtsp' };

// rtsp-streaming-server only does UDP transport, like the lab; it binds all interfaces.
describe('RTSP (UDP) against rtsp-streaming-server', () => {
  let server: ChildProcess | undefined;
  let clientPort: number;
  let pub: ChildProcess | undefined;

  beforeAll(async () => {
    const serverPort = await freePort();
    clientPort = await freePort();
    const script = fileURLToPath(new URL('./helpers/rtsp-server.ts', import.meta.url));
    const rtpPortStart = 30_000 + Math.floor(Math.random() * 20_000);
    server = spawn(process.execPath, ['--import', 'tsx', script, String(serverPort), String(clientPort), String(rtpPortStart)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    server.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    // Ready when it says so; a server that dies first (e.g. a port taken meanwhile) fails here with its
    // stderr, not after the hook's whole timeout.
    const exited = once(server, 'exit').then(([code]) => {
      throw new Error(`the RTSP server exited (${String(code)}) before it was ready: ${stderr.trim().slice(-500)}`);
    });
    await Promise.race([once(server.stdout!, 'data'), exited]);
    exited.catch(() => undefined);
    pub = publish(`rtsp://127.0.0.1:${serverPort}/cam`, { outputArgs: ['-f', 'rtsp', '-rtsp_transport', 'udp'] });
    await new Promise((r) => setTimeout(r, 1500));
  });
  afterAll(async () => {
    if (pub) await stopProcess(pub);
    if (server) await stopProcess(server);
  });

  it('connects after a keyframe, 25 fps, and a killed publisher is down within 1.5 s', async () => {
    const log = new SampleLog();
    const h = probeUrl(`rtsp://127.0.0.1:${clientPort}/cam`, { ...id, onSample: log.onSample });
    try {
      const up = await log.until((s) => s.connected, 8000);
      expect(up.startupMs).toBeLessThan(5000);
      const steady = await log.until((s) => s.seq >= up.seq + 2, 4000);
      expect(Math.abs(steady.fps - 25)).toBeLessThanOrEqual(1);
      expect(steady).toMatchObject({ connected: true, width: 640, height: 360 });
      const killedAt = performance.now();
      if (pub) await stopProcess(pub);
      const down = await log.until((s) => !s.connected && s.seq > steady.seq, 3000);
      expect(down.receivedAt - killedAt).toBeLessThan(1500);
    } finally {
      await h.stop();
    }
    expect(liveChildPids()).toEqual([]);
  });
});
