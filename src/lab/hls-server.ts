import { readFile } from 'node:fs/promises';
import path from 'node:path';
import express, { type RequestHandler } from 'express';
import { errorMiddleware, HttpError, listen, notFound, type Listening } from '../http/index.ts';
import { log } from '../common/log.ts';
import { parseMediaPlaylist, type MediaPlaylist } from './hls-playlist.ts';
import { LOOPBACK } from './ports.ts';

export const PLAYLIST_NAME = 'index.m3u8';
const POLL_MS = 50;
/** Snapshots kept for the `delay` fault: it can rewind the playlist at most this far. */
const HISTORY_MS = 30_000;
const SAFE_NAME = /^[A-Za-z0-9_-]+$/;
const SEGMENT_NAME = /^[A-Za-z0-9_-]+\.ts$/;

export interface PlaylistSnapshot {
  atMs: number;
  text: string;
  playlist: MediaPlaylist;
}

interface Channel {
  dir: string;
  delayMs: number;
  snapshots: PlaylistSnapshot[];
  onSnapshot: (snapshot: PlaylistSnapshot) => void;
  /** What a client receives for a snapshot (the lab restamps PROGRAM-DATE-TIME). */
  render: (snapshot: PlaylistSnapshot) => string;
}

/**
 * Serves each line's HLS directory at /hls/<channel>/. Playlists are not read per request:
 * they are polled into timestamped snapshots, which makes three things possible: never
 * serving a half-written playlist, serving the playlist "as it was N ms ago" (latency
 * fault), and knowing exactly which playlist a client is being served (ground truth).
 */
export class HlsServer {
  private readonly channels = new Map<string, Channel>();
  private readonly app = express()
    .disable('x-powered-by')
    .get('/hls/:channel/:file', this.serveFile())
    .use(notFound, errorMiddleware(log.child({ component: 'lab-hls' })));
  private listening: Listening | undefined;
  private poller: NodeJS.Timeout | undefined;

  async start(port = 0): Promise<number> {
    this.listening = await listen(this.app, port, LOOPBACK);
    this.poller = setInterval(() => void this.poll(), POLL_MS);
    return this.listening.port;
  }

  addChannel(name: string, dir: string, onSnapshot: (snapshot: PlaylistSnapshot) => void, render = (s: PlaylistSnapshot) => s.text): void {
    if (!SAFE_NAME.test(name)) throw new Error(`invalid HLS channel name: ${name}`);
    this.channels.set(name, { dir, delayMs: 0, snapshots: [], onSnapshot, render });
  }

  setDelay(name: string, delayMs: number): void {
    this.channel(name).delayMs = delayMs;
  }

  /** The playlist a client requesting it right now receives (after the delay fault). */
  served(name: string, nowMs = Date.now()): PlaylistSnapshot | undefined {
    const channel = this.channel(name);
    const cutoff = nowMs - channel.delayMs;
    for (let i = channel.snapshots.length - 1; i >= 0; i--) {
      const snapshot = channel.snapshots[i];
      if (snapshot && snapshot.atMs <= cutoff) return snapshot;
    }
    return undefined;
  }

  async stop(): Promise<void> {
    clearInterval(this.poller);
    await this.listening?.close();
  }

  private channel(name: string): Channel {
    const channel = this.channels.get(name);
    if (!channel) throw new Error(`unknown HLS channel: ${name}`);
    return channel;
  }

  private async poll(): Promise<void> {
    const now = Date.now();
    await Promise.all(
      [...this.channels.values()].map(async (channel) => {
        const text = await readFile(path.join(channel.dir, PLAYLIST_NAME), 'utf8').catch(() => undefined);
        const playlist = text === undefined ? undefined : parseMediaPlaylist(text);
        if (!text || !playlist || channel.snapshots.at(-1)?.text === text) return;
        const snapshot = { atMs: now, text, playlist };
        channel.snapshots.push(snapshot);
        // Keep the newest snapshot older than the history window: it is still being served.
        while ((channel.snapshots[1]?.atMs ?? now) < now - HISTORY_MS) channel.snapshots.shift();
        channel.onSnapshot(snapshot);
      }),
    );
  }

  /**
   * GET /hls/<channel>/index.m3u8 answers the served snapshot; GET /hls/<channel>/<name>.ts streams
   * the segment file (with ranges). Names are checked against SEGMENT_NAME after decoding, so
   * nothing outside the channel's directory can be named (`..%2f` included).
   */
  private serveFile(): RequestHandler<{ channel: string; file: string }> {
    return (req, res, next) => {
      const { channel: name, file } = req.params;
      const channel = this.channels.get(name);
      if (!channel) throw new HttpError('not_found', `no HLS channel "${name}"`);
      if (file === PLAYLIST_NAME) {
        const snapshot = this.served(name);
        if (!snapshot) throw new HttpError('not_found', `HLS channel "${name}" has no playlist to serve yet`);
        res.set({ 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': 'no-cache' }).end(channel.render(snapshot));
        return;
      }
      if (!SEGMENT_NAME.test(file)) throw new HttpError('not_found', `HLS channel "${name}" serves ${PLAYLIST_NAME} and <name>.ts segments, not "${file}"`);
      res.sendFile(file, { root: channel.dir, headers: { 'content-type': 'video/mp2t' } }, (err?: Error & { status?: number; code?: string; syscall?: string }) => {
        // The client went away mid-transfer: nothing left to answer.
        if (!err || err.code === 'ECONNABORTED' || err.syscall === 'write') return;
        next(err.status === 404 ? new HttpError('not_found', `HLS channel "${name}" has no segment ${file}`) : err);
      });
    };
  }
}
