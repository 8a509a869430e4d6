import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ffmpegPath } from '../../../src/common/binaries.ts';
import { freePort } from '../../../src/lab/ports.ts';
import { until } from '../../helpers/until.ts';

/** Real processes for edge tests: a media server, publishers, odd servers. Test-only. */

export { freePort };

async function canConnect(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

export async function stopProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const closed = new Promise((r) => p.once('close', r));
  p.kill('SIGKILL');
  await closed;
}

export interface MediaServer {
  rtmpPort: number;
  httpPort: number;
  stop(): Promise<void>;
}

/**
 * node-media-server 4.4.3 in a child process with its own config file in a temp dir (its
 * bin/app.js writes secrets back into the config it is given; never the bundled one).
 */
export async function startMediaServer(): Promise<MediaServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sg-nms-'));
  const rtmpPort = await freePort();
  const httpPort = await freePort();
  const config = {
    bind: '127.0.0.1',
    notify: { url: '' },
    store: { path: join(dir, 'data') },
    auth: { play: false, publish: false, secret: 'test', jwt: { secret: 'test', expiresIn: '24h', refreshExpiresIn: '7d', algorithm: 'HS256', users: [] } },
    rtmp: { port: rtmpPort },
    http: { port: httpPort },
    webadmin: { enable: false },
    record: { auto: false, path: join(dir, 'record') },
  };
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  const app = fileURLToPath(new URL('../../../node_modules/node-media-server/bin/app.js', import.meta.url));
  const proc = spawn(process.execPath, [app, '-c', file, '--no-admin'], { stdio: 'ignore' });
  await until('node-media-server', async () => (await canConnect(rtmpPort)) && (await canConnect(httpPort)), 10_000, 100);
  return {
    rtmpPort,
    httpPort,
    stop: async () => {
      await stopProcess(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PublishOptions {
  audio?: boolean;
  /** ffmpeg output format and options, default FLV to an RTMP URL. */
  outputArgs?: string[];
}

/** 640x360 25 fps testsrc2 (+1 kHz sine) with x264 veryfast, GOP 1 s, in real time. */
export function publish(output: string, opts: PublishOptions = {}): ChildProcess {
  const audio = opts.audio ?? true;
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-re',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=640x360:rate=25',
    ...(audio ? ['-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=48000'] : []),
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-tune',
    'zerolatency',
    '-g',
    '25',
    '-pix_fmt',
    'yuv420p',
    ...(audio ? ['-c:a', 'aac'] : ['-an']),
    ...(opts.outputArgs ?? ['-f', 'flv']),
    output,
  ];
  return spawn(ffmpegPath, args, { stdio: 'ignore' });
}

/**
 * A static file server over a directory (for HLS), on a random port; `firstDelayMs` holds back the
 * answer to the first request (a slow first connect).
 */
export async function serveDir(dir: string, opts: { firstDelayMs?: number } = {}): Promise<{ port: number; server: Server }> {
  let first = true;
  const server = createServer((req, res) => {
    const delayMs = first ? (opts.firstDelayMs ?? 0) : 0;
    first = false;
    setTimeout(() => {
      const file = join(dir, new URL(req.url ?? '/', 'http://x').pathname);
      if (!file.startsWith(dir) || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': file.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : 'video/mp2t' });
      // The file can go between the check and the open (the muxer deletes old segments, a test
      // removes the directory as it ends): the answer is cut, not the test run.
      createReadStream(file)
        .on('error', () => res.destroy())
        .pipe(res);
    }, delayMs);
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { port, server };
}

/** An HTTP server that answers 200 and streams random bytes: "a broken CDN edge". */
export async function serveGarbage(): Promise<{ port: number; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'video/x-flv' });
    const timer = setInterval(() => res.write(randomBytes(20_000)), 100);
    res.on('close', () => clearInterval(timer));
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { port, server };
}

export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
}

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

