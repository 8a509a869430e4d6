import type Database from 'better-sqlite3';
import type { Logger } from '../../common/log.ts';
import type { Sample } from '../../model/sample.ts';
import type { SampleHistory, SampleQuery, SampleRollup } from '../ports.ts';
import { HistoryWorkerClient, type HistoryWorkerData } from './history-worker-client.ts';
import { SampleMerger, type SampleFiles, type SampleInbox } from './sample-history.ts';

/** Merged inbox rows deleted per event-loop turn (≈ 1–2 ms). */
const DROP_SLICE_ROWS = 5000;

export interface SqliteSampleHistoryOptions {
  /** How often the history worker merges the inbox into the history (and checkpoints both). */
  mergeEveryMs: number;
  walBounds: HistoryWorkerData['walBounds'];
  logger?: Logger;
}

/**
 * The sample history port on the two tiers of src/store/sqlite/sample-history.ts: appends go to
 * the inbox on the hub's connection (durable on return), a worker thread merges them into the
 * by-stream history and runs compactions. With the tiers in memory (`:memory:` stores, tests) this
 * connection merges inline instead.
 */
export class SqliteSampleHistory implements SampleHistory {
  private readonly worker: HistoryWorkerClient | undefined;
  private readonly inlineMerger: SampleMerger | undefined;

  constructor(
    private readonly db: Database.Database,
    private readonly inbox: SampleInbox,
    files: SampleFiles,
    opts: SqliteSampleHistoryOptions,
  ) {
    if (files === 'memory') {
      this.inlineMerger = new SampleMerger(db);
      return;
    }
    // Merged rows leave the inbox a slice per event-loop turn, between acks.
    const drop = (through: number) => {
      if (this.db.open && this.inbox.dropMerged(through, DROP_SLICE_ROWS)) setImmediate(drop, through);
    };
    this.worker = new HistoryWorkerClient({ files, mergeEveryMs: opts.mergeEveryMs, cacheMiB: 64, walBounds: opts.walBounds }, drop, opts.logger);
  }

  /** Written (durable) inside the call: the promise is resolved or rejected by the time it returns. */
  async append(samples: readonly Sample[]): Promise<void> {
    this.inbox.append(samples);
    if (this.inlineMerger) this.inbox.dropMerged(this.inlineMerger.merge());
  }

  async lastSeq(probe: string): Promise<number | undefined> {
    return this.inbox.lastSeq(probe);
  }

  async samples(q: SampleQuery): Promise<Sample[]> {
    return this.inbox.samples(q);
  }

  async rollups(q: SampleQuery): Promise<SampleRollup[]> {
    return this.inbox.rollups(q);
  }

  /** In the history worker (merging the inbox first), so the hub's thread is not blocked by it. */
  async compact(rawBefore: number, rollupBefore: number): Promise<{ rolledUp: number; prunedRollups: number }> {
    if (this.worker) return this.worker.compact(rawBefore, rollupBefore);
    const r = this.inlineMerger!.compact(rawBefore, rollupBefore);
    this.inbox.dropMerged(this.inlineMerger!.merged);
    return r;
  }

  unmerged(): number {
    return this.inbox.pending;
  }

  /** Asks the worker to merge once more and exit (the inbox is durable either way). */
  close(): void {
    this.worker?.close();
  }
}
