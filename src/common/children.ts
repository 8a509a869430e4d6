import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/**
 * The one registry of child processes (probe ffprobe/ffmpeg, lab publishers and media servers,
 * console previews): nothing this process starts outlives it. stop()/killAndWait() kill by PID and
 * await the exit (no zombies, ports released); an 'exit' hook SIGKILLs whatever is left. (A
 * SIGKILLed parent cannot be covered from Node: there is no PR_SET_PDEATHSIG.)
 *
 * Children spawned with `killOnSignal` (the lab's) are also killed on SIGINT/SIGTERM: a lab left
 * by a Ctrl-C would hold ports and CPU. Probe children are not: a graceful hub shutdown stops its
 * probes first, and a probe whose ffprobe died under it would report the line down.
 */
export interface Child {
  readonly proc: ChildProcess;
  readonly pid: number | undefined;
  /** Resolves once the process has exited and its stdio is closed. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, SIGKILL after a grace period; resolves when it has exited. */
  stop(): Promise<void>;
}

export interface SpawnChildOptions extends SpawnOptions {
  killOnSignal?: boolean;
}

const live = new Map<ChildProcess, { killOnSignal: boolean }>();
let exitHooked = false;
let signalHooked = false;

function sigkill(proc: ChildProcess): void {
  if (proc.pid === undefined) return;
  try {
    process.kill(proc.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function killAllOnExit(): void {
  for (const proc of live.keys()) sigkill(proc);
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  for (const [proc, { killOnSignal }] of live) if (killOnSignal) sigkill(proc);
  // Restore the default "die on signal" only when nobody else (e.g. the CLI's graceful
  // shutdown) listens; otherwise this handler would swallow Ctrl-C.
  if (process.listenerCount(signal) === 1) {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

/** Registers a process started elsewhere. */
export function track(proc: ChildProcess, opts: { killOnSignal?: boolean } = {}): ChildProcess {
  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', killAllOnExit);
  }
  if (opts.killOnSignal && !signalHooked) {
    signalHooked = true;
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  live.set(proc, { killOnSignal: opts.killOnSignal ?? false });
  proc.once('exit', () => live.delete(proc));
  return proc;
}

/** PIDs of children still running: lets tests and shutdown code assert nothing leaked. */
export function liveChildPids(): number[] {
  return [...live.keys()].flatMap((p) => (p.pid === undefined || hasExited(p) ? [] : [p.pid]));
}

/** The child's PID while it runs, else none. */
export function runningPids(child: Child): number[] {
  return child.pid === undefined || hasExited(child.proc) ? [] : [child.pid];
}

export function hasExited(proc: ChildProcess): boolean {
  return proc.exitCode !== null || proc.signalCode !== null;
}

export function waitExit(proc: ChildProcess): Promise<void> {
  if (hasExited(proc)) return Promise.resolve();
  return new Promise((resolve) => proc.once('exit', () => resolve()));
}

/** SIGKILL by PID and wait until Node has reaped it (no zombie, ports released). */
export async function killAndWait(proc: ChildProcess): Promise<void> {
  if (hasExited(proc)) return;
  const exited = waitExit(proc);
  sigkill(proc);
  await exited;
}

/** Grace period between SIGTERM and SIGKILL: ffmpeg may block in a network read. */
const KILL_AFTER_MS = 500;

export function spawnChild(command: string, args: readonly string[], opts: SpawnChildOptions): Child {
  const { killOnSignal, ...spawnOpts } = opts;
  const proc = track(spawn(command, args, spawnOpts), { killOnSignal: killOnSignal ?? false });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close' (not 'exit') waits for stdio to drain, so the last stderr lines are in by then.
    proc.once('close', (code, signal) => {
      live.delete(proc);
      resolve({ code, signal });
    });
    // 'on', not 'once': an unhandled second 'error' (e.g. a failed kill) would crash the process.
    proc.on('error', () => {
      // spawn failure (ENOENT): no 'close' follows when the process never started
      if (proc.pid === undefined) {
        live.delete(proc);
        resolve({ code: null, signal: null });
      }
    });
  });
  const stop = async (): Promise<void> => {
    if (hasExited(proc) || proc.pid === undefined) {
      await exited;
      return;
    }
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), KILL_AFTER_MS);
    await exited;
    clearTimeout(timer);
  };
  return { proc, pid: proc.pid, exited, stop };
}
