/**
 * The ports of a cluster of hubs sharing the streams by shard (docs/architecture.md "Cluster").
 * Storage ports beside src/store/ports.ts, used by src/cluster/. Implemented on PostgreSQL (src/store/postgres/shard-leases.ts, hub-heartbeats.ts, hub-directory.ts, stream-health.ts), whose clock
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

/** A stream's line health as its owner hub stored it (the document is the owner's `StreamHealth`). */
export interface StoredHealth {
  stream: string;
  hub: string;
  health: unknown;
  version: number;
}

/**
 * Each stream's line health as its owner last saw it: the owner writes it when it changes, the
 * other hubs read it to show streams they do not own, and follow the changes by version.
 */
export interface SharedHealthStore {
  /** Replaces the stored health of each stream, written by `hub`, each with a new version. */
  write(hub: string, entries: readonly { stream: string; health: unknown }[]): Promise<void>;
  /** The stored health of `streams` (those with none are absent). */
  read(streams: readonly string[]): Promise<StoredHealth[]>;
  /** The rows written after `version` (without their documents), and the highest version seen (`version` when none). */
  changedSince(version: number): Promise<{ rows: Omit<StoredHealth, 'health'>[]; version: number }>;
}
