import type { SessionEnd } from '../classify.ts';
import type { PacketEvent, ResolutionEvent } from '../events.ts';
import type { ResolvedUrl } from '../../src/common/resolve-host.ts';

export type Protocol = 'rtmp' | 'http-flv' | 'hls' | 'rtsp';

/** Per-protocol timing: how long silence may last before it is a stall, or the line is down. */
export interface ReaderTiming {
  /** Gap between video arrivals that counts as stall. */
  stallThresholdMs: number;
  /** No video for this long while connected → the session is dead (ffprobe does not exit). */
  watchdogMs: number;
  /** No first keyframe within this → give up the attempt. */
  startupTimeoutMs: number;
  /**
   * How far back, in stream time, what a server replays to a reconnecting reader can reach (HLS:
   * the playlist's length); absent: a GOP cache's reach (window.ts).
   */
  replayWindowMs?: number;
}

/** Where a reader session reports; every callback is stamped with arrival time. */
export interface ReaderSink {
  packet(p: PacketEvent): void;
  resolution(r: ResolutionEvent): void;
  /**
   * Wall-clock time (unix ms) of the newest media the server offers (HLS: PROGRAM-DATE-TIME +
   * duration of the last segment). Live latency is now minus this, taken when a Sample is made.
   */
  liveEdge(wallMs: number): void;
  /** The reader learnt better timing for this stream (HLS target duration). */
  timing(t: Partial<ReaderTiming>): void;
  /** The reader started its process again within the session, the line still up (HLS: ffprobe gave up on a playlist that is live); `detail` says why. */
  restarted(detail: string): void;
  /** The session ended by itself; called at most once. */
  ended(end: Omit<SessionEnd, 'sawVideo' | 'sawAudio'>): void;
}

export interface ReaderSession {
  /** Kills the session's processes and waits for them; idempotent. */
  close(): Promise<void>;
  /** Its processes running now (the probe's health reads how long they wait for a CPU). */
  pids(): number[];
}

/** One protocol: how to open a continuous packet reader for a URL. */
export interface Reader {
  readonly protocol: Protocol;
  readonly timing: ReaderTiming;
  /** Input options for ffmpeg/ffprobe placed before `-i` (shared with the decode checks). */
  inputArgs(target: ResolvedUrl): string[];
  open(target: ResolvedUrl, originalUrl: string, sink: ReaderSink): ReaderSession;
}
