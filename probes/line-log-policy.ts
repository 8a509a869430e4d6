import type { ProbeError } from '../src/model/sample.ts';

/** A line state change worth one log line. */
export type LineLogEntry =
  | { kind: 'down'; error: ProbeError }
  | { kind: 'still-down'; retries: number; overMs: number; errors: ProbeError[] }
  | { kind: 'up'; downForMs: number | undefined; retries: number };

export interface LineLogPolicyOptions {
  /** Monotonic ms. */
  now: () => number;
  /** The metrics window: a line is up once a whole window of its session carried new media. */
  windowMs: number;
  /** At most one "still down" summary per this period; default 10 s. */
  summaryEveryMs?: number;
}

const SUMMARY_EVERY_MS = 10_000;

/**
 * Which of a line's state changes are logged, so a dead line does not flood the log with one
 * line per reconnect attempt: "line down" once, then at most one summary of the failed retries
 * per period, and "line up" only once media has flowed for a whole window (a connect that
 * stalls at once, or only replays a server's cache, is one more failed retry). Pure: the line
 * prober reports what happened and logs what this returns.
 */
export class LineLogPolicy {
  private readonly summaryEveryMs: number;
  private state: 'starting' | 'up' | 'down' = 'starting';
  /** When the current session got its first decodable frame; undefined while not connected. */
  private connectedAt: number | undefined;
  private downSince = 0;
  /** Failed attempts since the line went down (the failure that took it down not included). */
  private retries = 0;
  private periodStart = 0;
  private periodErrors = new Map<ProbeError, number>();

  constructor(private readonly opts: LineLogPolicyOptions) {
    this.summaryEveryMs = opts.summaryEveryMs ?? SUMMARY_EVERY_MS;
  }

  /** A session ended (or never started) with a classified error. */
  failed(error: ProbeError): LineLogEntry | undefined {
    const now = this.opts.now();
    this.connectedAt = undefined;
    if (this.state !== 'down') {
      this.state = 'down';
      this.downSince = now;
      this.retries = 0;
      this.startPeriod(now);
      return { kind: 'down', error };
    }
    this.retries++;
    this.periodErrors.set(error, (this.periodErrors.get(error) ?? 0) + 1);
    return undefined;
  }

  /** The session got its first new decodable frame (not a replay: window.ts). */
  connected(): void {
    if (this.state !== 'up') this.connectedAt ??= this.opts.now();
  }

  /** A metrics window closed; `media`: new video arrived in it. Confirms up, or says a summary is due. */
  windowClosed(media: boolean): LineLogEntry | undefined {
    const now = this.opts.now();
    if (this.state !== 'up' && media && this.connectedAt !== undefined && now - this.connectedAt >= this.opts.windowMs) {
      const entry: LineLogEntry = { kind: 'up', downForMs: this.state === 'down' ? now - this.downSince : undefined, retries: this.retries };
      this.state = 'up';
      this.connectedAt = undefined;
      return entry;
    }
    const periodRetries = [...this.periodErrors.values()].reduce((a, b) => a + b, 0);
    // A period without retries (long backoff) runs on, so the next summary covers it too.
    if (this.state !== 'down' || periodRetries === 0 || now - this.periodStart < this.summaryEveryMs) return undefined;
    const errors = [...this.periodErrors.entries()].sort(([, a], [, b]) => b - a).map(([e]) => e);
    const entry: LineLogEntry = { kind: 'still-down', retries: periodRetries, overMs: now - this.periodStart, errors };
    this.startPeriod(now);
    return entry;
  }

  private startPeriod(now: number): void {
    this.periodStart = now;
    this.periodErrors.clear();
  }
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** The log message for an entry, e.g. "still down, 14 retries in the last 10 s (refused)". */
export function lineLogMessage(entry: LineLogEntry): string {
  switch (entry.kind) {
    case 'down':
      return `line down (${entry.error})`;
    case 'still-down':
      return `still down, ${plural(entry.retries, 'retry', 'retries')} in the last ${seconds(entry.overMs)} (${entry.errors.join(', ')})`;
    case 'up':
      return entry.downForMs === undefined ? 'line up' : `line up after ${seconds(entry.downForMs)} down (${plural(entry.retries, 'failed retry', 'failed retries')})`;
  }
}
