import type { LineName } from './fault-schema.ts';
import { Publisher } from './publisher.ts';
import { avShiftCommand, blackCommand, DEFAULT_ENCODING, freezeCommand, levelCommand, type Encoding, type PublisherOutput, type Scene } from './publisher-args.ts';
import type { StreamClock } from './stream-clock.ts';

/** Thrown when a fault does not fit the line's current state (e.g. pausing a killed line). */
export class LineStateError extends Error {}

/** What the picture and sound show, changed at run time (no restart) and carried over a restart. */
export interface ContentState {
  black: boolean;
  muted: boolean;
  loud: boolean;
}

const CLEAN: ContentState = { black: false, muted: false, loud: false };
/**
 * How far ahead of now a content change is scheduled, in stream time: beyond the frames the
 * publisher's graph has already made (a few, ahead of `realtime`) and the command's round trip.
 * A change asked for at a given time is never scheduled closer than the minimum.
 */
export const CONTENT_LEAD_MS = 300;
const MIN_CONTENT_LEAD_MS = 100;

/**
 * One publishing line (primary or backup) of one stream: its publisher process across
 * kills and restarts, and the settings a restart must carry over (encoding, A/V shift, black
 * picture, sound level). Methods return the wall time at which their effect was actually applied.
 */
export class Line {
  private publisher: Publisher | undefined;
  private encoding: Encoding = DEFAULT_ENCODING;
  private avShiftMs = 0;
  private content: ContentState = CLEAN;
  private paused = false;

  constructor(
    readonly stream: string,
    readonly name: LineName,
    private readonly outputs: readonly PublisherOutput[],
    private readonly scene: Scene = 'test',
  ) {}

  get key(): string {
    return `${this.stream}-${this.name}`;
  }

  get running(): boolean {
    return this.publisher?.running ?? false;
  }

  get currentFps(): number {
    return this.encoding.fps;
  }

  get currentEncoding(): Encoding {
    return this.encoding;
  }

  get currentContent(): ContentState {
    return this.content;
  }

  get avShift(): number {
    return this.avShiftMs;
  }

  get clock(): StreamClock | undefined {
    return this.publisher?.clock;
  }

  get pid(): number | undefined {
    return this.running ? this.publisher?.pid : undefined;
  }

  async start(): Promise<number> {
    if (this.running) throw new LineStateError(`${this.key} is already publishing`);
    const publisher = new Publisher(this.key, this.encoding, this.scene, this.outputs);
    this.publisher = publisher;
    this.paused = false;
    const startedAt = publisher.startedAtMs;
    if (this.avShiftMs !== 0) await publisher.command(avShiftCommand(this.avShiftMs));
    if (this.content.black) await publisher.command(blackCommand(true));
    if (this.content.muted || this.content.loud) await publisher.command(levelCommand(CLEAN, this.content));
    return startedAt;
  }

  /** Resolves when the current publisher has started sending media. */
  ready(): Promise<void> {
    return this.publisher?.ready() ?? Promise.reject(new Error(`${this.key} has no publisher`));
  }

  /** Works on a paused line too: SIGKILL needs no cooperation from a stopped process. */
  async kill(): Promise<number> {
    const publisher = this.publisher;
    if (!publisher?.running) throw new LineStateError(`${this.key} is not publishing`);
    this.paused = false;
    const at = Date.now();
    await publisher.kill();
    return at;
  }

  pause(): number {
    const publisher = this.requireRunning();
    if (this.paused) throw new LineStateError(`${this.key} is already paused`);
    publisher.pause();
    this.paused = true;
    return Date.now();
  }

  resume(): number {
    if (this.paused) this.publisher?.resume();
    this.paused = false;
    return Date.now();
  }

  freeze(frozen: boolean): Promise<number> {
    return this.requireRunning().command(freezeCommand(frozen));
  }

  async setAvShift(audioLeadMs: number): Promise<number> {
    const at = await this.requireRunning().command(avShiftCommand(audioLeadMs));
    this.avShiftMs = audioLeadMs;
    return at;
  }

  /**
   * Black picture, muted or +20 dB sound: runtime commands, the stream itself goes on. The change
   * is scheduled at the stream time released at wall time `atMs` (default: a little ahead, see
   * switchAt) and resolves with the wall time of that stream time. The new state is taken at
   * once, so concurrent changes (black and silence together) build on each other.
   */
  async setContent(change: Partial<ContentState>, atMs = Date.now() + CONTENT_LEAD_MS): Promise<number> {
    const publisher = this.requireRunning();
    const previous = this.content;
    const next = { ...previous, ...change };
    this.content = next;
    await publisher.ready();
    const edgeMs = publisher.clock.ptsAt(Math.max(atMs, Date.now() + MIN_CONTENT_LEAD_MS));
    const at = edgeMs === undefined ? undefined : edgeMs / 1000;
    const applied = [
      ...(next.black !== previous.black ? [publisher.command(blackCommand(next.black, at))] : []),
      ...(next.muted !== previous.muted || next.loud !== previous.loud ? [publisher.command(levelCommand(previous, next, at))] : []),
    ];
    const confirmed = Math.max(Date.now(), ...(await Promise.all(applied)));
    return edgeMs === undefined ? confirmed : (publisher.clock.wallOf(edgeMs) ?? confirmed);
  }

  /**
   * A new frame rate, size or bitrate means a new publisher: a short gap in every protocol.
   * A line that is down stays down and gets the new encoding when it is started.
   */
  async setEncoding(change: Partial<Encoding>): Promise<number> {
    this.encoding = { ...this.encoding, ...change };
    if (!this.publisher?.running) return Date.now();
    await this.publisher.kill();
    return this.start();
  }

  async stop(): Promise<void> {
    await this.publisher?.kill();
  }

  private requireRunning(): Publisher {
    if (!this.publisher?.running) throw new LineStateError(`${this.key} is not publishing`);
    if (this.paused) throw new LineStateError(`${this.key} is paused`);
    return this.publisher;
  }
}
