import type { Sample } from '../model/sample.ts';
import type { SampleHistory, SampleQuery, SampleRollup } from '../store/ports.ts';

/** Where the sample history is read. */
export interface HistoryReads {
  samples: Pick<SampleHistory, 'samples' | 'rollups'>;
  /** Writes the samples still queued, so that a read sees them; rejects when the store fails. */
  flush(): Promise<number>;
}

export interface HistoryAnswer {
  stream: string;
  from: number;
  to: number;
  /** The newest `limit` raw samples of the window, oldest first. */
  samples: Sample[];
  truncated: boolean;
  rollups: SampleRollup[];
}

/** One window of a stream's history, raw samples and minute rollups: what REST and the WebSocket `history` query answer. */
export async function readHistory(reads: HistoryReads, query: SampleQuery & { limit: number }): Promise<HistoryAnswer> {
  const { limit, ...q } = query;
  try {
    await reads.flush();
  } catch {
    // serve what is stored
  }
  const samples = await reads.samples.samples(q);
  return { stream: q.stream, from: q.from, to: q.to, samples: samples.slice(-limit), truncated: samples.length > limit, rollups: await reads.samples.rollups(q) };
}
