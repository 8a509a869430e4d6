import Database from 'better-sqlite3';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { attachSampleFiles, SampleMerger } from './sample-history.ts';
import { WalGuard } from './wal-guard.ts';
import type { HistoryWorkerData, ToHistoryWorker, FromHistoryWorker } from './history-worker-client.ts';

/**
 * The history worker thread: the only writer of the sample history file. Every `mergeEveryMs` it
 * moves the inbox's new rows into the history and checkpoints both files' WALs within their
 * bounds (src/store/sqlite/wal-guard.ts; the hub's thread never checkpoints them, so its appends
 * never wait on a checkpoint); compaction runs here too.
 */
const { files, mergeEveryMs, cacheMiB, walBounds } = workerData as HistoryWorkerData;
// Merging can wait; acks cannot. On Linux a nice value is per thread, so this lowers only this
// thread: when the cores are busy, the hub's event loop runs first.
try {
  setPriority(10);
} catch {
  // not permitted here: merging at normal priority is still correct
}
const port = parentPort!;
const db = new Database(':memory:', { timeout: 5000 });
attachSampleFiles(db, files, cacheMiB);
// Checkpoints only after merges (below), none on commit.
db.pragma('wal_autocheckpoint = 0');
const merger = new SampleMerger(db);

function post(m: FromHistoryWorker): void {
  port.postMessage(m);
}

const guards = (['inbox', 'history'] as const).map((name) => new WalGuard(db, name, files[name], name, walBounds[name], (excursion) => post({ type: 'wal', excursion })));

/** Runs `work` (which may merge) and tells the hub when the merged id moved, so it drops those inbox rows. */
function reportingMerges<T>(work: () => T): T {
  const before = merger.merged;
  const result = work();
  if (merger.merged > before) post({ type: 'merged', through: merger.merged });
  return result;
}

function mergeNow(): void {
  const before = merger.merged;
  try {
    merger.merge();
  } catch (err) {
    post({ type: 'error', message: `merging samples into the history failed: ${(err as Error).message}` });
  }
  try {
    for (const g of guards) g.checkpoint();
  } catch (err) {
    post({ type: 'error', message: `checkpointing the sample files failed: ${(err as Error).message}` });
  }
  // Only now does the hub hear of the merge: its delete of the merged rows then finds the inbox's
  // WAL wholly checkpointed and starts it over. Told before, the delete ran during the checkpoint,
  // the WAL was never wholly checkpointed when the hub wrote, and it grew for ever (≈ 1 MB/min
  // at 12 samples/s).
  if (merger.merged > before) post({ type: 'merged', through: merger.merged });
}

const timer = setInterval(mergeNow, mergeEveryMs);

port.on('message', (m: ToHistoryWorker) => {
  if (m.type === 'compact') {
    try {
      const result = reportingMerges(() => merger.compact(m.rawBefore, m.rollupBefore));
      post({ type: 'compacted', id: m.id, result });
    } catch (err) {
      post({ type: 'compacted', id: m.id, error: (err as Error).message });
    }
  } else if (m.type === 'close') {
    clearInterval(timer);
    mergeNow();
    db.close();
    port.close();
  }
});
post({ type: 'ready' });
