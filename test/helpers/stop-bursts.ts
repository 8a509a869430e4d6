/** A process frozen now and then: what a stopped VM, a cgroup freezer or a debugger does to it. */
export interface StopBursts {
  /** Stops done so far (each counted once it is resumed). */
  readonly bursts: number;
  /** Ends the bursts at once and resumes the process (SIGCONT) if it is stopped; idempotent. */
  end(): Promise<void>;
}

export interface StopBurstsOptions {
  /** How long each stop lasts. */
  stopMs: number;
  /** Time from one stop's start to the next one's (> stopMs). */
  everyMs: number;
  /** The bursts end by themselves after this, so a test that never calls end() leaves nothing stopped. */
  forMs: number;
}

/**
 * SIGSTOP the process `pid` for `stopMs` every `everyMs` (the first stop after one running stretch),
 * for at most `forMs`. The timers are the stimulus itself, not waits for a condition.
 */
export function stopBursts(pid: number, opts: StopBurstsOptions): StopBursts {
  if (!(opts.stopMs > 0 && opts.everyMs > opts.stopMs)) throw new Error(`stopBursts: need 0 < stopMs < everyMs, got stopMs ${opts.stopMs}, everyMs ${opts.everyMs}`);
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(pid, s);
    } catch {
      // the process is gone: nothing to stop or resume
    }
  };
  const endsAt = Date.now() + opts.forMs;
  let bursts = 0;
  let ended = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });
  const loop = (async () => {
    while (!ended) {
      await pause(opts.everyMs - opts.stopMs);
      if (ended || Date.now() + opts.stopMs > endsAt) break;
      signal('SIGSTOP');
      await pause(opts.stopMs);
      signal('SIGCONT');
      bursts++;
    }
  })();
  return {
    get bursts() {
      return bursts;
    },
    async end() {
      ended = true;
      clearTimeout(timer);
      wake?.();
      await loop; // a stop under way is cut short and resumed
    },
  };
}
