import type { Logger } from '../common/log.ts';
import type { Sample } from '../model/sample.ts';
import type { SampleHistory } from '../store/ports.ts';
import { checkSample } from './check-sample.ts';

/**
 * The one entry point for samples. The hub's embedded probes call it with `trusted: true`; the
 * WebSocket uplink of remote probes calls it untrusted (the default), then `flush()` before acking a batch.
 *
 *   sample ─▶ validate (untrusted) ─▶ queue for the history ─▶ onSample (detector)
 *                                            └─ flush: one append per tick or per maxBatch samples
 *
 * An accepted sample is never dropped: a failed write keeps the batch queued and retries on the
 * next flush; while the backlog is full new samples are refused (the caller sees why), not lost.
 *
 * Appends run one at a time (the store's append resolves once durable, src/store/ports.ts): a
 * flush called while one is writing waits for it, then writes everything queued by then — also a
 * batch that write failed to store. So when a flush resolves, every sample ingested before it was
 * called is durable, whatever other flushes did meanwhile: what the uplink's ack relies on. The
 * flushes called during one write share the next one (group commit).
 */

export interface IngestOptions {
  /** Where accepted samples are appended (durable once the append resolved). */
  history: Pick<SampleHistory, 'append'>;
  /** Called for every accepted sample, in order, right after it is queued (feeds the detector). */
  onSample: (sample: Sample) => void;
  /** Write when this many samples are queued (default 1000); the hub also flushes on every tick. */
  maxBatch?: number;
  /** Refuse new samples while this many are queued unwritten (store failing); default 100,000. */
  maxBacklog?: number;
  logger?: Logger;
}

export interface IngestCallOptions {
  /** In-process probes build typed samples: skip schema validation. Default false. */
  trusted?: boolean;
}

export type IngestResult = { ok: true } | { ok: false; error: string };

export interface IngestStats {
  accepted: number;
  rejected: number;
  /** Samples handed to the store (duplicates on (probe, seq) are ignored by the store). */
  written: number;
  flushes: number;
  failedFlushes: number;
}

export interface Ingest {
  ingest(sample: unknown, opts?: IngestCallOptions): IngestResult;
  /**
   * Writes every sample queued before the call (after the write in flight, if any) in one
   * transaction; resolves how many it wrote. Rejects when the store write fails (the samples stay
   * queued): a remote uplink must not ack then.
   */
  flush(): Promise<number>;
  /** Samples accepted and not yet durable (queued or being written). */
  readonly pending: number;
  readonly stats: Readonly<IngestStats>;
}

export function createIngest(opts: IngestOptions): Ingest {
  const maxBatch = opts.maxBatch ?? 1000;
  const maxBacklog = opts.maxBacklog ?? 100_000;
  let queue: Sample[] = [];
  /** The batch being written, while an append is in flight. */
  let writing: readonly Sample[] = [];
  /** The append in flight (settled or not); the next write starts after it. */
  let inFlight: Promise<unknown> = Promise.resolve();
  /** The next write, not started yet: flushes called meanwhile share it. */
  let next: Promise<number> | undefined;
  let autoFlushAt = maxBatch;
  const stats: IngestStats = { accepted: 0, rejected: 0, written: 0, flushes: 0, failedFlushes: 0 };

  async function write(): Promise<number> {
    next = undefined;
    if (queue.length === 0) return 0;
    const batch = (writing = queue);
    queue = [];
    try {
      await opts.history.append(batch);
    } catch (err) {
      queue = batch.concat(queue);
      stats.failedFlushes++;
      throw err;
    } finally {
      writing = [];
    }
    stats.flushes++;
    autoFlushAt = maxBatch;
    stats.written += batch.length;
    return batch.length;
  }

  function flush(): Promise<number> {
    if (next) return next;
    const started = inFlight.then(write, write);
    next = started;
    inFlight = started.catch(() => undefined);
    return started;
  }

  function ingest(input: unknown, call: IngestCallOptions = {}): IngestResult {
    let sample: Sample;
    if (call.trusted) {
      sample = input as Sample;
    } else {
      const r = checkSample(input);
      if (r.error !== undefined) {
        stats.rejected++;
        return { ok: false, error: r.error };
      }
      sample = r.sample;
    }
    if (queue.length + writing.length >= maxBacklog) {
      stats.rejected++;
      return { ok: false, error: `store backlog full (${queue.length + writing.length} samples unwritten): sample refused, resend later` };
    }
    queue.push(sample);
    stats.accepted++;
    opts.onSample(sample);
    if (queue.length >= autoFlushAt && !next) {
      flush().catch((err: unknown) => {
        // Retry with the next tick's flush, or here once another batch has piled up: not per sample.
        autoFlushAt = queue.length + maxBatch;
        opts.logger?.error({ err, pending: queue.length }, 'writing samples failed; kept queued, retrying on the next flush');
      });
    }
    return { ok: true };
  }

  return {
    ingest,
    flush,
    get pending() {
      return queue.length + writing.length;
    },
    stats,
  };
}
