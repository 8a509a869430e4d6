import type { ProbeImpairment, Sample } from '../src/model/sample.ts';
import { redactUrls } from '../src/model/redact-url.ts';
import { log, type Logger } from '../src/common/log.ts';
import { backoffDelay, defaultBackoff, type BackoffOptions } from './backoff.ts';
import { classifyEnd, type SessionEnd } from './classify.ts';
import { decoderOptions, startDecoder, type DecodeSetting, type DecoderHandle, type DecoderOptions } from './decode/decoder.ts';
import type { DecodedEvent } from './decode/analyzer.ts';
import type { PacketEvent } from './events.ts';
import { LineLogPolicy, lineLogMessage } from './line-log-policy.ts';
import { readerFor } from './readers/registry.ts';
import type { Reader, ReaderSession, ReaderTiming } from './readers/reader.ts';
import { resolveUrl, UnresolvableHostError, type ResolvedUrl } from '../src/common/resolve-host.ts';
import { MetricsWindow } from './window.ts';
import { LineHealth, type ProbeHealthContext } from './health/line-health.ts';

export interface LineIdentity {
  probe: string;
  region: string;
  stream: string;
  line: string;
}

export interface LineProberOptions extends LineIdentity {
  url: string;
  onSample: (sample: Sample) => void;
  /** The probe's own health (thresholds, event-loop watch), shared by its lines. */
  health: ProbeHealthContext;
  /** Window length; default 1000 ms. */
  windowMs?: number;
  /** Run the decoding checks (freeze, A/V sync markers, content): a second process. */
  decode?: DecodeSetting;
  /** Shared per probe so seq is monotonic across all its lines. */
  nextSeq?: () => number;
  backoff?: BackoffOptions;
  logger?: Logger;
}

/** How often the watchdog looks at arrival times: bounds the extra detection delay. */
const WATCHDOG_TICK_MS = 100;
/** A decoder that died alone is restarted after this; the packet reader is unaffected. */
const DECODER_RESTART_MS = 2000;

/**
 * Seq starts at the wall clock in ms so a restarted probe keeps increasing (the hub dedups on
 * seq) as long as it emits fewer than 1000 samples per second.
 */
export function seqCounter(start = Date.now()): () => number {
  let next = start;
  return () => next++;
}

/**
 * When a window that is open at `now` ends: on the process's grid of `windowMs` (multiples of it on
 * performance.now()), so every line of a probe closes its window in the same turn and the uplink
 * sends their samples together (one message per shard over NATS). A window opened less than half
 * a window before a grid point runs to the next one: every window lasts 0.5–1.5 × `windowMs`, then
 * exactly `windowMs`.
 */
export function nextWindowEnd(now: number, windowMs: number): number {
  const end = Math.ceil(now / windowMs) * windowMs;
  return end - now < windowMs / 2 ? end + windowMs : end;
}

/**
 * Probes one (stream, line, region) continuously: one reader session at a time, a stall
 * watchdog (ffprobe does not exit when the publisher dies), reconnect with backoff, and a
 * Sample per window. A change to down, and a picture becoming frozen, are flushed at once as a
 * short window, so detection does not wait for the window to end.
 */
export class LineProber {
  private readonly reader: Reader;
  private readonly windowMs: number;
  private readonly logger: Logger;
  private readonly nextSeq: () => number;
  private readonly decoderOptions: DecoderOptions | undefined;
  private timing: ReaderTiming;
  private window: MetricsWindow;
  private readonly health: LineHealth;
  /** When the window timer is due: how late it fired is one of the probe's health readings. */
  private windowDueAt = 0;
  private lastWatchdogAt = 0;
  private readonly lineLog: LineLogPolicy;
  /** Of the current session, logged with "line up". */
  private startupMs: number | undefined;

