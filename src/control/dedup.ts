import type { ControlAction } from '../actuators/types.ts';
import type { Stage } from './pipeline.ts';

/**
 * Idempotency: an action id goes through once. Remembers the last `capacity` ids (oldest
 * forgotten first) so memory stays bounded: ids carry their decision time, so a repeat comes
 * at the same hub instant, long before its id is forgotten.
 */
export class DedupStage implements Stage {
  private readonly seen = new Set<string>();
  private readonly order: string[] = [];

  constructor(private readonly capacity = 10_000) {
    if (!(capacity >= 1)) throw new Error(`dedup capacity must be at least 1, got ${capacity}`);
  }

  exec(action: ControlAction): boolean {
    if (this.seen.has(action.id)) return false;
    this.seen.add(action.id);
    this.order.push(action.id);
    if (this.order.length > this.capacity) this.seen.delete(this.order.shift()!);
    return true;
  }
}
