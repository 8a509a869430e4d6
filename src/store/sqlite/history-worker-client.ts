import { Worker } from 'node:worker_threads';
import type { Logger } from '../../common/log.ts';
import type { SampleFiles } from './sample-history.ts';
import { logExcursion, type StoreFileName, type WalBound, type WalExcursion } from './wal-guard.ts';

export interface HistoryWorkerData {
  files: Exclude<SampleFiles, 'memory'>;
  mergeEveryMs: number;
  cacheMiB: number;
  walBounds: Readonly<Record<Exclude<StoreFileName, 'hub'>, WalBound>>;
}

export type ToHistoryWorker = { type: 'compact'; id: number; rawBefore: number; rollupBefore: number } | { type: 'close' };

export type CompactResult = { rolledUp: number; prunedRollups: number };

export type FromHistoryWorker =
  | { type: 'ready' }
  | { type: 'merged'; through: number }
  | { type: 'compacted'; id: number; result?: CompactResult; error?: string }
  | { type: 'error'; message: string }
  | { type: 'wal'; excursion: WalExcursion };

const RESPAWN_MS = 1000;

/**
 * The hub thread's handle on the history worker (src/store/sqlite/history-worker.ts): forwards
 * compactions, deletes inbox rows the worker reports merged, logs a WAL that crossed its bound
 * (src/store/sqlite/wal-guard.ts), and starts a new worker if one dies
 * (the inbox keeps every accepted sample meanwhile, so nothing is lost, only merged later).
 */
export class HistoryWorkerClient {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (r: CompactResult) => void; reject: (e: Error) => void }>();
  private closed = false;
  private respawn: NodeJS.Timeout | undefined;

  constructor(
    private readonly data: HistoryWorkerData,
    /** The worker merged inbox rows up to `through` into the history. */
    private readonly onMerged: (through: number) => void,
    private readonly log: Logger | undefined,
  ) {
    this.spawn();
  }

  compact(rawBefore: number, rollupBefore: number): Promise<CompactResult> {
    if (!this.worker) return Promise.reject(new Error('the sample history worker is not running'));
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker!.postMessage({ type: 'compact', id, rawBefore, rollupBefore } satisfies ToHistoryWorker);
    });
  }

  /** Asks the worker to merge once more and exit; does not wait (the inbox is durable either way). */
  close(): void {
    this.closed = true;
    clearTimeout(this.respawn);
    this.worker?.postMessage({ type: 'close' } satisfies ToHistoryWorker);
    this.failWaiting('the store is closing');
  }

  private spawn(): void {
    const worker = new Worker(new URL('./history-worker-boot.mjs', import.meta.url), { workerData: this.data });
    worker.unref(); // an idle history must not keep a finished process alive
    this.worker = worker;
    worker.on('message', (m: FromHistoryWorker) => this.onMessage(m));
    worker.on('error', (err) => this.log?.error({ err }, 'sample history worker failed'));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      this.failWaiting(`the sample history worker exited (${code})`);
      if (this.closed) return;
      this.log?.error({ code }, `sample history worker exited; starting a new one in ${RESPAWN_MS} ms (accepted samples wait in the inbox)`);
      this.respawn = setTimeout(() => this.spawn(), RESPAWN_MS);
      this.respawn.unref?.();
    });
  }

  private onMessage(m: FromHistoryWorker): void {
    switch (m.type) {
      case 'merged':
        if (!this.closed) this.onMerged(m.through);
        return;
      case 'compacted': {
        const w = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        if (m.result) w?.resolve(m.result);
        else w?.reject(new Error(m.error ?? 'compaction failed'));
        return;
      }
      case 'error':
        this.log?.error({ reason: m.message }, 'sample history worker: merge failed; accepted samples stay in the inbox');
        return;
      case 'wal':
        logExcursion(this.log, m.excursion);
        return;
      case 'ready':
        return;
    }
  }

  private failWaiting(reason: string): void {
    for (const w of this.waiting.values()) w.reject(new Error(reason));
    this.waiting.clear();
  }
}
