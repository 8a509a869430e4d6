import type { Ownership } from '../cluster/ownership.ts';
import type { Logger } from '../common/log.ts';
import { FencedError, type Fence } from '../store/fence.ts';

/** How a fenced write went: made, skipped (this hub does not act on the stream now), or refused by the store. */
export type FencedOutcome = 'written' | 'not-acting' | 'refused';

/**
 * Runs one of the controller's writes for `stream` under the fence of its shard, taken right
 * before it (Ownership.actingOn). Not acting: skipped, logged at debug. Refused (another hub took
 * the shard over, and the store says so): logged at warn with the shard, the stale epoch and who
 * holds it now, never retried. Any other failure is thrown.
 */
export async function fencedWrite(ownership: Ownership, stream: string, what: string, log: Logger | undefined, write: (fence: Fence | undefined) => Promise<void>): Promise<FencedOutcome> {
  const acting = ownership.actingOn(stream);
  if (!acting) {
    log?.debug({ stream }, `control: ${what} skipped: this hub does not act on the stream now`);
    return 'not-acting';
  }
  try {
    await write(acting.fence);
    return 'written';
  } catch (err) {
    if (!(err instanceof FencedError)) throw err;
    log?.warn({ stream, shard: err.fence.shard, epoch: err.fence.epoch, holder: err.holder }, `control: ${what} refused: ${err.message}`);
    return 'refused';
  }
}
