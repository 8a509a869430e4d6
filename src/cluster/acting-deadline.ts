import type { LeaseConfig } from './config-schema.ts';

/**
 * Until when (the hub's monotonic clock) a hub may act on a lease that a statement it sent at
 * `sentAt` (same clock) took or renewed.
 *
 * The database set expires_at = its now() + expireMs, and its now() was read after the statement
 * left the hub, so no other hub can take the shard before expireMs has passed since `sentAt` —
 * by the database's clock. The hub measures only that interval on its own clock, so an offset
 * between the clocks does not matter; a difference in their rates does, and so does a timer that
 * fires late: driftMarginMs covers both. A write the hub starts before this deadline but that
 * reaches the store after a takeover (a pause between the check and the write) is refused by its
 * fence (src/store/fence.ts): the deadline keeps two hubs from acting at once, the fence keeps a
 * late effect of the old one out.
 */
export function actingDeadline(sentAt: number, config: Pick<LeaseConfig, 'expireMs' | 'driftMarginMs'>): number {
  return sentAt + config.expireMs - config.driftMarginMs;
}
