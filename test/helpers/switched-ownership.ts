import type { Acting, Ownership, OwnershipListener } from '../../src/cluster/ownership.ts';

/**
 * An Ownership a test hands over and takes back by hand: the streams in `streams` are acted on,
 * unfenced (the store of these tests is one hub's); give() and take() tell the listeners, as a
 * lease changing hands would.
 */
export class SwitchedOwnership implements Ownership {
  readonly streams = new Set<string>();
  private readonly listeners: OwnershipListener[] = [];

  actingOn(stream: string): Acting | undefined {
    return this.streams.has(stream) ? { fence: undefined } : undefined;
  }

  owns(stream: string): boolean {
    return this.streams.has(stream);
  }

  subscribe(listener: OwnershipListener): void {
    this.listeners.push(listener);
  }

  async give(...streams: string[]): Promise<void> {
    for (const s of streams) this.streams.add(s);
    for (const l of this.listeners) await l.adopt(streams);
  }

  take(...streams: string[]): void {
    for (const s of streams) this.streams.delete(s);
    for (const l of this.listeners) l.release(streams);
  }
}
