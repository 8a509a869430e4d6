import type { LineName } from './fault-schema.ts';
import { Publisher } from './publisher.ts';
import { avShiftCommand, DEFAULT_FPS, freezeCommand, type PublisherOutput } from './publisher-args.ts';
import type { StreamClock } from './stream-clock.ts';

/** Thrown when a fault does not fit the line's current state (e.g. pausing a killed line). */
export class LineStateError extends Error {}

/**
 * One publishing line (primary or backup) of one stream: its publisher process across
 * kills and restarts, and the settings a restart must carry over (frame rate, A/V shift).
 * Methods return the wall time at which their effect was actually applied.
 */
export class Line {
  private publisher: Publisher | undefined;
  private fps = DEFAULT_FPS;
  private avShiftMs = 0;
  private paused = false;

  constructor(
    readonly stream: string,
    readonly name: LineName,
    private readonly outputs: readonly PublisherOutput[],
  ) {}

  get key(): string {
    return `${this.stream}-${this.name}`;
  }

  get running(): boolean {
    return this.publisher?.running ?? false;
  }

  get currentFps(): number {
    return this.fps;
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
    this.publisher = new Publisher(this.key, this.fps, this.outputs);
    this.paused = false;
    const startedAt = this.publisher.startedAtMs;
    if (this.avShiftMs !== 0) await this.publisher.command(avShiftCommand(this.avShiftMs));
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
   * The filter graph's rates are fixed at start, so a new frame rate means a new publisher.
   * A line that is down stays down and gets the new rate when it is started.
   */
  async setFps(fps: number): Promise<number> {
    this.fps = fps;
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
