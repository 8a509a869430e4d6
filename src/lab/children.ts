import type { ChildProcess } from 'node:child_process';

/**
 * Every child process the lab spawns is registered here so that nothing outlives the
 * parent: a lab left running by a crashed test or a Ctrl-C would hold ports and CPU.
 */
const live = new Set<ChildProcess>();
let hooksInstalled = false;

function killAllNow(): void {
  for (const child of live) {
    if (child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // Already gone: nothing to clean.
      }
    }
  }
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  killAllNow();
  // Only restore the default "die on signal" when nobody else (e.g. the CLI's graceful
  // shutdown) listens; otherwise installing this handler would swallow Ctrl-C.
  if (process.listenerCount(signal) === 1) {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

function installHooksOnce(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllNow);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

export function track(child: ChildProcess): ChildProcess {
  installHooksOnce();
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

export function waitExit(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGKILL by PID and wait until Node has reaped it (no zombie, ports released). */
export async function killAndWait(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return;
  const exited = waitExit(child);
  if (child.pid !== undefined) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // Raced with its own exit; the 'exit' event still fires.
    }
  }
  await exited;
}

/** PIDs of children still alive, for tests asserting that stop() leaves none behind. */
export function livePids(): number[] {
  return [...live].flatMap((c) => (c.pid === undefined || hasExited(c) ? [] : [c.pid]));
}
