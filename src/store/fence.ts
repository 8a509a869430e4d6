/**
 * A fencing token: the shard whose stream a side effect belongs to, the epoch of the lease under
 * which the hub decided it, and that hub. A store that shares state between hubs
 * (PostgreSQL) refuses a fenced write unless that lease is still the shard's current one, in the
 * same transaction as the write: a hub that was paused past its lease cannot act twice with
 * another hub that took the shard over (src/cluster/, docs/architecture.md "Cluster").
 */
export interface Fence {
  shard: number;
  epoch: number;
  owner: string;
}

/** Who holds a shard's lease now, as the store saw it when it refused a fenced write. */
export interface FenceHolder {
  owner: string;
  epoch: number;
}

/** A fenced write refused: its lease is no longer the shard's current one. Nothing was written. */
export class FencedError extends Error {
  override readonly name = 'FencedError';

  constructor(
    readonly fence: Fence,
    /** Undefined: the shard was never leased. */
    readonly holder: FenceHolder | undefined,
  ) {
    const now = holder ? `${holder.owner} holds epoch ${holder.epoch}` : 'the shard has no lease';
    super(`shard ${fence.shard}: the lease of ${fence.owner} at epoch ${fence.epoch} is stale (${now}); the write was refused`);
  }
}
