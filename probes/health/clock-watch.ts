import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { LoopLog, type LoopSlice, type LoopWorst } from './loop-log.ts';

/** How often the watch looks at the loop: the resolution of a time jump's edges. */
const LOOK_EVERY_MS = 100;
/**
 * monitorEventLoopDelay's sampling timer (Node's default). It records whole intervals between its
 * callbacks, the resolution included, and a reset drops the interval under way: a block that starts
 * right after a look may be missed by the histogram; the next look's lateness still sees the part
 * of it past that look's due time.
 */
const HISTOGRAM_RESOLUTION_MS = 10;
/** The longest window (probe.windowMs ≤ 60 s) plus a reach-back of as much. */
const KEEP_MS = 120_000;

/**
 * The probe's view of its own event loop: a look every 100 ms (how late it came: the loop did not
 * run meanwhile) and the event-loop delay histogram between looks, kept for two minutes so any
 * window can ask about the span its measurements cover. The edge around LoopLog.
 */
export class ClockWatch {
  private readonly log = new LoopLog(KEEP_MS);
  private histogram: IntervalHistogram | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastLookAt = 0;

  start(): void {
    if (this.timer) return;
    this.histogram = monitorEventLoopDelay({ resolution: HISTOGRAM_RESOLUTION_MS });
    this.histogram.enable();
    this.lastLookAt = performance.now();
    this.timer = setInterval(() => this.look(performance.now()), LOOK_EVERY_MS);
    // The lines keep the process alive, not their health watch.
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.histogram?.disable();
    this.histogram = undefined;
  }

  /** The worst over [from, now], the stretch since the last look included (a window that closes before the watch's late look). */
  worst(from: number, now: number): LoopWorst {
    return this.log.worst(from, now, this.timer ? this.open(now) : undefined);
  }

  private open(now: number): LoopSlice {
    const h = this.histogram;
    // An empty histogram reports max 0; its values are ns, intervals between its callbacks.
    const delayMs = h && h.count > 0 ? Math.max(0, h.max / 1e6 - HISTOGRAM_RESOLUTION_MS) : 0;
    return { from: this.lastLookAt, to: now, lateMs: Math.max(0, now - this.lastLookAt - LOOK_EVERY_MS), delayMs };
  }

  private look(now: number): void {
    this.log.add(this.open(now));
    this.histogram?.reset();
    this.lastLookAt = now;
  }
}
