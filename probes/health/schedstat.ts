import { readFileSync } from 'node:fs';

/** A process's scheduler statistics since it started (/proc/PID/schedstat, Linux). */
export interface Schedstat {
  /** Time it ran, ns. */
  runNs: number;
  /** Time it was runnable but waited for a CPU, ns. */
  waitNs: number;
  /** How many times it was given a CPU. */
  runs: number;
}

/** `<run ns> <wait ns> <timeslices>`. Pure. */
export function parseSchedstat(text: string): Schedstat | undefined {
  const [run, wait, runs] = text.trim().split(/\s+/).map(Number);
  if (run === undefined || wait === undefined || runs === undefined || ![run, wait, runs].every(Number.isFinite)) return undefined;
  return { runNs: run, waitNs: wait, runs };
}

/** Undefined when the process is gone or the kernel has no schedstat (not Linux, schedstats off). */
export function readSchedstat(pid: number): Schedstat | undefined {
  try {
    return parseSchedstat(readFileSync(`/proc/${pid}/schedstat`, 'utf8'));
  } catch {
    return undefined;
  }
}
