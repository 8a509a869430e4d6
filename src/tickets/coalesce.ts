import type { OutboxRow } from '../store/ports.ts';

/**
 * When an update to one vendor about one incident goes, pure: (the outbox rows of that incident
 * and vendor, now, the vendor's interval) → a plan.
 *
 * At most one update per `everyMs`: the last message the vendor got or has on its way (the open,
 * or an update) sets when the next may go; an update that would come sooner is held (a row due
 * then) and what changes meanwhile merges into the held row, so nothing is lost and the vendor
 * gets the latest state once. An urgent update (a severity change, a request by hand) goes now,
 * and takes a held one with it. A message that is no update (open, escalation, resolve) never
 * waits, but the rows of an (incident, vendor) go in order: it releases a held update first — or,
 * a resolve, takes it in (coalesce-stage.ts).
 */

/** What the rule reads of an outbox row. */
export type QueuedRow = Pick<OutboxRow, 'key' | 'action' | 'status' | 'nextAt' | 'deliveredAt'>;

export type UpdatePlan =
  /** A row of its own, due at `at` (now, or held until then). */
  | { type: 'send'; at: number }
  /** Into the held update row `into`, which is then due at `at`. */
  | { type: 'merge'; into: string; at: number };

/** The update row held back for later (pending, not due yet), if there is one. */
export function heldUpdate<R extends QueuedRow>(rows: readonly R[], now: number): R | undefined {
  return rows.filter((r) => r.action === 'update' && r.status === 'pending' && r.nextAt > now).at(-1);
}

export function planUpdate(rows: readonly QueuedRow[], now: number, everyMs: number, urgent: boolean): UpdatePlan {
  const held = heldUpdate(rows, now);
  if (held) return { type: 'merge', into: held.key, at: urgent ? now : held.nextAt };
  if (urgent || everyMs <= 0) return { type: 'send', at: now };
  let last = -Infinity;
  for (const r of rows) {
    // A failed row reached nobody; a merged one went inside a resolve, whenever that went.
    if ((r.action !== 'open' && r.action !== 'update') || r.status === 'failed' || r.status === 'merged') continue;
    last = Math.max(last, r.deliveredAt ?? r.nextAt);
  }
  return { type: 'send', at: Math.max(now, last + everyMs) };
}
