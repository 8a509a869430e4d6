import { ResolveCauseSchema, type TimelineEntry } from '../model/incident.ts';
import type { TicketMessage } from './types.ts';

/**
 * Why an incident's latest resolve was no fix, from its timeline (or the entries of the change
 * that resolved it): its last `resolved` entry names a ResolveCause (e.g. `removed-from-config`).
 * Undefined for a fault that cleared or a resolve by hand: those a vendor may take at their word.
 */
export function resolutionOf(timeline: readonly TimelineEntry[]): TicketMessage['resolution'] {
  const last = timeline.filter((e) => e.type === 'resolved').at(-1);
  const cause = ResolveCauseSchema.safeParse(last?.data.cause);
  if (!last || !cause.success) return undefined;
  const note = last.data.note;
  return { cause: cause.data, ...(typeof note === 'string' && { note }) };
}
