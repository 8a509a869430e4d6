import { actingStream } from '../cluster/incident-stream.ts';
import type { Ownership } from '../cluster/ownership.ts';
import type { Logger } from '../common/log.ts';
import { FencedError, type Fence } from '../store/fence.ts';
import type { TicketCounters } from './counters.ts';

/** What a write resolved with, when it was made. */
export interface Written<T> {
  value: T;
}

/**
 * Which incidents' tickets this hub acts on, and the writes that make them, under the fence of the
 * incident's stream (Ownership): a ticket enqueued, amended or marked, an SLA clock saved. A hub of
 * a cluster acts only on the incidents of the shards it leases; a former owner paused past its lease
 * has each of those writes refused by the store, so it neither tickets nor escalates a second time.
 */
export class TicketActing {
  constructor(
    private readonly ownership: Ownership,
    private readonly counters: TicketCounters,
    private readonly log?: Logger,
  ) {}

  /** Whether the incident is this hub's to act on now. */
  acts(incidentId: string): boolean {
    return this.ownership.actingOn(actingStream(incidentId)) !== undefined;
  }

  /** Whether the incident is this hub's to follow (its stream's shard is leased here). */
  owns(incidentId: string): boolean {
    return this.ownership.owns(actingStream(incidentId));
  }

  /**
   * Runs `write` under the fence of the incident's stream, taken right before it. Undefined when
   * it was not made: this hub does not act on the incident now (logged at debug), or the store
   * refused the fence because another hub took the shard over (logged at warn with who holds it,
   * counted, never retried: the new owner carries on). Any other failure is thrown.
   */
  async write<T>(incidentId: string, what: string, write: (fence: Fence | undefined) => Promise<T>): Promise<Written<T> | undefined> {
    const stream = actingStream(incidentId);
    const acting = this.ownership.actingOn(stream);
    if (!acting) {
      this.log?.debug({ incidentId, stream }, `tickets: ${what} skipped: this hub does not act on the stream now`);
      return undefined;
    }
    try {
      return { value: await write(acting.fence) };
    } catch (err) {
      if (!(err instanceof FencedError)) throw err;
      this.counters.stats.fenced++;
      this.log?.warn({ incidentId, stream, shard: err.fence.shard, epoch: err.fence.epoch, holder: err.holder }, `tickets: ${what} refused: ${err.message}`);
      return undefined;
    }
  }
}
