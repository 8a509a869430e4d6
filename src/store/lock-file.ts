import { linkSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../shared/log.ts';

/** The lock file of a data dir: one running hub per data dir. */
export const LOCK_FILE = 'hub.lock';

/** Lock files this process holds: a second store on the same data dir in this process is refused too. */
const held = new Set<string>();

/** Why a data dir could not be locked: the PID named in its lock file is running. */
export interface LockHeld {
  file: string;
  pid: number;
}

/**
 * `<dir>/hub.lock`, holding the PID of the hub that runs on the data dir. Unlike an exclusive
 * SQLite lock it keeps the database files open to readers and backups while the hub runs. A lock
 * whose process is gone (a crash, kill -9) is stale and taken over.
 */
export class DataDirLock {
  private constructor(readonly file: string) {}

  /** Takes the data dir's lock, or says which running process holds it. */
  static acquire(dir: string, logger?: Logger): DataDirLock | LockHeld {
    const file = join(dir, LOCK_FILE);
    if (held.has(file)) return { file, pid: process.pid };
    // A pass creates the lock, finds it held, or removes a stale one for the next pass. More passes
    // mean the file keeps changing or cannot be read (e.g. a dangling symlink).
    for (let pass = 0; pass < 4; pass++) {
      if (create(file)) {
        held.add(file);
        return new DataDirLock(file);
      }
      const content = read(file);
      if (content === undefined) continue; // released meanwhile
      const pid = pidIn(content);
      if (pid !== undefined && running(pid)) return { file, pid };
      const taker = removeStale(file, content, logger);
      if (taker) return taker;
    }
    throw new Error(`${file}: could not take the data dir lock: the file keeps changing or cannot be read; remove it if no hub runs on ${dir}`);
  }

  /** Removes the lock file, if it is still this process's. Idempotent. */
  release(): void {
    if (!held.delete(this.file)) return;
    const content = read(this.file);
    if (content !== undefined && pidIn(content) === process.pid) unlinkSync(this.file);
  }
}

/**
 * Creates `file` holding this PID, unless it exists. Written aside, then hard-linked into place:
 * link() fails if the name exists (as O_EXCL does) and the file appears with the PID already in
 * it; created empty and written after, another hub could read it empty in between and take it
 * for a crashed one's.
 */
function create(file: string): boolean {
  const aside = `${file}.${process.pid}`;
  writeFileSync(aside, `${process.pid}\n`);
  try {
    linkSync(aside, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(aside);
  }
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function pidIn(content: string): number | undefined {
  const pid = Number(content.trim());
  // Only a positive integer: kill(0 or -N) would signal whole process groups.
  return content.trim() !== '' && Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Whether the lock's process runs. This process's own PID in a lock it does not hold is a
 * previous run's (a container restarted under the same PID). A zombie (killed, never reaped: a
 * container's PID 1 may never reap it) holds no files, so it does not count.
 */
function running(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true; // no /proc: kill(pid, 0) said it exists
  }
}

/**
 * Deletes the stale lock `file` (holding `stale`), so that the next pass creates a new one.
 * Hubs starting together must not delete each other's new lock: a takeover runs under
 * `hub.lock.takeover`, created as the lock is, and deletes the lock only if it still holds what
 * was read. Returns the process that is taking it over right now, if another one is.
 */
function removeStale(file: string, stale: string, logger: Logger | undefined): LockHeld | undefined {
  const takeover = `${file}.takeover`;
  if (!create(takeover)) {
    const taker = pidIn(read(takeover) ?? '');
    if (taker !== undefined && running(taker)) return { file, pid: taker };
    rmSync(takeover, { force: true }); // left by a hub that died taking over (a window of microseconds)
    return undefined;
  }
  try {
    if (read(file) !== stale) return undefined;
    const pid = pidIn(stale);
    const why =
      pid === undefined
        ? 'it holds no PID (written by a hub that crashed, or not a lock file)'
        : pid === process.pid
          ? `it holds this process's PID ${pid} from a previous run (restarted under the same PID)`
          : `PID ${pid} is not running (a hub that crashed or was killed?)`;
    logger?.warn({ lock: file, content: stale.trim() }, `taking over a stale data dir lock ${file}: ${why}`);
    unlinkSync(file);
    return undefined;
  } finally {
    unlinkSync(takeover);
  }
}
