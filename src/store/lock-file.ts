import Database from 'better-sqlite3';
import { closeSync, openSync, readSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../common/log.ts';

/** The lock file of a data dir: one running hub per data dir. */
export const LOCK_FILE = 'hub.lock';

/**
 * How long to wait for the lock before refusing. Two hubs starting at the same moment both
 * reach for it; the one that gets it holds it for good within microseconds, so the other's
 * wait ends in a refusal that can name the winner.
 */
const CONTENDED_MS = 500;

/** Offset of the SQLite header's user_version: the PID of the hub that holds the lock. */
const PID_OFFSET = 60;

/** Lock files this process holds: a second store on the same data dir in this process is refused too. */
const held = new Map<string, DataDirLock>();

/** Why a data dir could not be locked: a running process holds its lock. */
export interface LockHeld {
  file: string;
  /** Undefined while the holder is still writing it (a hub starting at this very moment). */
  pid: number | undefined;
  /** This process holds it (another store on the same data dir). */
  byThisProcess: boolean;
}

/**
 * `<dir>/hub.lock`: a small SQLite file that the hub keeps exclusively locked while it runs,
 * with the hub's PID in its header (user_version) for the message a refused hub prints. The
 * operating system drops the lock when the process ends, however it ends (kill -9, a crash), and
 * the lock holds across containers on one volume, where PIDs of different namespaces (every hub
 * is PID 1 in its container) could not tell a running hub from a dead one. A PID left in a lock
 * nobody holds is a hub that did not stop cleanly: logged when the next hub takes the lock over.
 * Unlike an exclusive lock on the databases themselves, this leaves them readable (queries,
 * backups) while the hub runs.
 *
 * The holding process must never open this file by other means (fs.readFile…): closing any
 * descriptor of a file drops the process's POSIX locks on it.
 */
export class DataDirLock {
  private constructor(
    readonly file: string,
    /** Referenced for as long as the lock is held: a collected connection would close and drop it. */
    private readonly db: Database.Database,
  ) {}

  /** Takes the data dir's lock, or says which running process holds it. */
  static acquire(dir: string, logger?: Logger): DataDirLock | LockHeld {
    // The real path: reached through another path, a lock this process holds would look like
    // another process's, and reading its PID would drop it (see above).
    const file = join(realpathSync(dir), LOCK_FILE);
    if (held.has(file)) return { file, pid: process.pid, byThisProcess: true };
    const db = new Database(file, { timeout: CONTENDED_MS });
    try {
      db.pragma('journal_mode = MEMORY'); // one page, written at start and stop: no journal file beside it
      db.exec('BEGIN EXCLUSIVE');
      db.pragma('locking_mode = EXCLUSIVE'); // kept after COMMIT, until the connection closes
      const previous = db.pragma('user_version', { simple: true }) as number;
      db.pragma(`user_version = ${process.pid}`);
      db.exec('COMMIT');
      if (previous !== 0) logger?.warn({ lock: file, pid: previous }, `taking over a stale data dir lock ${file}: hub PID ${previous} did not release it (it crashed or was killed)`);
      const lock = new DataDirLock(file, db);
      held.set(file, lock);
      return lock;
    } catch (err) {
      db.close();
      const code = (err as { code?: string }).code;
      if (code === 'SQLITE_BUSY') return { file, pid: holderPid(file), byThisProcess: false };
      if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw new Error(`${file}: not a data dir lock file (${code}); if no hub runs on ${dir}, remove it`);
      throw err;
    }
  }

  /** Clears the PID (a clean stop) and drops the lock. Idempotent. */
  release(): void {
    if (held.get(this.file) !== this) return; // released before (a later lock on the same dir is not this one's)
    held.delete(this.file);
    try {
      this.db.pragma('user_version = 0');
    } finally {
      this.db.close();
    }
  }
}

/** The PID in a lock another process holds (it cannot be read through SQLite while locked). */
function holderPid(file: string): number | undefined {
  const fd = openSync(file, 'r');
  try {
    const header = Buffer.alloc(PID_OFFSET + 4);
    const pid = readSync(fd, header, 0, header.length, 0) === header.length ? header.readInt32BE(PID_OFFSET) : 0;
    return pid > 0 ? pid : undefined;
  } finally {
    closeSync(fd);
  }
}
