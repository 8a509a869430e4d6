import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { SAMPLE_STREAM, SAMPLE_SUBJECTS } from '../model/shard.ts';

/**
 * The JetStream stream every probe publishes its samples into and every shard owner consumes
 * from. The hub declares it (probes only publish; they need no right to manage streams).
 *
 * - duplicate window 2 min: a probe republishing a sample whose PubAck it lost (a reconnect, a
 *   timeout) does so within seconds, so JetStream drops the copy by its message id; a copy
 *   after a longer outage is dropped by the hub (recent seqs, the store's (probe, seq) key).
 * - limits, not a work queue: acked samples stay until the limits prune them, so an owner whose
 *   store was restored can be replayed from a stream sequence.
 * - 6 h or 2 GiB, the oldest discarded first: a buffer for hub outages, the size of the raw history.
 * - file storage: the samples survive a restart of the NATS server.
 */
export const SAMPLE_STREAM_CONFIG = {
  name: SAMPLE_STREAM,
  subjects: [SAMPLE_SUBJECTS],
  retention: RetentionPolicy.Limits,
  storage: StorageType.File,
  discard: DiscardPolicy.Old,
  max_age: nanos(6 * 3_600_000),
  max_bytes: 2 * 1024 ** 3,
  duplicate_window: nanos(2 * 60_000),
} satisfies Partial<StreamConfig> & { name: string };

/** Creates the stream, or brings an existing one to this configuration (a hub of a newer version changed it). */
export async function ensureSampleStream(jsm: JetStreamManager): Promise<void> {
  try {
    await jsm.streams.info(SAMPLE_STREAM);
  } catch {
    await jsm.streams.add(SAMPLE_STREAM_CONFIG);
    return;
  }
  const { name, storage: _immutable, ...mutable } = SAMPLE_STREAM_CONFIG;
  await jsm.streams.update(name, mutable);
}
