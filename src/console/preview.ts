import type { ChildProcess } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type { EventEmitter } from 'node:events';
import { WebSocketServer, type WebSocket } from 'ws';
import { resolveUrl } from '../common/resolve-host.ts';
import { Authenticator } from '../auth/auth.ts';
import { lineUrl, type StreamConfig } from '../model/stream.ts';
import type { Logger } from '../common/log.ts';
import { ffmpegPath } from '../common/binaries.ts';
import { PreviewPool } from './preview-pool.ts';
import { HttpError } from '../http/index.ts';

/**
 * The console's live preview: `GET /preview/<stream>/<line>` upgraded to a WebSocket
 * carrying MPEG-TS/MPEG-1 for JSMpeg. node-rtsp-stream's Mpeg1Muxer runs the ffmpeg (it reads
 * RTMP, HTTP-FLV, HLS and RTSP alike); its own VideoStream is not used because it opens a WS
 * server on a port of its own. Lifecycle (sharing, grace, cap) is PreviewPool's.
 */
export const PREVIEW_PREFIX = '/preview/';
/**
 * Each preview decodes its line and re-encodes it: ≈ 3–5 % of a core for the lab's 640×360 H.264
 * (test/console/preview-ws.test.ts); a 1080p source has 9× the pixels to decode. Four bound the
 * cost, so the console cannot starve the probes and detector on a small box.
 */
export const MAX_PREVIEWS = 4;
/** Long enough for a page reload to reuse the running ffmpeg. */
export const PREVIEW_GRACE_MS = 3000;
/** A viewer this far behind skips chunks (the picture recovers at the next GOP) rather than growing the hub's memory. */
const MAX_BUFFERED = 2 * 1024 * 1024;

interface Mpeg1Muxer extends EventEmitter {
  stream: ChildProcess;
}
const require = createRequire(import.meta.url);
const Muxer = require('node-rtsp-stream/mpeg1muxer.js') as new (o: { url: string; ffmpegPath: string; ffmpegOptions: Record<string, string | number> }) => Mpeg1Muxer;

/** Small, quick-to-join MPEG-1 (JSMpeg plays only MPEG-1 video); no audio: it is a glance, not a monitor. */
const FFMPEG_OPTIONS = { '-an': '', '-vf': 'scale=640:-2', '-r': 25, '-b:v': '800k', '-bf': 0, '-g': 25, '-loglevel': 'error', '-nostats': '' };

interface Feed {
  viewers: Set<WebSocket>;
  muxer?: Mpeg1Muxer;
  /** No longer serving: stopped by the pool, or its source ended. */
  stopped: boolean;
  /** Resolves once the ffmpeg has exited (or never started). */
  exited: Promise<void>;
}

export interface PreviewOptions {
  streams: () => readonly StreamConfig[];
  /** The region whose line URLs are previewed (the hub's first). */
  region: string;
  auth: Authenticator;
  logger?: Logger;
  graceMs?: number;
  max?: number;
}

