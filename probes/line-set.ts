import type { Sample } from '../src/model/sample.ts';
import { DEFAULT_PROBE_HEALTH, type ProbeHealthThresholds } from '../src/model/probe-health.ts';
import type { Logger } from '../src/common/log.ts';
import type { DecodeSetting } from './decode/decoder.ts';
import { ClockWatch } from './health/clock-watch.ts';
import type { ProbeHealthContext } from './health/line-health.ts';
import { LineProber, seqCounter } from './line-prober.ts';

/** What one line of a probe runs with: a change to any of it restarts the line. */
export interface LineSpec {
  stream: string;
  line: string;
  url: string;
  windowMs: number;
  decode?: DecodeSetting;
}

/** How to go from the lines running to the lines wanted. */
export interface LinePlan {
  /** Lines to start (new, or changed: also in `stop`). */
  start: LineSpec[];
  /** Keys (`lineKey`) of the lines to stop (gone, or changed). */
  stop: string[];
  /** Lines left running as they are (no reconnect). */
  kept: number;
}

export function lineKey(l: Pick<LineSpec, 'stream' | 'line'>): string {
  return `${l.stream}\u0000${l.line}`;
}

/** Pure: the lines to stop and start; a line whose URL, window or decode setting changed is restarted. */
export function planLines(running: ReadonlyMap<string, LineSpec>, wanted: readonly LineSpec[]): LinePlan {
  const want = new Map(wanted.map((w) => [lineKey(w), w]));
  const plan: LinePlan = { start: [], stop: [], kept: 0 };
  for (const [key, r] of running) {
    const w = want.get(key);
    if (!w || !sameSpec(r, w)) plan.stop.push(key);
  }
  for (const [key, w] of want) {
    const r = running.get(key);
    if (r && sameSpec(r, w)) plan.kept++;
    else plan.start.push(w);
  }
  return plan;
}

function sameSpec(a: LineSpec, b: LineSpec): boolean {
  return a.url === b.url && a.windowMs === b.windowMs && JSON.stringify(a.decode ?? false) === JSON.stringify(b.decode ?? false);
}

export interface LineSetOptions {
  probe: string;
  region: string;
  onSample: (sample: Sample) => void;
  /** When a window's Sample is marked impaired; default DEFAULT_PROBE_HEALTH. */
  health?: ProbeHealthThresholds;
  logger?: Logger;
}

/**
 * One probe's running lines, one LineProber per stream × line with one seq sequence for the
 * probe, changed line by line (the hub's embedded probes at a config reload, a remote worker at a
 * reassignment): a line kept as it is goes on running, without a reconnect. The lines share the
 * probe's watch on its own event loop and its health thresholds, which change without a restart.
 */
export class LineSet {
  private readonly running = new Map<string, { spec: LineSpec; prober: LineProber }>();
  private readonly stopping = new Set<Promise<void>>();
  private readonly nextSeq = seqCounter();
  private readonly clock = new ClockWatch();
  private thresholds: ProbeHealthThresholds;
  private readonly health: ProbeHealthContext = {
    thresholds: () => this.thresholds,
    loop: (from, now) => this.clock.worst(from, now),
  };

  constructor(private readonly opts: LineSetOptions) {
    this.thresholds = opts.health ?? DEFAULT_PROBE_HEALTH;
  }

  get probe(): string {
    return this.opts.probe;
  }

  get size(): number {
    return this.running.size;
  }

  /** The plan from the lines running now to `wanted`. */
  plan(wanted: readonly LineSpec[]): LinePlan {
    return planLines(new Map([...this.running].map(([key, r]) => [key, r.spec])), wanted);
  }

  /** New health thresholds, from the next window of every line on. */
  setHealth(thresholds: ProbeHealthThresholds): void {
    this.thresholds = thresholds;
  }

  /** Stops (in the background: `stop()` waits for them) and starts lines as planned. */
  apply(plan: LinePlan): void {
    for (const key of plan.stop) this.stopLine(key);
    if (plan.start.length > 0) this.clock.start();
    else if (this.running.size === 0) this.clock.stop();
    for (const spec of plan.start) {
      const prober = new LineProber({
        probe: this.opts.probe,
        region: this.opts.region,
        stream: spec.stream,
        line: spec.line,
        url: spec.url,
        windowMs: spec.windowMs,
        onSample: this.opts.onSample,
        health: this.health,
        nextSeq: this.nextSeq,
        ...(spec.decode !== undefined && { decode: spec.decode }),
        ...(this.opts.logger && { logger: this.opts.logger }),
      });
      this.running.set(lineKey(spec), { spec, prober });
      prober.start();
    }
  }

  /** Stops every line and waits until all their processes, and those of lines stopped before, have exited. */
  async stop(): Promise<void> {
    for (const key of [...this.running.keys()]) this.stopLine(key);
    this.clock.stop();
    await Promise.all([...this.stopping]);
  }

  private stopLine(key: string): void {
    const r = this.running.get(key);
    if (!r) return;
    this.running.delete(key);
    const p = r.prober.stop().finally(() => this.stopping.delete(p));
    this.stopping.add(p);
  }
}
