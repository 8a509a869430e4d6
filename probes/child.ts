import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';

/**
 * Every ffprobe/ffmpeg this process starts goes through here, so none outlives us: stop()
 * kills by PID and awaits the exit (no zombies), and an 'exit' hook SIGKILLs whatever is left
 * if the parent exits without stopping its probes. (A SIGKILLed parent cannot be covered
 * from Node: there is no PR_SET_PDEATHSIG.)
 */
export interface Child {
  readonly proc: ChildProcess;
  readonly pid: number | undefined;
  /** Resolves once the process has exited and its stdio is closed. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let hooked = false;

function killAllOnExit(): void {
  for (const proc of live) {
    if (proc.pid !== undefined) {
      try {
        process.kill(proc.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** PIDs of children still running: lets tests and shutdown code assert nothing leaked. */
export function liveChildPids(): number[] {
  return [...live].flatMap((p) => (p.pid === undefined ? [] : [p.pid]));
}

/** Grace period between SIGTERM and SIGKILL: ffmpeg may block in a network read. */
const KILL_AFTER_MS = 500;

export function spawnChild(command: string, args: readonly string[], stdio: StdioOptions): Child {
  if (!hooked) {
    process.once('exit', killAllOnExit);
    hooked = true;
  }
  const proc = spawn(command, args, { stdio });
  live.add(proc);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close' (not 'exit') waits for stdio to drain, so the last stderr lines are in by then.
    proc.once('close', (code, signal) => {
      live.delete(proc);
      resolve({ code, signal });
    });
    // 'on', not 'once': an unhandled second 'error' (e.g. a failed kill) would crash the probe.
    proc.on('error', () => {
      // spawn failure (ENOENT): no 'close' follows when the process never started
      if (proc.pid === undefined) {
        live.delete(proc);
        resolve({ code: null, signal: null });
      }
    });
  });
  const stop = async (): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) {
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
