/**
 * When to print a periodic report: when what it shows changed, else only as a heartbeat every
 * `heartbeatMs`, so a quiet system does not repeat the same table every few seconds.
 */
export class ChangeGate {
  private last: string | undefined;
  private lastAt = 0;

  constructor(
    private readonly heartbeatMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when `state` differs from the last one let through, or the heartbeat is due. */
  pass(state: string): boolean {
    const now = this.now();
    if (state === this.last && now - this.lastAt < this.heartbeatMs) return false;
    this.last = state;
    this.lastAt = now;
    return true;
  }
}
