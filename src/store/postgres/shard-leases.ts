import type { LeaseRow, ShardLease, ShardLeases } from '../cluster-ports.ts';
import type { PostgresSession } from './session.ts';

/**
 * Shard leases (table `shard_leases`). Every time is the database's now(): a lease expires when
 * the server's clock passes expires_at, whatever the hubs' clocks say. A row is never deleted, so
 * the epoch only grows.
 */
export class PostgresShardLeases implements ShardLeases {
  constructor(
    private readonly session: PostgresSession,
    private readonly expireMs: number,
  ) {}

  async acquire(shard: number, owner: string): Promise<ShardLease | undefined> {
    // One statement: a new shard starts at epoch 1; an expired one changes hands with the epoch
    // one more, and of two hubs racing for it exactly one gets a row back.
    const { rows } = await this.session.query<{ epoch: number }>(
      `INSERT INTO shard_leases AS l (shard, owner, epoch, expires_at) VALUES ($1, $2, 1, now() + $3 * interval '1 millisecond')
       ON CONFLICT (shard) DO UPDATE SET owner = excluded.owner, epoch = l.epoch + 1, expires_at = excluded.expires_at
       WHERE l.expires_at <= now()
       RETURNING epoch`,
      [shard, owner, this.expireMs],
    );
    return rows[0] && { shard, owner, epoch: rows[0].epoch };
  }

  async renew(leases: readonly ShardLease[]): Promise<number[]> {
    if (leases.length === 0) return [];
    const { rows } = await this.session.query<{ shard: number }>(
      `UPDATE shard_leases l SET expires_at = now() + $4 * interval '1 millisecond'
       FROM unnest($1::int[], $2::text[], $3::bigint[]) AS r (shard, owner, epoch)
       WHERE l.shard = r.shard AND l.owner = r.owner AND l.epoch = r.epoch AND l.expires_at > now()
       RETURNING l.shard`,
      [leases.map((l) => l.shard), leases.map((l) => l.owner), leases.map((l) => l.epoch), this.expireMs],
    );
    return rows.map((r) => r.shard);
  }

  async release(lease: ShardLease): Promise<void> {
    await this.session.query("UPDATE shard_leases SET expires_at = '-infinity' WHERE shard = $1 AND owner = $2 AND epoch = $3", [lease.shard, lease.owner, lease.epoch]);
  }

  async owners(): Promise<LeaseRow[]> {
    const { rows } = await this.session.query<LeaseRow>('SELECT shard, owner, epoch, expires_at > now() AS live FROM shard_leases ORDER BY shard');
    return rows;
  }
}
