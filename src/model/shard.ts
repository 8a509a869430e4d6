/**
 * Streams hashed to shards: the one definition the probe (which subject to publish a sample on)
 * and the hub (which shards it owns and consumes) share, so both sides always agree.
 *
 * The hash is 32-bit FNV-1a over the stream id's UTF-8 bytes, reduced modulo the shard count:
 * stable across processes, versions and platforms (no seed, no runtime hash), cheap, and spread
 * well enough for short ids. Changing it, or the shard count, moves streams between shards: every
 * probe and hub of a deployment must use the same count.
 */

export const DEFAULT_SHARD_COUNT = 64;
export const MAX_SHARD_COUNT = 1024;

/** The JetStream stream holding every sample in flight from probes to the shards' owners. */
export const SAMPLE_STREAM = 'STREAMGUARD_SAMPLES';
const SUBJECT_PREFIX = 'streamguard.samples';
/** Every shard's subject: what SAMPLE_STREAM captures. */
export const SAMPLE_SUBJECTS = `${SUBJECT_PREFIX}.>`;
/**
 * Where the hubs of a cluster tell each other of the heartbeats of the probes connected to them
 * (core NATS, not stored): a probe beats over its WebSocket to one hub, but the hub owning its own
 * incidents (`probe:<id>`) may be another.
 */
export const PROBE_HEARTBEAT_SUBJECT = 'streamguard.heartbeats';

/** The NATS servers a probe or hub connects to: nats:// (or tls://) URLs, comma-separated. */
export const NATS_SERVERS = /^(nats|tls):\/\/[^\s,]+(,(nats|tls):\/\/[^\s,]+)*$/;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const utf8 = new TextEncoder();

export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET;
  // An ASCII id's UTF-8 bytes are its char codes: hashed without encoding (this runs per sample).
  let i = 0;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) break;
    hash ^= c;
    hash = Math.imul(hash, FNV_PRIME);
  }
  if (i === text.length) return hash >>> 0;
  hash = FNV_OFFSET;
  for (const byte of utf8.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

export function shardOf(streamId: string, shardCount = DEFAULT_SHARD_COUNT): number {
  if (!Number.isSafeInteger(shardCount) || shardCount < 1 || shardCount > MAX_SHARD_COUNT) throw new RangeError(`shard count must be an integer in 1..${MAX_SHARD_COUNT}, got ${shardCount}`);
  return fnv1a32(streamId) % shardCount;
}

export function shardSubject(shard: number): string {
  return `${SUBJECT_PREFIX}.${shard}`;
}

/** The JetStream message id of one sample (a message of an older probe): a probe's seq is unique, so a resend carries the same id. */
export function sampleMessageId(probe: string, seq: number): string {
  return `${probe}:${seq}`;
}

/**
 * The JetStream message id of a batch: a JSON array of one probe's samples of one shard, seqs
 * ascending. Each seq is in one batch only, and a failed batch is published again as it was, so
 * a resend carries the same id (JetStream drops it inside its duplicate window).
 */
export function batchMessageId(probe: string, firstSeq: number, lastSeq: number): string {
  return `${probe}:${firstSeq}-${lastSeq}`;
}

/** Consumer names are per shard, not per hub: a new owner resumes the durable consumer where the last ack left it. */
export function shardConsumerName(shard: number): string {
  return `shard-${shard}`;
}
