import { z } from 'zod';
import type { ServedStream } from '../actuators/builtin.ts';
import { checkStored } from '../store/stored-record.ts';
import type { LineControlState, StreamControlState } from './types.ts';

/**
 * What of a stream's control state outlives the hub process (ControlStateRepository): the line
 * the policy decided and what the built-in actuator served (line and feature flags), operator pins
 * (who, why, until) of the line and of features, a failback hold, the switch and failover times of
 * the last hour that flap damping counts, and each feature's state (who disabled it, for which
 * incidents). What follows live health alone (noHealthySince, pinWarned) starts afresh.
 */
const PinSchema = <T extends z.ZodType>(value: T) => z.strictObject({ value, until: z.number(), reason: z.string(), by: z.string(), at: z.number() });

const FeatureStateSchema = z.strictObject({
  enabled: z.boolean(),
  by: z.enum(['default', 'policy', 'operator']),
  since: z.number(),
  triggers: z.array(z.string()).optional(),
  clearSince: z.number().optional(),
  pin: PinSchema(z.boolean()).optional(),
});

export const PersistedControlSchema = z.strictObject({
  active: z.string().min(1),
  since: z.number(),
  /** What the built-in actuator served (in dry-run it stays where it was). */
  served: z.strictObject({ line: z.string().min(1), since: z.number(), features: z.record(z.string(), z.boolean()) }).optional(),
  switches: z.array(z.number()),
  failovers: z.array(z.number()),
  hold: z.strictObject({ since: z.number(), reason: z.string() }).optional(),
  pin: PinSchema(z.string().min(1)).optional(),
  features: z.record(z.string(), FeatureStateSchema),
});

export type PersistedControl = z.infer<typeof PersistedControlSchema>;

/** The document saved for a stream. */
export function persistedControl(state: StreamControlState, served: ServedStream | undefined): PersistedControl {
  const { line } = state;
  const doc: PersistedControl = { active: line.active, since: line.since, switches: [...line.switches], failovers: [...line.failovers], features: structuredClone(state.features) };
  if (served) doc.served = { line: served.active, since: served.since, features: { ...served.features } };
  if (line.hold) doc.hold = { ...line.hold };
  if (line.pin) doc.pin = { ...line.pin };
  return doc;
}

export interface RestoredControl {
  state: StreamControlState;
  /** What to serve: the saved served line (when still configured) and feature flags. */
  served: { line: string; since: number; features: Record<string, boolean> };
}

/**
 * The state a restarted hub starts a stream with, from its saved document; undefined when the
 * document names a line the stream no longer has (the stream then starts afresh). A pin of a line
 * that left the config is dropped; an expired pin is kept and expires on the next evaluation (so
 * its expiry is recorded like any other). Throws StoredRecordError, naming the stream, for a
 * document that is not one.
 */
export function restoredControl(stream: string, data: unknown, lines: readonly string[], fresh: LineControlState): RestoredControl | undefined {
  const doc = checkStored(PersistedControlSchema, data, `control state of stream "${stream}"`);
  if (!lines.includes(doc.active)) return undefined;
  const line: LineControlState = { ...fresh, active: doc.active, since: doc.since, switches: doc.switches, failovers: doc.failovers };
  if (doc.hold) line.hold = doc.hold;
  if (doc.pin && lines.includes(doc.pin.value)) line.pin = doc.pin;
  const served = doc.served && lines.includes(doc.served.line) ? doc.served : { line: doc.active, since: doc.since, features: doc.served?.features ?? {} };
  return { state: { line, features: doc.features }, served };
}
