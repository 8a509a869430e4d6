import type { ProbeError, Sample } from '../src/model/sample.ts';
import type { PacketEvent } from './events.ts';

/** The measured part of a Sample; identity, seq and t are added by the line prober. */
export type WindowMetrics = Omit<Sample, 'probe' | 'region' | 'stream' | 'line' | 'seq' | 't'>;

export interface WindowOptions {
  /** A gap between video arrivals longer than this counts as stall (whole gap, not the excess). */
  stallThresholdMs: number;
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * How far back a server's cached GOP can reach; farther back is a restarted publisher. A reader
 * that knows better sets its own (HLS: the playlist's length).
 */
const REPLAY_WINDOW_MS = 10_000;
/** A server's replay of its cache arrives in one burst right after (re)connecting. */
const REPLAY_BURST_MS = 1000;

const round1 = (n: number): number => Math.round(n * 10) / 10;

/**
 * A connected window shorter than this (sent early: the picture just froze) holds a frame or two:
 * a frame rate or bitrate over it is noise (one frame in 30 ms reads 33 fps). It reports the rates
 * of the window before it instead.
 */
const MIN_RATE_WINDOW_MS = 250;

/**
 * Time in a state found by the decoder (frozen, black, silent). A run is credited once it is long
 * enough, so what arrives may exceed the window: the excess carries over to the next window and
 * a run's total across windows is kept.
 */
class CarriedTime {
  private ms = 0;

  add(ms: number): void {
    this.ms += ms;
  }

  take(windowMs: number): number {
    const taken = Math.min(windowMs, this.ms);
    this.ms -= taken;
    return Math.round(taken);
  }
}

/**
 * Accumulates arrival events and closes them into one window of metrics. Pure: every method
 * takes the monotonic time of the event, so tests replay timelines without I/O.
 *
 * Session model: `connecting` starts a reader session; it is connected (and reports startupMs,
 * connect → now) at its first new video frame from a keyframe on: a replay of what the probe
 * already had (a server's GOP cache, the segments of a playlist that stopped) is not the line
 * coming back. `disconnected` ends it with a classified error that stays on every window until
 * new media flows again, so an operator always sees why a line is down.
 */
export class MetricsWindow {
  private stallThresholdMs: number;
  private replayWindowMs = REPLAY_WINDOW_MS;
  private start: number;

  // Per window.
  private videoPackets = 0;
  /** pts of the first and last new video frame of the window (stream clock, not arrival). */
  private firstPts: number | undefined;
  private lastPts: number | undefined;
  private bytes = 0;
  private maxGap = 0;
  private stall = 0;
  private readonly frozen = new CarriedTime();
  private readonly black = new CarriedTime();
  private readonly silent = new CarriedTime();
  private loudness: number | undefined;
  private truePeak: number | undefined;
  private startup: number | undefined;
  private skews: number[] = [];
  private sync: number | undefined;
  private latency: number | undefined;
  /** Where the oldest media gap closed in this window began. */
  private oldestGapFrom: number | undefined;

  // Across windows.
  private connected = false;
  /** The last connected window's rates, for a window too short to measure its own. */
  private lastRates: { fps: number; bitrateBps: number } | undefined;
  private error: ProbeError | undefined;
  private connectStartedAt: number | undefined;
  /** Kept across reconnects: an outage is no-media time, so stall keeps counting through it. */
  private lastVideoAt: number | undefined;
  private lastVideoPts: number | undefined;
  /** Newest video pts ever received, kept across reconnects to tell replayed media from new. */
  private newestVideoPts: number | undefined;
  private sessionFirstVideoAt: number | undefined;
  /** The session had a keyframe: from it on, its video is decodable. */
  private sessionKeyed = false;
  private lastAudioPts: number | undefined;
  private width: number | undefined;
  private height: number | undefined;
  /** A decoder measures black and silence on this line: its windows report them, 0 included. */
  private contentChecked = false;
  /** The decoder was gone for some of this window (since contentLost): it says nothing of black or silence. */
  private contentGap = false;

  constructor(opts: WindowOptions, now: number) {
    this.stallThresholdMs = opts.stallThresholdMs;
    this.start = now;
  }

  /** HLS learns its segment duration only after the first playlist fetch. */
  setStallThreshold(ms: number): void {
    this.stallThresholdMs = ms;
  }

  /** How far back a reconnect's replay can reach (ReaderTiming.replayWindowMs). */
  setReplayWindow(ms: number): void {
    this.replayWindowMs = ms;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /**
   * The earliest instant this window's measurements depend on: its start, or the start of the
   * oldest media gap it closed by new media (that gap is in maxGapMs, and the media that closed it
   * may have waited in a pipe while the probe could not read), or the last frame before the line
   * was found dead (that verdict rests on the silence since). Another gap still open at the close
   * is not counted: nothing was waiting, or it would have been read. The probe's health looks at
   * its own availability over all of it.
   */
  get measuredSince(): number {
    return Math.min(this.start, this.oldestGapFrom ?? this.start);
  }

  connecting(now: number): void {
    this.connectStartedAt = now;
    this.lastRates = undefined;
    this.sessionFirstVideoAt = undefined;
    this.sessionKeyed = false;
    this.lastVideoPts = undefined;
    this.lastAudioPts = undefined;
    this.width = undefined;
    this.height = undefined;
  }

  packet(p: PacketEvent): void {
    this.bytes += p.size;
    if (p.kind === 'audio') {
      if (p.ptsMs !== undefined) this.lastAudioPts = p.ptsMs;
    } else {
      if (!this.sessionKeyed) {
        // Wait for a keyframe: before it nothing is decodable, so the line is not up yet.
        if (!p.key) return;
        this.sessionKeyed = true;
      }
      if (p.ptsMs !== undefined) this.lastVideoPts = p.ptsMs;
      if (this.isReplay(p.ptsMs, p.at)) return;
      if (!this.connected) {
        this.connected = true;
        this.error = undefined;
        if (this.connectStartedAt !== undefined) this.startup = p.at - this.connectStartedAt;
        this.connectStartedAt = undefined;
      }
      this.videoPackets++;
      if (p.ptsMs !== undefined) {
        this.firstPts ??= p.ptsMs;
        this.lastPts = p.ptsMs;
      }
      if (this.lastVideoAt !== undefined) {
        // Gaps close in order: the first one of the window is the oldest.
        this.oldestGapFrom ??= this.lastVideoAt;
        this.gap(this.lastVideoAt, p.at);
      }
      this.lastVideoAt = p.at;
    }
    if (this.connected && this.lastAudioPts !== undefined && this.lastVideoPts !== undefined && p.kind === 'audio') {
      this.skews.push(this.lastAudioPts - this.lastVideoPts);
    }
  }

  resolution(width: number, height: number): void {
    this.width = width;
    this.height = height;
  }

  /** Frozen-picture time found by the decoder (see decode/freeze.ts). */
  freeze(ms: number): void {
    this.frozen.add(ms);
  }

  /** From now on a decoder measures black and silence (see decode/black.ts, decode/silence.ts). */
  checksContent(): void {
    this.contentChecked = true;
  }

  /**
   * The decoder exited (it is restarted shortly): the windows it missed, even in part, leave black
   * and silence out — a 0 would say "checked, picture and sound fine" of time nobody looked at.
   */
  contentLost(): void {
    this.contentChecked = false;
    this.contentGap = true;
  }

  blackTime(ms: number): void {
    this.black.add(ms);
  }

  silenceTime(ms: number): void {
    this.silent.add(ms);
  }

  /** Short-term loudness: the newest reading stands for the window's end. */
  loudnessLufs(lufs: number): void {
    this.loudness = lufs;
  }

  truePeakDbtp(dbtp: number): void {
    this.truePeak = Math.max(this.truePeak ?? -Infinity, dbtp);
  }

  avSync(ms: number): void {
    this.sync = ms;
  }

  latencyMs(ms: number): void {
    this.latency = ms;
  }

  disconnected(error: ProbeError): void {
    // Ending a live line judges the silence since its last frame: a probe (or a child reading the
    // stream) held back during it may have left media unread, and the line was not dead.
    if (this.connected && this.lastVideoAt !== undefined) this.oldestGapFrom ??= this.lastVideoAt;
    this.connected = false;
    this.error = error;
    this.connectStartedAt = undefined;
  }

  /**
   * Right after a reconnect, servers replay what they have cached — node-media-server its last
   * GOP, an HLS server the last segments: frames the probe already had. They are not new media:
   * the line stays disconnected and a stalled publisher keeps showing as one stall across
   * reconnects instead of being cut into pieces. Only that first burst can be a replay:
   * older pts arriving later are a new timeline (a restarted publisher), and so are pts far behind.
   */
  private isReplay(ptsMs: number | undefined, at: number): boolean {
    if (ptsMs === undefined) return false;
    this.sessionFirstVideoAt ??= at;
    const newest = this.newestVideoPts;
    const inBurst = at - this.sessionFirstVideoAt <= REPLAY_BURST_MS;
    if (inBurst && newest !== undefined && ptsMs <= newest && ptsMs > newest - this.replayWindowMs) return true;
    this.newestVideoPts = ptsMs;
    return false;
  }

  /**
   * Frames per second of stream time: n frames span n − 1 frame intervals of pts. Counting
   * arrivals per window instead moves frames across window edges with network and scheduling
   * jitter (measured 23–27 for a steady 25 fps under load); stalls are reported by stallMs.
   * Falls back to arrivals per window when pts are missing or jump (a restarted publisher).
   */
  private frameRate(windowMs: number): number {
    const n = this.videoPackets;
    const span = this.firstPts !== undefined && this.lastPts !== undefined ? this.lastPts - this.firstPts : 0;
    if (n < 3 || span <= 0 || span > 2 * windowMs) return (n * 1000) / windowMs;
    return ((n - 1) * 1000) / span;
  }

  /** Adds the part of the gap [from, to] that lies in this window, if the gap is a stall. */
  private gap(from: number, to: number): void {
    const length = to - from;
    this.maxGap = Math.max(this.maxGap, length);
    if (length > this.stallThresholdMs) this.stall += to - Math.max(from, this.start);
  }

  /** Closes the window at `now` (normally start + windowMs; earlier when flushing a state change). */
  close(now: number): WindowMetrics {
    const windowMs = Math.max(1, Math.round(now - this.start));
    // The gap still open at window end counts too: a dead stream must show it now, not later.
    if (this.lastVideoAt !== undefined) this.gap(this.lastVideoAt, now);
    const seconds = windowMs / 1000;
    const skew = median(this.skews);
    // Black and silence are facts about the picture and sound a connected line shows; silence
    // only when the line carries audio.
    const content = this.contentChecked && !this.contentGap && this.connected;
    const blackMs = this.black.take(windowMs);
    const silenceMs = this.silent.take(windowMs);
    const rates = this.connected && windowMs < MIN_RATE_WINDOW_MS && this.lastRates ? this.lastRates : { fps: round1(this.frameRate(windowMs)), bitrateBps: Math.round((this.bytes * 8) / seconds) };
    if (this.connected) this.lastRates = rates;
    const metrics: WindowMetrics = {
      windowMs,
      connected: this.connected,
      fps: rates.fps,
      bitrateBps: rates.bitrateBps,
      maxGapMs: Math.round(this.maxGap),
      stallMs: Math.round(Math.min(windowMs, this.stall)),
      freezeMs: this.frozen.take(windowMs),
      ...(this.startup !== undefined && { startupMs: Math.round(this.startup) }),
      ...(this.latency !== undefined && { latencyMs: Math.round(this.latency) }),
      ...(this.connected && this.width !== undefined && this.height !== undefined && { width: this.width, height: this.height }),
      ...(skew !== undefined && { avSkewMs: Math.round(skew) }),
      ...(this.sync !== undefined && { avSyncMs: Math.round(this.sync) }),
      ...(this.error !== undefined && { error: this.error }),
      ...(content && { blackMs }),
      ...(content && this.lastAudioPts !== undefined && { silenceMs }),
      ...(this.loudness !== undefined && { loudnessLufs: round1(this.loudness) }),
      ...(this.truePeak !== undefined && { truePeakDbtp: round1(this.truePeak) }),
    };
    this.start = now;
    // Still gone: the next window misses it too. Back: that window is whole.
    if (this.contentChecked) this.contentGap = false;
    this.videoPackets = 0;
    this.firstPts = this.lastPts = undefined;
    this.bytes = 0;
    this.maxGap = 0;
    this.stall = 0;
    this.loudness = undefined;
    this.truePeak = undefined;
    this.startup = undefined;
    this.skews = [];
    this.sync = undefined;
    this.latency = undefined;
    this.oldestGapFrom = undefined;
    return metrics;
  }
}
