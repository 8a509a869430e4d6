import type { Logger } from '../common/log.ts';
import type { SharedHealthStore } from '../store/cluster-ports.ts';
import type { Ownership } from './ownership.ts';

/** A stream's line health as one hub's detector sees it (the controller's `StreamHealth`); opaque here. */
export type LineHealthDocument = Record<string, Record<string, unknown>>;

export interface SharedHealthOptions {
  /** This hub's id (written with what it stores, and how it knows its own rows). */
  self: string;
  store: SharedHealthStore;
  ownership: Pick<Ownership, 'owns' | 'actingOn'>;
  /** The health this hub's detector sees of a stream it owns. */
  health(stream: string): LineHealthDocument;
  /** Tells of a stream of this hub whose health (a line's level) or incidents changed; returns the unsubscribe. */
  onChange(listener: (stream: string) => void): () => void;
  /** A stream another hub owns changed there (its line health or its incidents): a console re-reads it. */
  notify(stream: string, owner: string): void;
  /** How often changes are written (batched). Default 250 ms. */
  writeEveryMs?: number;
  /** How often the other hubs' changes are read. Default 1000 ms. */
  followEveryMs?: number;
  logger?: Logger;
}

/**
 * The line health of every stream on every hub of a cluster. Line levels live in the detector of
 * the hub that owns the stream; that hub writes a stream's health to the store when it changes
 * (a line's level, an incident), and every other hub reads it there to answer `state` for the
 * stream, and follows the changes (by version, once a second) to tell its consoles to re-read.
 */
export class SharedHealth {
  private readonly dirty = new Set<string>();
  private readonly unsubscribe: () => void;
  private readonly writer: NodeJS.Timeout;
  private readonly follower: NodeJS.Timeout;
  private writing: Promise<void> | undefined;
  private following: Promise<void> | undefined;
  /** The highest version read; undefined until the first read (which only sets it: nothing is news at start). */
  private version: number | undefined;
  private failing = false;

  /** Starts writing and following, from the version the store is at now (what was written before is no news). */
  static async start(o: SharedHealthOptions): Promise<SharedHealth> {
    const shared = new SharedHealth(o);
    await shared.followOnce();
    return shared;
  }

  private constructor(private readonly o: SharedHealthOptions) {
    this.unsubscribe = o.onChange((stream) => this.dirty.add(stream));
    this.writer = setInterval(() => void (this.writing ??= this.write().finally(() => (this.writing = undefined))), o.writeEveryMs ?? 250);
    this.follower = setInterval(() => void this.followOnce(), o.followEveryMs ?? 1000);
    this.writer.unref();
    this.follower.unref();
  }

  /** The stored health of the streams (a stream its owner never wrote is absent). */
  async read(streams: readonly string[]): Promise<Map<string, LineHealthDocument>> {
    const rows = await this.o.store.read(streams);
    return new Map(rows.map((r) => [r.stream, r.health as LineHealthDocument]));
  }

  /** Stops, after writing what changed. */
  async stop(): Promise<void> {
    this.unsubscribe();
    clearInterval(this.writer);
    clearInterval(this.follower);
    await Promise.all([this.writing, this.following]);
    await this.write();
  }

  /** Writes the health of the changed streams this hub still acts on (a stream just handed over is its new owner's to write). */
  private async write(): Promise<void> {
    if (this.dirty.size === 0) return;
    const streams = [...this.dirty].filter((s) => this.o.ownership.actingOn(s) !== undefined);
    this.dirty.clear();
    try {
      await this.o.store.write(this.o.self, streams.map((stream) => ({ stream, health: this.o.health(stream) })));
      this.recovered();
    } catch (err) {
      for (const s of streams) this.dirty.add(s);
      this.failed(err, 'writing the line health for the other hubs failed; retrying');
    }
  }

  /** One read of the changes at a time: a read still under way is shared. */
  private followOnce(): Promise<void> {
    return (this.following ??= this.follow().finally(() => (this.following = undefined)));
  }

  private async follow(): Promise<void> {
    try {
      const first = this.version === undefined;
      const { rows, version } = await this.o.store.changedSince(this.version ?? 0);
      this.version = version;
      if (first) return;
      for (const r of rows) if (r.hub !== this.o.self && !this.o.ownership.owns(r.stream)) this.o.notify(r.stream, r.hub);
      this.recovered();
    } catch (err) {
      this.failed(err, 'reading the line health of the other hubs failed; retrying');
    }
  }

  private failed(err: unknown, message: string): void {
    if (!this.failing) this.o.logger?.warn({ err }, message);
    this.failing = true;
  }

  private recovered(): void {
    if (this.failing) this.o.logger?.info('the shared line health is written and read again');
    this.failing = false;
  }
}
