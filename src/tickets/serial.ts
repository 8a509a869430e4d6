/**
 * Runs async jobs one at a time, in the order they were queued. The stages await the store, so
 * without it two incident changes published back to back could interleave (an update looking for
 * the ticket its open has not written yet); queued, every change sees the writes of the one before.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Queues `job`; resolves or rejects with its outcome (a failed job does not stop the ones after it). */
  run<T>(job: () => Promise<T>): Promise<T> {
    const done = this.tail.then(job);
    this.tail = done.catch(() => undefined);
    return done;
  }

  /** Resolves when every job queued so far is over. */
  idle(): Promise<unknown> {
    return this.tail;
  }
}
