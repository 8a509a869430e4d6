import type Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import type { Logger } from '../../common/log.ts';

/** The store's three SQLite files: the hub's own (`streamguard.db`), the sample inbox and the sample history. */
export type StoreFileName = 'hub' | 'inbox' | 'history';

export interface WalBound {
  /**
   * `journal_size_limit`: a WAL that starts over after a complete checkpoint is cut back to this
   * (SQLite never shrinks one otherwise); above it after a checkpoint, the WAL is truncated.
   */
  limitBytes: number;
  /** Above this after a checkpoint and a truncate attempt, the WAL is over its bound: logged. */
  boundBytes: number;
}

const MiB = 1024 * 1024;

/**
 * Each file's WAL bound (docs/operations.md, "Data files and their WAL bounds"; figures from
 * bench/wal-growth.ts, bench/RESULTS.md). The hub's file takes small writes (incidents, audit,
 * outbox) and is checkpointed every 5 s. The inbox and the history are checkpointed after every
 * merge (1 s): at the demo's 12 samples/s their WALs stay near 40 KB; at 12,000 samples/s over
 * 2,000 streams a merge wrote up to 21 MB into the history's WAL (every stream's leaf page) and the
 * inbox's stayed at 3.3 MB; at 60,000/s on a loaded machine, up to 56 MB and 37 MB. The limits
 * keep what a quiet hub needs; the bounds hold a few merges at the design rate (50,000/s), so a
 * WAL over its bound means a reader is holding it, not load.
 */
export const WAL_BOUNDS: Readonly<Record<StoreFileName, WalBound>> = {
  hub: { limitBytes: 1 * MiB, boundBytes: 8 * MiB },
  // Truncating the inbox's WAL holds the hub's appends for its length: only past 16 MiB.
  inbox: { limitBytes: 16 * MiB, boundBytes: 128 * MiB },
  // The history's writer is the worker: truncating its WAL never holds the hub.
  history: { limitBytes: 4 * MiB, boundBytes: 128 * MiB },
};

/** A WAL crossing its bound, one way or the other. */
export interface WalExcursion {
  file: StoreFileName;
  /** Its path. */
  walFile: string;
  walBytes: number;
  boundBytes: number;
  /** true: over its bound (a reader holds a snapshot the checkpoint cannot pass); false: back under. */
  over: boolean;
}

/**
 * Checkpoints one attached file of a connection and keeps its WAL within its bound. Run by the
 * thread that checkpoints that file, at its cadence: a PASSIVE checkpoint (never waits); a WAL
 * still over its limit is then checkpointed with TRUNCATE without waiting for anyone (busy
 * timeout 0): it shrinks to nothing unless a reader still needs its frames, and is tried again
 * next time. Nothing can checkpoint past a reader's snapshot, so a long read (a sqlite3 shell
 * left in a transaction, a long backup) lets the WAL grow: crossing the bound, and coming back
 * under it, is reported to `onExcursion`.
 */
export class WalGuard {
  private over = false;
  private readonly walFile: string;

  constructor(
    private readonly db: Database.Database,
    /** The file's schema name on this connection (`main`, `inbox`, `history`). */
    private readonly schema: string,
    file: string,
    readonly name: StoreFileName,
    private readonly bound: WalBound,
    private readonly onExcursion: (e: WalExcursion) => void,
  ) {
    this.walFile = `${file}-wal`;
    // Applied by the connection that writes the file (the hub sets its own for the inbox, which
    // the worker checkpoints but the hub writes).
    db.pragma(`${schema}.journal_size_limit = ${bound.limitBytes}`);
  }

  /** Checkpoints the file; returns the size of its WAL after. */
  checkpoint(): number {
    this.db.pragma(`${this.schema}.wal_checkpoint(PASSIVE)`);
    let bytes = walBytes(this.walFile);
    if (bytes > this.bound.limitBytes) {
      this.truncateWithoutWaiting();
      bytes = walBytes(this.walFile);
    }
    const over = bytes > this.bound.boundBytes;
    if (over !== this.over) {
      this.over = over;
      this.onExcursion({ file: this.name, walFile: this.walFile, walBytes: bytes, boundBytes: this.bound.boundBytes, over });
    }
    return bytes;
  }

  private truncateWithoutWaiting(): void {
    const timeout = this.db.pragma('busy_timeout', { simple: true }) as number;
    this.db.pragma('busy_timeout = 0');
    try {
      // A row (busy, log, checkpointed), not an error, when a reader or the writer is in the way.
      this.db.pragma(`${this.schema}.wal_checkpoint(TRUNCATE)`);
    } finally {
      this.db.pragma(`busy_timeout = ${timeout}`);
    }
  }
}

/** The size of a WAL file (`<db>-wal`). */
export function walBytes(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0; // no WAL file (yet, or after the last connection closed)
  }
}

/** Logs an excursion: a warning when the WAL went over its bound, a line when it is back under. */
export function logExcursion(logger: Logger | undefined, e: WalExcursion): void {
  const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;
  const fields = { file: e.file, walBytes: e.walBytes, boundBytes: e.boundBytes };
  if (e.over) {
    logger?.warn(fields, `${e.walFile} is ${mib(e.walBytes)}, over its bound of ${mib(e.boundBytes)}: a reader holds an old snapshot (a sqlite3 shell in a transaction, a long backup?), so checkpoints cannot finish; truncating it is retried at every checkpoint`);
  } else logger?.info(fields, `${e.walFile} is back under its bound of ${mib(e.boundBytes)} (${mib(e.walBytes)})`);
}
