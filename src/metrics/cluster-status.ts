import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * What the metrics read of a hub's part in a cluster (its lease manager), at scrape time. Only a
 * hub of a cluster has one: a lone hub exports no cluster series.
 */
export interface ClusterStatus {
  /** The shards this hub leases now, each with the fencing epoch of its lease. */
  shards(): readonly { shard: number; epoch: number }[];
  /** Shards this hub took that another hub had held before (a takeover, not a first claim), since start. */
  readonly takeovers: number;
  /** Writes the store refused because their fence was stale (another hub had taken the shard), since start. */
  readonly fenced: number;
}

const P = 'streamguard_cluster_';

/** The cluster series of `status` in `registry`. `shard` takes at most the shard count's values. */
export function registerClusterMetrics(registry: Registry, status: ClusterStatus): void {
  const registers = [registry];
  new Gauge({
    name: `${P}shards_owned`,
    help: 'shards this hub leases now (sum over the hubs: the shard count, once the leases settled)',
    registers,
    collect() {
      this.set(status.shards().length);
    },
  });
  new Gauge({
    name: `${P}lease_epoch`,
    help: "fencing epoch of this hub's lease of each shard it holds (grows at every change of hands)",
    labelNames: ['shard'],
    registers,
    collect() {
      // Reset: a shard given up must not linger with its last epoch.
      this.reset();
      for (const { shard, epoch } of status.shards()) this.set({ shard: String(shard) }, epoch);
    },
  });
  new Counter({
    name: `${P}takeovers_total`,
    help: 'shards this hub took over from a previous owner (a hub that stopped, paused or lost the database)',
    registers,
    collect() {
      this.reset();
      this.inc(status.takeovers);
    },
  });
  new Counter({
    name: `${P}fenced_writes_total`,
    help: 'writes the store refused because this hub no longer held the shard (its lease had passed to another hub)',
    registers,
    collect() {
      this.reset();
      this.inc(status.fenced);
    },
  });
}
