/**
 * Commit and ack at once when this many samples wait, instead of at the end of the event-loop
 * turn: when many probes' batches arrive in one turn, the first ones' acks need not wait for the
 * last ones to be handled. Small messages still share a commit per turn.
 */
const FLUSH_AT_SAMPLES = 250;
/** A failed write is tried again after this long, its acks withheld meanwhile. */
export const ACK_RETRY_MS = 1000;

/**
 * The group commit of an uplink (WebSocket or NATS): samples are acked only once durable, and one
 * durable write covers everything handled so far. `ackDurable` is one round — write, then ack what
 * it covered — and resolves false when the write failed (the caller keeps those acks withheld).
 * Rounds run one at a time: a request during a round makes one more round after it. After a
 * failed round the next runs in 1 s; requests meanwhile wait for it.
 */
export class AckRounds {
  private scheduled = false;
  private retry: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly ackDurable: () => Promise<boolean>) {}

  /** `unacked` samples wait: a round at once when they make a batch, else at the end of this event-loop turn. */
  request(unacked: number): void {
    if (unacked >= FLUSH_AT_SAMPLES && !this.retry) void this.run();
    else this.schedule();
  }

  /** A failed write waits for its retry. */
  get retrying(): boolean {
    return this.retry !== undefined;
  }

  /** A round now, or after the one in flight; resolves when the round in flight has ended. */
  run(): Promise<void> {
    if (this.round) {
      this.again = true;
      return this.round;
    }
    const round = this.ackDurable()
      .then((written) => {
        if (!written && !this.stopped) {
          this.retry ??= setTimeout(() => {
            this.retry = undefined;
            void this.run();
          }, ACK_RETRY_MS);
        }
      })
      .finally(() => {
        this.round = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          void this.run();
        }
      });
    this.round = round;
    return round;
  }

  /** No more retries or follow-up rounds; `settled` is the round in flight. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
  }

  get settled(): Promise<void> | undefined {
    return this.round;
  }

  private schedule(): void {
    if (this.scheduled || this.retry) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }
}
