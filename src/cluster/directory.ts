import { shardOf } from '../model/shard.ts';
import type { HubDirectory, ShardLeases } from '../store/cluster-ports.ts';

/** The hub that owns a stream now: the live lease holder of its shard, and where it answers (undefined: it never advertised a URL). */
export interface StreamOwner {
  hub: string;
  shard: number;
  url: string | undefined;
}

/** Who owns which stream, as the operator API asks it (src/ws/commands.ts). */
export interface StreamOwners {
  /** This hub's id. */
  readonly self: string;
  /** The live owner of `stream`'s shard; undefined while nobody holds it (a shard changing hands). */
  ownerOf(stream: string): Promise<StreamOwner | undefined>;
}

export interface ClusterDirectoryOptions {
  /** This hub's id (the owner name of its leases). */
  self: string;
  directory: HubDirectory;
  leases: Pick<ShardLeases, 'owners'>;
  /** The streams' shard count (uplink.nats.shardCount): every hub of a cluster hashes with it. */
  shardCount: number;
  /** How long one read of the leases and URLs answers ownerOf. Default 1000 ms. */
  maxAgeMs?: number;
  clock?: () => number;
}

interface Snapshot {
  at: number;
  byShard: Map<number, StreamOwner>;
}

/**
 * Each hub's advertise URL in the store, and the owner of a stream: the live lease holder of
 * shardOf(stream) with its URL. The leases and URLs are read at most once per `maxAgeMs` (callers
 * in the meantime share the read): an owner a second stale is harmless, as a hub refuses a
 * forwarded command for a stream it does not own (the caller retries).
 */
export class ClusterDirectory implements StreamOwners {
  readonly self: string;
  private readonly maxAgeMs: number;
  private readonly clock: () => number;
  private snapshot: Snapshot | undefined;
  private reading: Promise<Snapshot> | undefined;

  constructor(private readonly opts: ClusterDirectoryOptions) {
    this.self = opts.self;
    this.maxAgeMs = opts.maxAgeMs ?? 1000;
    this.clock = opts.clock ?? Date.now;
  }

  /** Records where this hub answers, for the others to forward to it (at start, once listening). */
  advertise(url: string): Promise<void> {
    this.snapshot = undefined;
    return this.opts.directory.advertise(this.self, url);
  }

  async ownerOf(stream: string): Promise<StreamOwner | undefined> {
    const shard = shardOf(stream, this.opts.shardCount);
    return (await this.current()).byShard.get(shard);
  }

  private async current(): Promise<Snapshot> {
    const s = this.snapshot;
    if (s && this.clock() - s.at < this.maxAgeMs) return s;
    return (this.reading ??= this.read().finally(() => (this.reading = undefined)));
  }

  private async read(): Promise<Snapshot> {
    const at = this.clock();
    const [leases, urls] = await Promise.all([this.opts.leases.owners(), this.opts.directory.urls()]);
    const byShard = new Map<number, StreamOwner>();
    for (const l of leases) if (l.live) byShard.set(l.shard, { hub: l.owner, shard: l.shard, url: urls.get(l.owner) });
    return (this.snapshot = { at, byShard });
  }
}

/** The directory of a hub of a cluster, on its cluster session's leases and URLs (PostgresClusterSession). */
export function clusterDirectory(self: string, session: { leases: Pick<ShardLeases, 'owners'>; directory: HubDirectory }, shardCount: number): ClusterDirectory {
  return new ClusterDirectory({ self, leases: session.leases, directory: session.directory, shardCount });
}
