import { spawnChild, type Child } from '../../src/common/children.ts';
import { CLI } from './cli.ts';
import { placed, type Placement } from './placement.ts';

const TAIL_CHARS = 8000;

/** A `streamguard` command run by a bench or a test: the child, its output so far, and a stop that leaves nothing behind. */
export interface StreamguardProcess {
  name: string;
  child: Child;
  stdout(): string;
  /** The last few KB of its stderr (its log), for a report when it dies. */
  stderrTail(): string;
  /** SIGCONT (in case a test stopped it), SIGTERM (SIGKILL after the registry's grace), then SIGKILL to its process group: its ffprobe children too. */
  stop(): Promise<void>;
}

/**
 * Starts `streamguard <args>` in its own process group through the child-process registry (so an
 * exit of its parent kills it). Not `killOnSignal`: on SIGINT a bench stops it in order instead,
 * and a terminal's Ctrl-C does not reach its group directly. `placement`: on which CPUs, at which
 * nice value (its PID is still the streamguard process's own, e.g. for SIGSTOP).
 */
export function startStreamguard(name: string, args: string[], env: Record<string, string> = {}, placement: Placement = {}): StreamguardProcess {
  const { command, args: argv } = placed(placement, process.execPath, [CLI, ...args]);
  const child = spawnChild(command, argv, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, STREAMGUARD_LOG_LEVEL: 'warn', STREAMGUARD_LOG_FORMAT: 'json', ...env },
  });
  let out = '';
  let err = '';
  child.proc.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-TAIL_CHARS)));
  child.proc.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-TAIL_CHARS)));
  return {
    name,
    child,
    stdout: () => out,
    stderrTail: () => err,
    async stop() {
      try {
        if (child.pid !== undefined) process.kill(child.pid, 'SIGCONT');
      } catch {
        // already gone
      }
      await child.stop();
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // the group is empty: nothing was left behind
      }
    },
  };
}
