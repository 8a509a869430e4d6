import { httpInputArgs, streamPackets } from '../ffprobe-stream.ts';
import { parsePlaylist, StalenessTracker, type MediaPlaylist } from '../hls-playlist.ts';
import type { Reader, ReaderSink, ReaderTiming } from './reader.ts';

const POLL_MIN_MS = 100;
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
function pollPlaylist(url: string, sink: ReaderSink): { stop(): void } {
  let stopped = false;
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
        end({ cause: 'exit', stderr: [`playlist: Server returned ${res.status}`], httpStatus: res.status });
        return;
      }
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
  };
}

export const hlsReader: Reader = {
  protocol: 'hls',
  timing: DEFAULT_TIMING,
  inputArgs: (target) => httpInputArgs(target),
  open(target, originalUrl, sink) {
    let ended = false;
    // Both halves may end the session; the line prober must hear about it once.
    const once: ReaderSink = {
      ...sink,
      ended: (end) => {
        if (ended) return;
        ended = true;
        sink.ended(end);
      },
    };
    const packets = streamPackets(this.inputArgs(target), target.url, once);
    const poller = pollPlaylist(originalUrl, once);
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
