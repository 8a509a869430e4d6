import { z } from 'zod';
import { checkStored } from '../store/stored-record.ts';
import type { LineControlState } from './types.ts';

/**
 * What of a stream's control state outlives the hub process (ControlStateRepository): the line
 * the policy decided and the one served, operator pins (who, why, until), a failback hold, and
 * the switch and failover times of the last hour that flap damping counts. What is derived from
 * live health (noHealthySince, pinWarned) starts afresh, as do feature states (features follow
 * the open incidents, which the hub restores itself).
 */
export const PersistedControlSchema = z.strictObject({
  active: z.string().min(1),
  since: z.number(),
  /** The line the built-in actuator served (in dry-run it stays where it was). */
  served: z.string().min(1).optional(),
  switches: z.array(z.number()),
  failovers: z.array(z.number()),
  hold: z.strictObject({ since: z.number(), reason: z.string() }).optional(),
  pin: z.strictObject({ value: z.string().min(1), until: z.number(), reason: z.string(), by: z.string(), at: z.number() }).optional(),
});

export type PersistedControl = z.infer<typeof PersistedControlSchema>;

/** The document saved for a stream. */
export function persistedControl(line: LineControlState, served: string | undefined): PersistedControl {
  const doc: PersistedControl = { active: line.active, since: line.since, switches: [...line.switches], failovers: [...line.failovers] };
  if (served !== undefined) doc.served = served;
  if (line.hold) doc.hold = { ...line.hold };
  if (line.pin) doc.pin = { ...line.pin };
  return doc;
}

/**
 * The line state a restarted hub starts a stream with, from its saved document; undefined when
 * the document names a line the stream no longer has (the stream then starts afresh). A pin of a
 * line that left the config is dropped; an expired pin is kept and expires on the next evaluation
 * (so its expiry is recorded like any other).
 */
export function restoredLine(stream: string, data: unknown, lines: readonly string[], fresh: LineControlState): { line: LineControlState; served: string | undefined } | undefined {
  const doc = checkStored(PersistedControlSchema, data, `control state of stream "${stream}"`);
  if (!lines.includes(doc.active)) return undefined;
  const line: LineControlState = { ...fresh, active: doc.active, since: doc.since, switches: doc.switches, failovers: doc.failovers };
  if (doc.hold) line.hold = doc.hold;
  if (doc.pin && lines.includes(doc.pin.value)) line.pin = doc.pin;
  return { line, served: doc.served !== undefined && lines.includes(doc.served) ? doc.served : undefined };
}