  /** Bumped whenever a session ends: callbacks from older sessions are ignored. */
  private sessionId = 0;
  private session: ReaderSession | undefined;
  private decoder: DecoderHandle | undefined;
  private target: ResolvedUrl | undefined;
  private teardown: Promise<unknown> = Promise.resolve();
  private attemptStartedAt = 0;
  private lastVideoAt = 0;
  private sawVideo = false;
  private sawAudio = false;
  /** Newest media the server offers, wall ms (HLS): latency is taken against it per Sample. */
  private liveEdgeWallMs: number | undefined;
  /**
   * Failed sessions since the line was last up (the log policy's "line up": new media for a whole
   * window). A session that only replays what the probe had, or stalls at once, is one more
   * failure: the reconnect delay grows instead of starting over at the base.
   */
  private failures = 0;
  /**
   * False until the first attempt either connected or failed (startup timeout or a classified
   * error). Until then nothing is known about the line: its windows are not emitted, so a line
   * that is merely starting up does not show as down for a window and open a blip incident.
   */
  private settled = false;
  private stopped = false;
  private tickTimer: NodeJS.Timeout | undefined;
  private watchdogTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: LineProberOptions) {
    this.reader = readerFor(opts.url);
    this.windowMs = opts.windowMs ?? 1000;
    this.logger = (opts.logger ?? log.child({ component: 'probe' })).child({ region: opts.region, stream: opts.stream, line: opts.line, protocol: this.reader.protocol });
    this.nextSeq = opts.nextSeq ?? seqCounter();
    this.timing = { ...this.reader.timing };
    const now = performance.now();
    this.window = new MetricsWindow({ stallThresholdMs: this.timing.stallThresholdMs }, now);
    this.health = new LineHealth(opts.health, now);
    this.decoderOptions = decoderOptions(opts.decode);
    this.lineLog = new LineLogPolicy({ now: () => performance.now(), windowMs: this.windowMs });
  }

  start(): void {
    this.lastWatchdogAt = performance.now();
    this.scheduleTick();
    this.watchdogTimer = setInterval(() => this.watchdog(), WATCHDOG_TICK_MS);
    this.reconnect();
  }

  /** connect() never rejects by design; this guard keeps a bug there from becoming an unhandled rejection. */
  private reconnect(): void {
    this.connect().catch((err: unknown) => {
      this.logger.error({ err }, 'connect failed unexpectedly');
      this.fail(this.sessionId, { cause: 'exit', stderr: [String(err)] });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.sessionId++;
    clearTimeout(this.tickTimer);
    clearInterval(this.watchdogTimer);
    clearTimeout(this.retryTimer);
    await Promise.all([this.teardown, this.session?.close(), this.decoder?.close()]);
    this.session = undefined;
    this.decoder = undefined;
  }

  private scheduleTick(): void {
    clearTimeout(this.tickTimer);
    const now = performance.now();
    this.windowDueAt = nextWindowEnd(now, this.windowMs);
    this.tickTimer = setTimeout(() => this.emit(), this.windowDueAt - now);
  }

  private emit(): void {
    const now = performance.now();
    if (!this.settled) {
      // First attempt still connecting: drop the window (nothing in it is a measurement yet).
      this.judgeHealth(now);
      this.window.close(now);
      this.scheduleTick();
      return;
    }
    if (this.liveEdgeWallMs !== undefined) this.window.latencyMs(Date.now() - this.liveEdgeWallMs);
    const impaired = this.judgeHealth(now);
    const metrics = this.window.close(now);
    const { probe, region, stream, line } = this.opts;
    const sample: Sample = { probe, region, stream, line, seq: this.nextSeq(), t: Date.now(), ...metrics, ...(impaired !== undefined && { impaired }) };
    this.scheduleTick();
    const entry = this.lineLog.windowClosed(metrics.connected && metrics.fps > 0);
    if (entry?.kind === 'up') {
      this.failures = 0;
      this.logger.info({ startupMs: this.startupMs }, lineLogMessage(entry));
    } else if (entry) {
      this.logger.warn(lineLogMessage(entry));
    }
    try {
      this.opts.onSample(sample);
    } catch (err) {
      // A consumer bug must not stop the probe loop.
      this.logger.error({ err }, 'onSample threw');
    }
  }

  /** Before the window closes: the window knows how far back its measurements reach. */
  private judgeHealth(now: number): ProbeImpairment | undefined {
    const pids = [...(this.session?.pids() ?? []), ...(this.decoder?.pids() ?? [])];
    return this.health.close({ now, measuredSince: this.window.measuredSince, timerLateMs: Math.max(0, now - this.windowDueAt), pids }).impaired;
  }

  private async connect(): Promise<void> {
    await this.teardown;
    if (this.stopped) return;
    const id = ++this.sessionId;
    this.liveEdgeWallMs = undefined;
    this.attemptStartedAt = performance.now();
    this.sawVideo = false;
    this.sawAudio = false;
    this.window.connecting(this.attemptStartedAt);
    try {
      this.target = await resolveUrl(this.opts.url);
    } catch (err) {
      const detail = err instanceof UnresolvableHostError ? `Failed to resolve ${err.host}: ${err.code}` : String(err);
      this.fail(id, { cause: 'exit', stderr: [detail] });
      return;
    }
    if (id !== this.sessionId) return;
    this.session = this.reader.open(this.target, this.opts.url, {
      packet: (p) => this.onPacket(id, p),
      resolution: (r) => id === this.sessionId && this.window.resolution(r.width, r.height),
      liveEdge: (wallMs) => {
        if (id === this.sessionId) this.liveEdgeWallMs = wallMs;
      },
      timing: (t) => {
        this.timing = { ...this.timing, ...t };
        this.window.setStallThreshold(this.timing.stallThresholdMs);
        if (this.timing.replayWindowMs !== undefined) this.window.setReplayWindow(this.timing.replayWindowMs);
      },
      restarted: (detail) => {
        if (id === this.sessionId) this.logger.info({ detail: redactUrls(detail) }, 'reader restarted');
      },
      ended: (end) => this.fail(id, end),
    });
  }

  private onPacket(id: number, p: PacketEvent): void {
    if (id !== this.sessionId) return;
    if (p.kind === 'video') {
      this.sawVideo = true;
      this.lastVideoAt = p.at;
    } else {
      this.sawAudio = true;
    }
    const wasUp = this.window.isConnected;
    this.window.packet(p);
    if (!wasUp && this.window.isConnected) this.onUp(id, p.at);
  }

  private onUp(id: number, at: number): void {
    this.settled = true;
    this.startupMs = Math.round(at - this.attemptStartedAt);
    this.lineLog.connected();
    if (this.decoderOptions) this.startDecoder(id);
  }

  private startDecoder(id: number): void {
    if (id !== this.sessionId || !this.target || !this.decoderOptions) return;
    if (this.decoderOptions.scope.content) this.window.checksContent();
    this.decoder = startDecoder(
      this.reader.inputArgs(this.target),
      this.target.url,
      this.decoderOptions,
      (e) => {
        if (id === this.sessionId) this.record(e);
      },
      (stderr) => {
        if (id !== this.sessionId) return;
        this.logger.warn({ stderr: redactUrls(stderr.at(-1) ?? '') }, 'decoder exited, restarting');
        this.window.contentLost();
        this.retryTimer = setTimeout(() => this.startDecoder(id), DECODER_RESTART_MS);
      },
    );
  }

  private record(e: DecodedEvent): void {
    switch (e.type) {
      case 'freeze':
        this.window.freeze(e.ms);
        // Like a change to down: the window goes now, the detector need not wait for its end.
        if (e.onset) this.emit();
        return;
      case 'sync':
        return this.window.avSync(e.ms);
      case 'black':
        return this.window.blackTime(e.ms);
      case 'silence':
        return this.window.silenceTime(e.ms);
      case 'loudness':
        return this.window.loudnessLufs(e.lufs);
      case 'truePeak':
        return this.window.truePeakDbtp(e.dbtp);
    }
  }

  private watchdog(): void {
    const now = performance.now();
    // A look that comes late (the probe was stopped or starved) counts silence only up to a tick
    // after the previous look: what arrived meanwhile is still unread in the pipe, and the line
    // must not be called dead for the probe's own absence.
    const watchedUntil = Math.min(now, this.lastWatchdogAt + 2 * WATCHDOG_TICK_MS);
    this.lastWatchdogAt = now;
    if (!this.session) return;
    // A session that had video, new or only a replay, is dead once video stops for watchdogMs.
    if (this.sawVideo && watchedUntil - this.lastVideoAt > this.timing.watchdogMs) {
      this.fail(this.sessionId, { cause: 'watchdog', stderr: [] });
    } else if (!this.window.isConnected && watchedUntil - this.attemptStartedAt > this.timing.startupTimeoutMs) {
      this.fail(this.sessionId, { cause: 'startup-timeout', stderr: [] });
    }
  }

  private fail(id: number, end: Omit<SessionEnd, 'sawVideo' | 'sawAudio'>): void {
    if (id !== this.sessionId || this.stopped) return;
    this.sessionId++;
    this.settled = true;
    const error = classifyEnd({ ...end, sawVideo: this.sawVideo, sawAudio: this.sawAudio });
    const wasUp = this.window.isConnected;
    this.window.disconnected(error);
    if (wasUp) this.emit();
    const session = this.session;
    const decoder = this.decoder;
    this.session = undefined;
    this.decoder = undefined;
    clearTimeout(this.retryTimer);
    this.teardown = Promise.all([session?.close(), decoder?.close()]);
    const delayMs = backoffDelay(this.failures++, this.opts.backoff ?? defaultBackoff);
    const last = end.stderr.at(-1);
    const detail = last === undefined ? undefined : redactUrls(last);
    this.logger.debug({ error, cause: end.cause, detail, code: end.code, signal: end.signal, delayMs }, 'session ended, reconnecting');
    // Every attempt is at debug level; the policy lets "line down" through once per outage.
    const entry = this.lineLog.failed(error);
    if (entry) this.logger.warn({ detail }, lineLogMessage(entry));
    this.retryTimer = setTimeout(() => this.reconnect(), delayMs);
  }
}
