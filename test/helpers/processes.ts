import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { ffmpegPath } from '../../src/common/binaries.ts';
import { CLI } from './cli.ts';

import { until } from './until.ts';

export { until };

export interface HubProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Base URL once the hub prints its listening line. */
  url: Promise<string>;
  exited: Promise<number | null>;
  /** SIGKILL the hub only (a crash), then its process group (the orphaned ffprobe children). */
  kill9(): Promise<void>;
}

/**
 * Spawns `streamguard run` in its own process group, so its ffprobe children can be reaped after a
 * kill -9. Logs at warn level unless `env` says otherwise.
 */
export function spawnHub(args: string[], env: NodeJS.ProcessEnv = {}): HubProcess {
  const child = spawn(process.execPath, [CLI, 'run', ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, STREAMGUARD_LOG_LEVEL: 'warn', ...env } });
  let out = '';
  let err = '';
  let onUrl: (u: string) => void = () => undefined;
  const url = new Promise<string>((resolve) => (onUrl = resolve));
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) onUrl(m[1]!);
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    url,
    exited,
    async kill9() {
      try {
        process.kill(child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      await exited;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // no orphans left
      }
    },
  };
}

export interface HlsPublisher {
  url: string;
  stop(): Promise<void>;
}

/**
 * A tiny live HLS stream: ffmpeg testsrc2 → HLS files in a temp dir, served by node:http.
 * `failWith` answers a request with an error status instead (a CDN edge's hiccup) when it returns one.
 */
export async function publishHls(opts: { failWith?: (req: http.IncomingMessage) => number | undefined } = {}): Promise<HlsPublisher> {
  const dir = mkdtempSync(join(tmpdir(), 'sg-hls-'));
  const server = http.createServer((req, res) => {
    const status = opts.failWith?.(req);
    if (status !== undefined) {
      res.writeHead(status).end();
      return;
    }
    const name = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^\/+/, '');
    const file = join(dir, name);
    if (name.includes('..') || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': name.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : 'video/mp2t', 'cache-control': 'no-cache' });
    createReadStream(file).on('error', () => res.destroy()).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const ffmpeg = spawn(
    ffmpegPath,
    ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '25', '-pix_fmt', 'yuv420p',
      '-f', 'hls', '-hls_time', '1', '-hls_list_size', '5', '-hls_flags', 'delete_segments+temp_file+program_date_time', join(dir, 'index.m3u8')],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const ffmpegExit = new Promise<void>((r) => ffmpeg.on('close', () => r()));
  await until('the HLS playlist', () => existsSync(join(dir, 'index.m3u8')) || undefined, 15_000);
  return {
    url: `http://127.0.0.1:${port}/index.m3u8`,
    async stop() {
      ffmpeg.kill('SIGKILL');
      await ffmpegExit;
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A TCP port nothing listens on (connection refused). */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
