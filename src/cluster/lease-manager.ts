import { performance } from 'node:perf_hooks';
import { log, type Logger } from '../common/log.ts';
import type { Fence } from '../store/fence.ts';
import { actingDeadline } from './acting-deadline.ts';
import { planBalance } from './balance.ts';
import type { LeaseConfig } from './config-schema.ts';
import type { HubHeartbeats, ShardLease, ShardLeases } from '../store/cluster-ports.ts';

/** Told when this hub starts and stops acting on a shard (the sample consumer and the detectors follow it). */
export interface LeaseListener {
  own(shard: number, epoch: number): void;
  /** May resolve once the shard is let go of here (stop() waits for it before releasing the lease). */
  release(shard: number): void | Promise<void>;
}

export interface LeaseManagerOptions {
  hub: string;
  config: LeaseConfig;
  /** How many shards the streams are hashed into (uplink.nats.shardCount); every hub of a cluster must agree. */
  shards: number;
  leases: ShardLeases;
  heartbeats: HubHeartbeats;
  listener: LeaseListener;
  /** Monotonic milliseconds (default performance.now): deadlines are intervals on this hub's clock only. */
  clock?: () => number;
  logger?: Logger;
}

interface Held {
  lease: ShardLease;
  /** The acting deadline, on `clock`. */
  until: number;
}

/**
 * A hub's leases: every renewMs it beats, renews what it holds, and takes or gives up shards
 * towards its fair share (src/cluster/balance.ts). The decisions are pure; this is the loop.
 *
 * It stops acting on a shard at the acting deadline (src/cluster/acting-deadline.ts) whether or
 * not its statements come back: a timer, not the loop, drops what passed it, so a hub whose
 * database is unreachable (statements hanging) still lets go before another hub can take over.
 */
export class LeaseManager {
  private readonly held = new Map<number, Held>();
  /** Shards taken that another hub had held before (a takeover or a handover, not a first claim), since start. */
  takeovers = 0;
  private readonly clock: () => number;
  private readonly logger: Logger;
  private running = false;
  private tickTimer: NodeJS.Timeout | undefined;
  private lossTimer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(private readonly opts: LeaseManagerOptions) {
    this.clock = opts.clock ?? (() => performance.now());
    this.logger = opts.logger ?? log;
  }

  start(): void {
    if (this.running) throw new Error(`lease manager of ${this.opts.hub}: already started`);
    this.running = true;
    this.schedule(0);
  }

  /**
   * Stops the loop (after the round in flight), stops acting on every shard and waits for the
   * listener to let go of them (its samples consumed and written), then releases them and leaves,
   * so that others take them at once instead of after the expiry.
   */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.tickTimer);
    await this.ticking;
    clearTimeout(this.lossTimer);
    const leases = [...this.held.values()].map((h) => h.lease);
    await Promise.all(leases.map((lease) => this.drop(lease.shard)));
    for (const lease of leases) await this.opts.leases.release(lease);
    await this.opts.heartbeats.leave(this.opts.hub);
  }

  /** The fence to put on a side effect of `shard`'s streams, while this hub may act on it; otherwise undefined: do not act. */
  fenceFor(shard: number): Fence | undefined {
    const held = this.held.get(shard);
    if (held === undefined || this.clock() >= held.until) return undefined;
    return { shard, epoch: held.lease.epoch, owner: this.opts.hub };
  }

  /** The shards this hub acts on now, each with its lease's epoch. */
  leases(): { shard: number; epoch: number }[] {
    return this.shards().map((shard) => ({ shard, epoch: this.held.get(shard)!.lease.epoch }));
  }

  /** The shards this hub acts on now. */
  shards(): number[] {
    return [...this.held.keys()].filter((shard) => this.fenceFor(shard) !== undefined).sort((a, b) => a - b);
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.tickTimer = setTimeout(() => {
      this.ticking = this.tick()
        .finally(() => this.armLossTimer())
        .catch((err: unknown) => this.logger.warn({ err }, `lease manager of ${this.opts.hub}: a round failed; its leases stand until their deadline`))
        .finally(() => {
          this.ticking = undefined;
          this.schedule(this.opts.config.renewMs);
        });
    }, delayMs);
  }

  private async tick(): Promise<void> {
    const { hub, config, leases, heartbeats } = this.opts;
    this.dropPastDeadline();
    await heartbeats.beat(hub);
    await this.renew();
    const liveHubs = await heartbeats.live();
    const rows = await leases.owners();
    const plan = planBalance({ self: hub, shards: this.opts.shards, liveHubs, leases: rows, held: new Set(this.held.keys()) });
    for (const shard of plan.release) {
      const held = this.held.get(shard)!;
      this.drop(shard);
      await leases.release(held.lease);
    }
    for (const shard of plan.acquire) {
      if (!this.running) return;
      const sentAt = this.clock();
      const lease = await leases.acquire(shard, hub);
      if (lease === undefined) continue;
      const before = rows.find((r) => r.shard === shard);
      if (before !== undefined && before.owner !== hub) this.takeovers++;
      this.held.set(shard, { lease, until: actingDeadline(sentAt, config) });
      this.armLossTimer(); // the round's next statement may hang
      this.opts.listener.own(shard, lease.epoch);
    }
  }

  private async renew(): Promise<void> {
    const held = [...this.held.values()];
    const sentAt = this.clock();
    const renewed = new Set(await this.opts.leases.renew(held.map((h) => h.lease)));
    for (const h of held) {
      // Dropped while the statement was out (its deadline passed): it stays dropped.
      if (this.held.get(h.lease.shard) !== h) continue;
      if (renewed.has(h.lease.shard)) h.until = actingDeadline(sentAt, this.opts.config);
      else this.drop(h.lease.shard);
    }
  }

  private dropPastDeadline(): void {
    const now = this.clock();
    for (const [shard, h] of this.held) if (now >= h.until) this.drop(shard);
  }

  /**
   * A timer at the earliest deadline, armed after every round and every shard taken: a round may
   * hang on a statement that never returns, and the shards must be dropped all the same.
   */
  private armLossTimer(): void {
    clearTimeout(this.lossTimer);
    if (this.held.size === 0) return;
    const earliest = Math.min(...[...this.held.values()].map((h) => h.until));
    this.lossTimer = setTimeout(() => {
      this.dropPastDeadline();
      this.armLossTimer();
    }, Math.max(0, earliest - this.clock()));
  }

  private drop(shard: number): void | Promise<void> {
    if (!this.held.delete(shard)) return;
    return this.opts.listener.release(shard);
  }
}
