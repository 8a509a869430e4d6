import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Config } from '../config/schema.ts';
import { SAMPLE_STREAM, SAMPLE_SUBJECTS } from '../model/shard.ts';

/** `uplink.nats.stream`: its replicas and limits. */
export type SampleStreamSettings = NonNullable<Config['uplink']['nats']>['stream'];

/**
 * The JetStream stream every probe publishes its samples into and every shard owner consumes
 * from. The hub declares it (probes only publish; they need no right to manage streams).
 *
 * - duplicate window 2 min: a probe republishing a sample whose PubAck it lost (a reconnect, a
 *   timeout) does so within seconds, so JetStream drops the copy by its message id; a copy
 *   after a longer outage is dropped by the hub (recent seqs, the store's (probe, seq) key).
 * - limits, not a work queue: acked samples stay until the limits prune them, so an owner whose
 *   store was restored can be replayed from a stream sequence.
 * - `uplink.nats.stream`: 6 h or 2 GiB by default, the oldest discarded first (a buffer for hub
 *   outages, the size of the raw history), on 1 server (`replicas`: 3 or 5 on a NATS cluster).
 * - file storage: the samples survive a restart of the NATS server.
 */
export function sampleStreamConfig(s: SampleStreamSettings) {
  return {
    name: SAMPLE_STREAM,
    subjects: [SAMPLE_SUBJECTS],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    num_replicas: s.replicas,
    max_age: nanos(s.maxAge),
    max_bytes: s.maxBytes,
    duplicate_window: nanos(2 * 60_000),
  } satisfies Partial<StreamConfig> & { name: string };
}

/**
 * Creates the stream, or brings an existing one to this configuration (a hub of a newer version,
 * or new settings). An error naming the setting when NATS refuses it, or keeps fewer copies than
 * asked (a single server keeps one, whatever the replicas).
 */
export async function ensureSampleStream(jsm: JetStreamManager, settings: SampleStreamSettings): Promise<void> {
  const config = sampleStreamConfig(settings);
  const refused = (why: string) => new Error(`uplink.nats.stream (replicas ${settings.replicas}, maxBytes ${settings.maxBytes}, maxAge ${settings.maxAge} ms): ${why}`);
  let kept: number;
  try {
    let exists = true;
    await jsm.streams.info(SAMPLE_STREAM).catch(() => (exists = false));
    if (exists) {
      const { name, storage: _immutable, ...mutable } = config;
      await jsm.streams.update(name, mutable);
    } else {
      await jsm.streams.add(config);
    }
    // The servers holding a copy: the leader and its replicas (a lone server takes an update to 3 replicas and keeps 1).
    kept = 1 + ((await jsm.streams.info(SAMPLE_STREAM)).cluster?.replicas?.length ?? 0);
  } catch (err) {
    throw refused(`NATS refused the samples stream ${SAMPLE_STREAM}: ${(err as Error).message}`);
  }
  if (kept < settings.replicas) throw refused(`NATS keeps ${kept} cop${kept === 1 ? 'y' : 'ies'} of the samples stream ${SAMPLE_STREAM}, not ${settings.replicas}: is it a JetStream cluster of at least ${settings.replicas} servers?`);
}
