/**
 * When streams are evaluated on time (failback, hold-offs, pin expiry): every `periodMs` a sweep
 * over every stream, in slices of `sliceMs` that yield to the event loop in between. 1,000
 * streams × 50 regions take 30–70 ms, and in one turn that held every probe's ack behind it;
 * time-based policies do not mind a few ms (incident changes are evaluated at once, from the bus).
 * `tick()` evaluates every stream at once (tests and tools that drive time by hand).
 */

export interface SweepTarget {
  /** Streams to evaluate, in order. */
  ids(): readonly string[];
  /** Starts a slice (lookups shared by its streams happen here) and returns how to evaluate one stream in it. */
  slice(): (id: string) => void;
}

export interface SweepOptions {
  /** Sweep period; 0 = no timer (call tick() yourself). */
  periodMs: number;
  /** Longest run of a slice before it yields to the event loop (at least one stream per slice). Default 5 ms. */
  sliceMs?: number;
  /** Monotonic ms for slice budgets. Default performance.now. */
  now?: () => number;
}

export class SweepScheduler {
  private readonly sliceMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private sweeping = false;
  private started = false;
  private stopped = false;

  constructor(
    private readonly target: SweepTarget,
    private opts: SweepOptions,
  ) {
    this.sliceMs = opts.sliceMs ?? 5;
    this.now = opts.now ?? (() => performance.now());
  }

  start(): void {
    this.started = true;
    if (this.opts.periodMs <= 0 || this.timer || this.stopped) return;
    this.timer = setInterval(() => this.sweep(), this.opts.periodMs);
    this.timer.unref?.();
  }

  /** Sweeps every `periodMs` from now on (0: no timer). */
  setPeriod(periodMs: number): void {
    if (periodMs === this.opts.periodMs) return;
    this.opts = { ...this.opts, periodMs };
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.started) this.start();
  }

  /** No further sweeps or slices (a slice in progress finishes). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }

  /** Every stream now, in one turn. */
  tick(): void {
    const ids = this.target.ids();
    if (ids.length > 0) this.evaluateFrom(ids, 0, Infinity);
  }

  /** One timer tick: every stream once, slice by slice. */
  sweep(): void {
    if (this.sweeping) return; // the previous sweep is still going: it covers this tick
    this.sweeping = true;
    const ids = this.target.ids();
    const slice = (start: number) => {
      let next = ids.length;
      try {
        if (!this.stopped && start < ids.length) next = this.evaluateFrom(ids, start, this.sliceMs);
      } finally {
        // A throw ends this sweep, not every later one.
        if (next < ids.length) setImmediate(slice, next);
        else this.sweeping = false;
      }
    };
    slice(0);
  }

  /** Evaluates ids[start…] for up to `budgetMs` (at least one); returns the index to go on from. */
  private evaluateFrom(ids: readonly string[], start: number, budgetMs: number): number {
    const evaluate = this.target.slice();
    const until = this.now() + budgetMs;
    let i = start;
    do {
      evaluate(ids[i]!);
      i++;
    } while (i < ids.length && this.now() < until);
    return i;
  }
}
