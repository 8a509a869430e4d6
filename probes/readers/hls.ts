import { httpInputArgs, streamPackets } from '../ffprobe-stream.ts';
import { parsePlaylist, StalenessTracker, type MediaPlaylist } from '../hls-playlist.ts';
import type { PacketEvent } from '../events.ts';
import type { Reader, ReaderSession, ReaderSink, ReaderTiming } from './reader.ts';

const POLL_MIN_MS = 100;
/**
 * Consecutive failed playlist requests (an HTTP error status) before the session ends: one failed
 * request is a hiccup a player retries (a CDN edge's 503, a 404 while the origin swaps files), and
 * it took the line down with a false page. Failed polls are retried at POLL_MIN_MS: a playlist that
 * is really gone ends the session within a few hundred ms.
 */
const FAILED_POLLS_TO_END = 3;
const DEFAULT_TIMING: ReaderTiming = { stallThresholdMs: 3000, watchdogMs: 6000, startupTimeoutMs: 10_000 };

/**
 * Segments arrive in bursts one target duration apart, so "no media for 250 ms" is normal
 * here: stall and watchdog scale with TARGETDURATION once the playlist has been read. A
 * reconnect to a playlist that stopped gets all its segments again: a replay reaches back the
 * playlist's length (at most a target duration per segment: 6 × 6 s segments, 36 s), plus a
 * segment for one that left the playlist in between.
 */
export function hlsTiming(p: Pick<MediaPlaylist, 'targetDurationS' | 'segmentCount'>): ReaderTiming {
  const td = Math.max(1, p.targetDurationS) * 1000;
  return { stallThresholdMs: 1.5 * td, watchdogMs: 3 * td, startupTimeoutMs: Math.max(DEFAULT_TIMING.startupTimeoutMs, 3 * td), replayWindowMs: (p.segmentCount + 1) * td };
}

/**
 * Polls the playlist ourselves (ffprobe does not expose PROGRAM-DATE-TIME per packet and hangs
 * on a stale playlist) for live latency and for staleness, the HLS "publisher died" signal.
 */
function pollPlaylist(url: string, sink: ReaderSink): { stop(): void; live(): boolean } {
  let stopped = false;
  let failedPolls = 0;
  /** The last playlist read had no ENDLIST: the stream is live, not finished. */
  let live = false;
  let timer: NodeJS.Timeout | undefined;
  let mediaUrl = url;
  let targetDurationS: number | undefined;
  let segmentCount: number | undefined;
  const staleness = new StalenessTracker();
  let lastIndex: number | undefined;
  let advanced = false;
  let lastWait = 0;
  const abort = new AbortController();

  const schedule = (ms: number): void => {
    if (!stopped) timer = setTimeout(() => void poll(), ms);
  };
  const end = (end: Parameters<ReaderSink['ended']>[0]): void => {
    stopped = true;
    sink.ended(end);
  };
  const onMedia = (p: MediaPlaylist): void => {
    if (p.targetDurationS !== targetDurationS || p.segmentCount !== segmentCount) {
      targetDurationS = p.targetDurationS;
      segmentCount = p.segmentCount;
      sink.timing(hlsTiming(p));
    }
    live = !p.endList;
    if (p.lastSegmentEndMs !== undefined) sink.liveEdge(p.lastSegmentEndMs);
    const index = p.mediaSequence + p.segmentCount;
    advanced = index !== lastIndex;
    lastIndex = index;
    if (staleness.observe(performance.now(), p)) {
      end({ cause: 'stale', stderr: [`playlist not advancing for > 3 × ${p.targetDurationS} s`] });
    }
  };
  const poll = async (): Promise<void> => {
    try {
      const res = await fetch(mediaUrl, { signal: abort.signal, cache: 'no-store' });
      if (!res.ok) {
        await res.body?.cancel();
        if (++failedPolls >= FAILED_POLLS_TO_END) end({ cause: 'exit', stderr: [`playlist: Server returned ${res.status}`], httpStatus: res.status });
        else schedule(POLL_MIN_MS);
        return;
      }
      failedPolls = 0;
      const playlist = parsePlaylist(await res.text());
      if (playlist?.type === 'master') {
        mediaUrl = new URL(playlist.variantUri, mediaUrl).toString();
        schedule(0);
        return;
      }
      if (playlist) onMedia(playlist.media);
    } catch {
      // Transport errors are ffprobe's to report (it classifies them from its stderr): keep
      // polling unless we were stopped.
      if (stopped) return;
    }
    // A player reloads once per target duration, so its view of the live edge can be a whole
    // segment old. The probe sleeps until shortly before the next segment is due, then polls
    // quickly until it appears: the live edge (and latency) is tracked to within ~POLL_MIN_MS.
    // The long sleep is taken only when the previous poll was a short one, i.e. the new segment
    // is known to have appeared within POLL_MIN_MS: otherwise the phase is unknown (start, or
    // the server's cadence shifted) and short polls find it again within one segment.
    const segmentMs = (targetDurationS ?? 2) * 1000;
    const next = advanced && lastWait === POLL_MIN_MS ? Math.max(POLL_MIN_MS, segmentMs - 2 * POLL_MIN_MS) : POLL_MIN_MS;
    lastWait = next;
    schedule(next);
  };
  schedule(0);
  return {
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      abort.abort();
    },
    live: () => live,
  };
}

