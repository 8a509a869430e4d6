/**
 * The console preview's lifecycle, without I/O: one feed (an ffmpeg) per line, shared by every
 * viewer of that line, refcounted; when the last viewer leaves, the feed is stopped after
 * `graceMs` (a viewer coming back in that time — a page reload — reuses it). At most `max` feeds
 * run at once, idle ones (in their grace) included; when full, an idle feed is stopped to make
 * room before a new line is refused.
 */
export interface PoolDeps<F> {
  start: (key: string) => F;
  stop: (feed: F, key: string) => void;
  graceMs: number;
  max: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
}

export type Acquired<F> = { ok: true; feed: F; shared: boolean } | { ok: false; reason: 'full' };

interface Entry<F> {
  feed: F;
  viewers: number;
  timer: unknown;
}

export class PreviewPool<F> {
  private readonly entries = new Map<string, Entry<F>>();
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (t: unknown) => void;

  constructor(private readonly deps: PoolDeps<F>) {
    this.setTimer = deps.setTimer ?? ((fn, ms) => setTimeout(fn, ms).unref());
    this.clearTimer = deps.clearTimer ?? ((t) => clearTimeout(t as NodeJS.Timeout));
  }

  acquire(key: string): Acquired<F> {
    const e = this.entries.get(key);
    if (e) {
      this.clearTimer(e.timer);
      e.timer = undefined;
      e.viewers++;
      return { ok: true, feed: e.feed, shared: true };
    }
    if (this.entries.size >= this.deps.max) {
      const idle = [...this.entries].find(([, x]) => x.viewers === 0);
      if (!idle) return { ok: false, reason: 'full' };
      this.stop(idle[0]);
    }
    const feed = this.deps.start(key);
    this.entries.set(key, { feed, viewers: 1, timer: undefined });
    return { ok: true, feed, shared: false };
  }

  release(key: string): void {
    const e = this.entries.get(key);
    if (!e || e.viewers === 0) return;
    if (--e.viewers === 0) e.timer = this.setTimer(() => this.stop(key), this.deps.graceMs);
  }

  /** The feed ended by itself (its source went away): forget it, so the next viewer starts a new one. */
  ended(key: string, feed: F): void {
    const e = this.entries.get(key);
    if (e?.feed !== feed) return;
    this.clearTimer(e.timer);
    this.entries.delete(key);
  }

  viewers(key: string): number {
    return this.entries.get(key)?.viewers ?? 0;
  }

  feeds(): { key: string; feed: F; viewers: number }[] {
    return [...this.entries].map(([key, e]) => ({ key, feed: e.feed, viewers: e.viewers }));
  }

  close(): void {
    for (const key of [...this.entries.keys()]) this.stop(key);
  }

  private stop(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.clearTimer(e.timer);
    this.entries.delete(key);
    this.deps.stop(e.feed, key);
  }
}