export class PreviewServer {
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 1024 });
  private readonly pool: PreviewPool<Feed>;

  constructor(private readonly opts: PreviewOptions) {
    this.pool = new PreviewPool<Feed>({ start: (key) => this.start(key), stop: (feed) => this.stop(feed), graceMs: opts.graceMs ?? PREVIEW_GRACE_MS, max: opts.max ?? MAX_PREVIEWS });
  }

  /** Running previews: `stream/line`, the ffmpeg's PID (once spawned), viewers. */
  list(): { key: string; pid: number | undefined; viewers: number }[] {
    return this.pool.feeds().map(({ key, feed, viewers }) => ({ key, pid: feed.muxer?.stream.pid, viewers }));
  }

  close(): void {
    this.pool.close();
    this.wss.close();
  }

  /** An upgrade under PREVIEW_PREFIX: refused (HttpError) without a token, for an unknown stream or line, or with every preview busy. */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'http://hub');
    // Browsers cannot set headers on a WebSocket and JSMpeg sends no first message: `?token=`.
    if (!this.opts.auth.check(url.searchParams.get('token') ?? Authenticator.bearer(req))) throw new HttpError('unauthorized', this.opts.auth.refusal());
    const [stream, line, ...rest] = url.pathname.slice(PREVIEW_PREFIX.length).split('/').map(decodeSegment);
    const s = this.opts.streams().find((x) => x.id === stream);
    if (!s || rest.length > 0) throw new HttpError('not_found', `no stream "${stream}" in the config (preview path: /preview/<stream>/<line>)`);
    if (!line || !s.lines[line]) throw new HttpError('not_found', `stream "${stream}" has no line "${line}" (lines: ${Object.keys(s.lines).join(', ')})`);
    const key = `${stream}/${line}`;
    const got = this.pool.acquire(key);
    if (!got.ok) throw new HttpError('unavailable', `${this.opts.max ?? MAX_PREVIEWS} previews are running already: close one first`);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (got.feed.stopped) return ws.close(1011, 'preview source ended');
      got.feed.viewers.add(ws);
      ws.on('error', () => ws.terminate());
      ws.on('close', () => {
        got.feed.viewers.delete(ws);
        this.pool.release(key);
      });
    });
  };

  private start(key: string): Feed {
    const [stream, line] = key.split('/') as [string, string];
    const cfg = this.opts.streams().find((s) => s.id === stream)!.lines[line]!;
    let exited!: () => void;
    const feed: Feed = { viewers: new Set(), stopped: false, exited: new Promise((r) => (exited = r)) };
    const log = this.opts.logger?.child({ stream, line });
    // The npm ffmpeg crashes on any hostname lookup: hand it an IP URL. Mpeg1Muxer puts its
    // options after `-i`, so the original Host header (an input option) cannot follow: an HTTP
    // line served by name on a shared virtual host or CDN may not preview.
    resolveUrl(lineUrl(cfg, this.opts.region)).then(
      ({ url }) => {
        if (feed.stopped) return exited();
        const muxer = new Muxer({ url, ffmpegPath, ffmpegOptions: FFMPEG_OPTIONS });
        feed.muxer = muxer;
        log?.info({ pid: muxer.stream.pid }, 'preview started');
        muxer.on('mpeg1data', (chunk: Buffer) => {
          for (const ws of feed.viewers) if (ws.bufferedAmount < MAX_BUFFERED) ws.send(chunk);
        });
        muxer.on('ffmpegStderr', (d: Buffer) => log?.debug({ ffmpeg: d.toString().trim() }, 'preview ffmpeg'));
        muxer.stream.on('exit', (code, signal) => {
          exited();
          if (feed.stopped) return;
          feed.stopped = true;
          // The source went away: tell the viewers, and let the next one start afresh.
          log?.warn({ code, signal }, 'preview ffmpeg ended');
          this.pool.ended(key, feed);
          for (const ws of feed.viewers) ws.close(1011, 'preview source ended');
        });
      },
      (err: Error) => {
        exited();
        feed.stopped = true;
        log?.warn({ err: err.message }, 'preview: line URL unresolvable');
        this.pool.ended(key, feed);
        for (const ws of feed.viewers) ws.close(1011, err.message);
      },
    );
    return feed;
  }

  /** Kills the ffmpeg (SIGKILL if it ignores SIGTERM for 2 s) and closes any viewer left. */
  private stop(feed: Feed): void {
    feed.stopped = true;
    for (const ws of feed.viewers) ws.close(1001, 'preview stopped');
    const child = feed.muxer?.stream;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const hard = setTimeout(() => child.kill('SIGKILL'), 2000).unref();
    void feed.exited.then(() => clearTimeout(hard));
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError('bad_request', `preview path segment "${segment}" is not valid percent-encoding`);
  }
}
