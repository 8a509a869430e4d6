/**
 * The ports of a cluster of hubs sharing the streams by shard (docs/architecture.md "Cluster").
 * Storage ports beside src/store/ports.ts, used by src/cluster/. Implemented on PostgreSQL (src/store/postgres/shard-leases.ts, hub-heartbeats.ts, hub-directory.ts), whose clock
 * alone decides when a lease or a heartbeat has expired: hubs' clocks may disagree, the
 * database's is one.
 */

/** A shard leased to a hub under a fencing epoch (it grows at every change of hands). */
export interface ShardLease {
  shard: number;
  owner: string;
  epoch: number;
}

/** A shard's lease row as the database has it; `live`: not expired by the database's clock. */
export interface LeaseRow extends ShardLease {
  live: boolean;
}

export interface ShardLeases {
  /**
   * Takes `shard` for `owner` if it was never leased, or its lease expired or was released: one
   * atomic statement, the epoch one more than the last. Undefined: someone holds it.
   */
  acquire(shard: number, owner: string): Promise<ShardLease | undefined>;
  /**
   * Extends each lease by the expiry, only for its owner at its epoch and only while not expired,
   * in one statement. Resolves the shards renewed: the others are lost.
   */
  renew(leases: readonly ShardLease[]): Promise<number[]>;
  /** Expires the lease now (only its owner at its epoch) so that another hub can take the shard at once. */
  release(lease: ShardLease): Promise<void>;
  /** Every shard ever leased, by shard. */
  owners(): Promise<LeaseRow[]>;
}

/** Which hubs are alive: each beats; a hub whose beat expired (by the database's clock) is not counted. */
export interface HubHeartbeats {
  beat(hub: string): Promise<void>;
  /** Hubs whose beat has not expired, sorted. */
  live(): Promise<string[]>;
  /** A hub leaving on purpose: no longer counted, at once. */
  leave(hub: string): Promise<void>;
}

/** Where each hub answers its API (its advertise URL): the address another hub forwards a command to. */
export interface HubDirectory {
  /** Records `hub`'s URL, replacing the one it advertised before (a restarted hub may listen elsewhere). */
  advertise(hub: string, url: string): Promise<void>;
  /** Every hub's last advertised URL, by hub. */
  urls(): Promise<Map<string, string>>;
}