/**
 * The packets a restarted ffprobe reads again: it starts at the playlist's last segment, which its
 * predecessor had mostly or wholly delivered. Per kind, packets up to the newest pts delivered are
 * dropped until a newer one comes; from then on, everything passes (B-frames' pts are not
 * monotonic in decode order). Pts far behind the newest (farther than the playlist reaches) are a
 * new timeline, a restarted publisher: they pass.
 */
export class RedeliveryFilter {
  private readonly newest = new Map<PacketEvent['kind'], number>();
  private readonly catchingUp = new Set<PacketEvent['kind']>();

  constructor(private readonly reachMs: () => number) {}

  /** A new reader process starts: what it delivers again is dropped. */
  restarted(): void {
    for (const kind of this.newest.keys()) this.catchingUp.add(kind);
  }

  /** Whether the packet is new media (and remember it). */
  pass(p: PacketEvent): boolean {
    if (p.ptsMs === undefined) return true;
    const newest = this.newest.get(p.kind);
    const behind = newest !== undefined && p.ptsMs <= newest;
    const newTimeline = newest !== undefined && p.ptsMs <= newest - this.reachMs();
    if (behind && !newTimeline && this.catchingUp.has(p.kind)) return false;
    this.catchingUp.delete(p.kind);
    if (!behind || newTimeline) this.newest.set(p.kind, p.ptsMs);
    return true;
  }
}

/** ffprobe exited by itself with status 0 (not killed, no error). */
function isCleanExit(end: Parameters<ReaderSink['ended']>[0]): boolean {
  return end.cause === 'exit' && end.code === 0 && !end.signal;
}

/**
 * ffprobe reading packets, and our own playlist polls beside it. ffprobe ends a live HLS input,
 * exiting cleanly, when a playlist reload fails (FFmpeg 4's hls demuxer retries once, on a new
 * connection): an edge's 503s for a moment, a reset connection. Seen here once in 3 minutes across
 * 4 readers of a healthy local stream, and in CI as a false P1. A player retries; so does the
 * reader: while the playlist is live (no ENDLIST), an ffprobe that exits cleanly after delivering
 * new media is started again at the live edge, and the packets it reads twice are dropped. A line
 * that is really gone fails the new ffprobe's first request, which ends the session with that
 * error (refused, not-found…).
 */
export const hlsReader: Reader = {
  protocol: 'hls',
  timing: DEFAULT_TIMING,
  inputArgs: (target) => httpInputArgs(target),
  open(target, originalUrl, sink) {
    let ended = false;
    /** How far back a restarted ffprobe can read again: the playlist's reach (hlsTiming). */
    let reachMs = 0;
    const redelivered = new RedeliveryFilter(() => reachMs);
    // Both halves may end the session; the line prober must hear about it once.
    const once: ReaderSink = {
      ...sink,
      timing: (t) => {
        if (t.replayWindowMs !== undefined) reachMs = t.replayWindowMs;
        sink.timing(t);
      },
      ended: (end) => {
        if (ended) return;
        ended = true;
        sink.ended(end);
      },
    };
    const poller = pollPlaylist(originalUrl, once);
    const read = (args: readonly string[]): ReaderSession => {
      let delivered = false;
      return streamPackets(args, target.url, {
        ...once,
        packet: (p) => {
          if (!redelivered.pass(p)) return;
          delivered = true;
          once.packet(p);
        },
        ended: (end) => {
          if (ended || !(isCleanExit(end) && delivered && poller.live())) return once.ended(end);
          redelivered.restarted();
          packets = read([...this.inputArgs(target), '-live_start_index', '-1']);
          sink.restarted(`ffprobe exited on a live playlist (a failed playlist reload)${end.stderr.length > 0 ? `: ${end.stderr.at(-1)}` : ''}`);
        },
      });
    };
    let packets = read(this.inputArgs(target));
    return {
      close: async () => {
        ended = true;
        poller.stop();
        await packets.close();
      },
      pids: () => packets.pids(),
    };
  },
};
