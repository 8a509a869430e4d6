import { readFileSync } from 'node:fs';

/**
 * True when the process is no longer running. A killed child whose parent already exited is
 * reparented to PID 1, and a container's PID 1 may never reap it: such a zombie holds no CPU,
 * sockets or files, so it counts as gone.
 */
export function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}
