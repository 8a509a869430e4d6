import type { Fence } from '../store/fence.ts';

/**
 * Which streams this hub acts on, and the fence each side effect of theirs carries
 * (docs/architecture.md "Cluster"). The one port every module that acts takes — the hub core,
 * the controller, the tickets, the metrics — so none of them knows whether it runs alone or
 * in a cluster.
 *
 * A lone hub acts on every stream and fences nothing (`soleOwnership`); a hub of a cluster acts
 * on the streams of the shards it leases, under each lease's epoch, and on nothing else
 * (src/cluster/leased-ownership.ts).
 */
export interface Ownership {
  /**
   * Whether this hub may act on `stream` now, and the fence to put on the write that records or
   * causes the effect. Undefined: it may not (another hub owns the shard, or this hub's lease is
   * past its acting deadline) — decide nothing, write nothing, call nothing.
   */
  actingOn(stream: string): Acting | undefined;
  /** Whether `stream` is this hub's to watch (its detector state, its incidents, its metrics). */
  owns(stream: string): boolean;
  /**
   * Tells `listener` whenever shards change hands here. Listeners run in subscription order and
   * are awaited: a shard's samples are consumed only after every listener adopted it.
   */
  subscribe(listener: OwnershipListener): void;
}

export interface Acting {
  /** Undefined on a lone hub: its store is its own, nothing to fence. */
  fence: Fence | undefined;
}

export interface OwnershipListener {
  /** This hub now owns these streams (a shard taken): rebuild their state from the store. */
  adopt(streams: readonly string[]): Promise<void>;
  /** This hub no longer owns these streams (a shard lost or given up): forget them, resolve nothing. */
  release(streams: readonly string[]): void;
}

const ACTING_ALONE: Acting = { fence: undefined };

/** A hub that runs alone: every stream is its own, from the start, and never changes hands. */
export const soleOwnership: Ownership = {
  actingOn: () => ACTING_ALONE,
  owns: () => true,
  subscribe: () => undefined,
};
