import { clockSample } from '../../src/model/probe-protocol.ts';

/**
 * Probe → hub clock offset from heartbeat round trips, NTP-style: each ping/pong gives
 * offset = ((t1 − t0) + (t2 − t3)) / 2 with an error of at most rtt / 2; the estimate is the offset
 * of the lowest-RTT exchange among the last `window` ones (queueing delay only ever adds RTT).
 */
export class ClockOffset {
  private readonly samples: { offsetMs: number; rttMs: number }[] = [];

  constructor(private readonly window = 16) {}

  /** t0 local send, t1 hub receive, t2 hub send, t3 local receive. */
  add(t0: number, t1: number, t2: number, t3: number): void {
    this.samples.push(clockSample(t0, t1, t2, t3));
    if (this.samples.length > this.window) this.samples.shift();
  }

  get known(): boolean {
    return this.samples.length > 0;
  }

  /** hub clock − local clock (ms); 0 until the first exchange. */
  get offsetMs(): number {
    return this.best()?.offsetMs ?? 0;
  }

  get rttMs(): number | undefined {
    return this.best()?.rttMs;
  }

  private best(): { offsetMs: number; rttMs: number } | undefined {
    let best: { offsetMs: number; rttMs: number } | undefined;
    for (const s of this.samples) if (!best || s.rttMs < best.rttMs) best = s;
    return best;
  }
}
