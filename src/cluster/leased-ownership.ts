import type { Logger } from '../common/log.ts';
import type { Commit } from '../common/reload.ts';
import { shardOf } from '../model/shard.ts';
import type { Fence } from '../store/fence.ts';
import type { LeaseListener } from './lease-manager.ts';
import { probeStream } from './owned-stream.ts';
import type { Acting, Ownership, OwnershipListener } from './ownership.ts';

/** What consumes a shard's samples (src/uplink/nats-consumer.ts NatsUplink): told after every listener adopted the shard, first when it is lost. */
export interface ShardConsumer {
  own(shard: number): Promise<void>;
  release(shard: number): Promise<void>;
}

export interface LeasedOwnershipOptions {
  /** uplink.nats.shardCount: the count the probes publish by and the leases are taken over. */
  shardCount: number;
  /** The fence of a shard while this hub may act on it (LeaseManager.fenceFor), else undefined. */
  fenceFor(shard: number): Fence | undefined;
  /** The streams of the config at start (clusterStreams): what a shard taken is made of. */
  streams: readonly string[];
  /** How soon a listener whose adopt failed (the store unreachable) is asked again, while the lease lasts. Default 1000 ms. */
  retryMs?: number;
  logger?: Logger;
}

/**
 * The Ownership of a hub of a cluster, over its shard leases (src/cluster/lease-manager.ts, whose
 * listener it is):
 *
 *   lease taken ─▶ the shard's streams (the config's as it is now) ─▶ every listener's adopt, in
 *   subscription order, awaited ─▶ the consumer owns the shard (samples flow only once all adopted)
 *   lease lost ─▶ the consumer releases the shard (stops consuming, acks what is durable) ─▶ every
 *   listener's release
 *
 * The changes run one after another, in the order the lease manager made them. A listener whose
 * adopt fails (the store unreachable) is asked again every `retryMs` while the lease lasts, and
 * the shard's samples wait: detecting without its open incidents restored would open them twice.
 * Acting is decided by the lease itself at every call (its fence, undefined past its acting
 * deadline), not by what the listeners were told: a lease lost is not acted on for a moment
 * longer while they catch up.
 */
export class LeasedOwnership implements Ownership, LeaseListener {
  private readonly listeners: OwnershipListener[] = [];
  private consumer: ShardConsumer | undefined;
  private streams: readonly string[];
  /** The shards taken, each with the streams its listeners adopted. */
  private readonly adopted = new Map<number, Set<string>>();
  private changes: Promise<void> = Promise.resolve();

  constructor(private readonly opts: LeasedOwnershipOptions) {
    this.streams = opts.streams;
  }

  actingOn(stream: string): Acting | undefined {
    const fence = this.opts.fenceFor(this.shardOf(stream));
    return fence && { fence };
  }

  owns(stream: string): boolean {
    return this.opts.fenceFor(this.shardOf(stream)) !== undefined;
  }

  subscribe(listener: OwnershipListener): void {
    this.listeners.push(listener);
  }

  /** The sample consumer (NatsUplink), told after the listeners. */
  consumeWith(consumer: ShardConsumer): void {
    this.consumer = consumer;
  }

  own(shard: number, epoch: number): void {
    this.change(`taking shard ${shard} (epoch ${epoch})`, async () => {
      const streams = this.streams.filter((s) => this.shardOf(s) === shard);
      this.adopted.set(shard, new Set(streams));
      for (const l of this.listeners) if (!(await this.adoptWhileHeld(l, streams, shard))) return;
      await this.consumer?.own(shard);
    });
  }

  release(shard: number): Promise<void> {
    return this.change(`giving up shard ${shard}`, async () => {
      await this.consumer?.release(shard);
      const streams = [...(this.adopted.get(shard) ?? [])];
      this.adopted.delete(shard);
      for (const l of this.listeners) l.release(streams);
    });
  }

  /**
   * A reload's streams: those added to a shard this hub holds are adopted; those removed leave
   * their shard's list without a release (the hub resolves their incidents as a removal).
   */
  prepareReload(streams: readonly string[]): Commit {
    return () => {
      this.streams = streams;
      const now = new Set(streams);
      for (const [shard, adopted] of this.adopted) {
        for (const s of adopted) if (!now.has(s)) adopted.delete(s);
        const added = streams.filter((s) => this.shardOf(s) === shard && !adopted.has(s));
        if (added.length === 0) continue;
        for (const s of added) adopted.add(s);
        this.change(`adopting ${added.join(', ')} of shard ${shard}`, async () => {
          for (const l of this.listeners) await l.adopt(added);
        });
      }
    };
  }

  /** Resolves once every change so far is done (the hub's stop waits for the last releases). */
  settled(): Promise<void> {
    return this.changes;
  }

  /** Whether `listener` adopted `streams`: retried while this hub holds `shard`, false once it does not. */
  private async adoptWhileHeld(listener: OwnershipListener, streams: readonly string[], shard: number): Promise<boolean> {
    for (;;) {
      try {
        await listener.adopt(streams);
        return true;
      } catch (err) {
        this.opts.logger?.error({ err, shard }, `adopting the streams of shard ${shard} failed; asking again in ${this.opts.retryMs ?? 1000} ms (its samples wait)`);
      }
      await new Promise((resolve) => setTimeout(resolve, this.opts.retryMs ?? 1000));
      if (this.opts.fenceFor(shard) === undefined) return false;
    }
  }

  private shardOf(stream: string): number {
    return shardOf(stream, this.opts.shardCount);
  }

  /** Runs `work` after the changes before it; resolves when it is done (never rejects: a failure is logged). */
  private change(what: string, work: () => Promise<void>): Promise<void> {
    this.changes = this.changes.then(work).catch((err: unknown) => this.opts.logger?.error({ err }, `${what} failed`));
    return this.changes;
  }
}

/** What of the config names the things a cluster shares by shard (the config itself is a layer above). */
export interface ClusterStreamSources {
  streams: readonly { id: string }[];
  probe: { embedded: boolean; regions: readonly string[] };
  uplink: { probes: readonly { id: string }[] };
}

/** The streams a cluster shares by shard: the config's (run-time ones included) and the pseudo-streams of its probes' own incidents. */
export function clusterStreams(config: ClusterStreamSources): string[] {
  const embedded = config.probe.embedded ? config.probe.regions.map((region) => `hub-${region}`) : [];
  return [...config.streams.map((s) => s.id), ...[...config.uplink.probes.map((p) => p.id), ...embedded].map(probeStream)];
}
