import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * Where and how eagerly a started process runs: `cpus`, a taskset CPU list ("0", "0,2-3") it may
 * run on; `nice`, its nice value (−20 … 19; below the starter's needs CAP_SYS_NICE). Its children
 * inherit both.
 */
export interface Placement {
  cpus?: string;
  nice?: number;
}

/**
 * The command line that runs `command args` with that placement: `nice -n Δ taskset -c LIST
 * command args` (either part only when asked). Both exec, so the PID is the command's own (a
 * SIGSTOP reaches it), and it runs so from its first instruction: no thread of it starts elsewhere.
 */
export function placed(placement: Placement, command: string, args: readonly string[]): { command: string; args: string[] } {
  let argv = [command, ...args];
  if (placement.cpus !== undefined) {
    if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(placement.cpus)) throw new Error(`placed: cpus must be a taskset CPU list such as "0" or "0,2-3", got "${placement.cpus}"`);
    argv = ['taskset', '-c', placement.cpus, ...argv];
  }
  if (placement.nice !== undefined) {
    if (!Number.isInteger(placement.nice) || placement.nice < -20 || placement.nice > 19) throw new Error(`placed: nice must be an integer from -20 to 19, got ${placement.nice}`);
    // nice(1) adds to the starter's own value: the difference makes it absolute.
    argv = ['nice', '-n', String(placement.nice - getPriority()), ...argv];
  }
  return { command: argv[0]!, args: argv.slice(1) };
}

/**
 * Sets the nice value of every thread of this process (the main one starts the children, which
 * inherit it; the others, e.g. V8's garbage-collection helpers, hold the main one up when they
 * wait) and returns the undo. Linux: threads are read from /proc/self/task.
 */
export function setOwnNice(nice: number): () => void {
  const before = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task').map(Number)) {
    try {
      before.set(tid, getPriority(tid));
      setPriority(tid, nice);
    } catch {
      before.delete(tid); // the thread ended meanwhile
    }
  }
  return () => {
    for (const [tid, value] of before) {
      try {
        setPriority(tid, value);
      } catch {
        // the thread ended meanwhile
      }
    }
  };
}
