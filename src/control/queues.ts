/**
 * Serial work queues by key: tasks of one key run one after another in the order given (a
 * stream's actions reach its actuators in decision order); different keys run concurrently.
 * A failing task is reported to `onError` and does not hold up the ones behind it.
 */
export class SerialQueues {
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly onError: (err: unknown, key: string) => void) {}

  run(key: string, task: () => Promise<void>): void {
    const tail = (this.tails.get(key) ?? Promise.resolve()).then(task).catch((err: unknown) => this.onError(err, key));
    this.tails.set(key, tail);
  }

  /** Resolves when every queued task has finished, including tasks queued while waiting. */
  async idle(): Promise<void> {
    for (;;) {
      const tails = [...this.tails.values()];
      await Promise.all(tails);
      const now = [...this.tails.values()];
      if (now.length === tails.length && now.every((t, i) => t === tails[i])) return;
    }
  }
}
