import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readdirSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { sampleFilesFor } from './sqlite/sample-history.ts';

/** A backup that could not be made; the message names the file or directory and what to do. */
export class BackupError extends Error {
  override name = 'BackupError';
}

export interface BackedUpFile {
  from: string;
  to: string;
  bytes: number;
}

/**
 * Pages per backup step: all of them. A copy in several steps restarts whenever another process
 * (the running hub) writes to the file between two steps, which a hub taking samples always
 * does; one step copies one snapshot (a read transaction: in WAL the hub keeps writing meanwhile).
 */
const ALL_PAGES = 0x7fffffff;

/**
 * The store's files in copy order. The inbox is copied before the history: a sample merged and
 * deleted from the inbox between the two copies is in the history's copy, and one merged but
 * still in the inbox's copy is in both and merged once (the history's key is the sample's whole
 * identity). Files that do not exist yet (a data dir from before the sample history) are skipped.
 */
function storeFiles(dbFile: string): string[] {
  const tiers = sampleFilesFor(dbFile);
  if (tiers === 'memory') throw new BackupError('an in-memory store has no files to back up');
  return [dbFile, tiers.inbox, tiers.history];
}

/**
 * Copies the store of `dbFile` (the hub's database and its sample history files) into the empty
 * or new directory `toDir` with SQLite's online backup API: consistent while a hub runs on it,
 * and a directory a hub can be started on as its data dir. Each file appears under its own name
 * only once complete (written as `NAME.partial`, then renamed).
 */
export async function backupStore(dbFile: string, toDir: string): Promise<BackedUpFile[]> {
  const dataDir = dirname(resolve(dbFile));
  if (!existsSync(dbFile)) throw new BackupError(`${dataDir}: no ${basename(dbFile)} here; is this the hub's data dir?`);
  checkTarget(dataDir, resolve(toDir));
  mkdirSync(toDir, { recursive: true });
  const done: BackedUpFile[] = [];
  const partials: string[] = [];
  try {
    for (const from of storeFiles(dbFile).filter((f) => existsSync(f))) {
      const partial = join(toDir, `${basename(from)}.partial`);
      partials.push(partial);
      await copyOne(from, partial);
      done.push({ from, to: join(toDir, basename(from)), bytes: statSync(partial).size });
    }
    for (const f of done) renameSync(join(toDir, `${basename(f.from)}.partial`), f.to);
    return done;
  } catch (err) {
    for (const p of partials) rmSync(p, { force: true });
    throw err;
  }
}

function checkTarget(dataDir: string, toDir: string): void {
  if (!existsSync(toDir)) return;
  if (!statSync(toDir).isDirectory()) throw new BackupError(`${toDir}: not a directory`);
  if (realpathSync(toDir) === realpathSync(dataDir)) throw new BackupError(`${toDir}: is the hub's data dir itself; back up into another directory`);
  const entries = readdirSync(toDir);
  if (entries.length > 0) throw new BackupError(`${toDir}: not empty (${entries.length} entries, e.g. ${entries[0]}); back up into a new or empty directory`);
}

async function copyOne(from: string, to: string): Promise<void> {
  let db: Database.Database | undefined;
  try {
    // Read-only: the backup never writes to the hub's files (nor checkpoints their WAL).
    db = new Database(from, { readonly: true, fileMustExist: true, timeout: 5000 });
    await db.backup(to, { progress: () => ALL_PAGES });
  } catch (err) {
    throw new BackupError(`${from}: cannot back up: ${(err as Error).message}`);
  } finally {
    db?.close();
  }
}
