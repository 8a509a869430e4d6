/**
 * The last `perProbe` seqs each probe's samples were applied with, exactly: a sample JetStream
 * delivers again (an ack lost or late, a copy published after the duplicate window) is not fed
 * to the detector twice. Exact membership rather than a high-water mark because one probe's
 * samples reach the hub over many shards, and inside one shard a republished batch may land
 * after a later one: a high-water mark would drop those samples as duplicates.
 */
export class RecentSeqs {
  private readonly perProbe: number;
  private readonly byProbe = new Map<string, { seen: Set<number>; order: number[]; head: number }>();

  constructor(perProbe = 65_536) {
    this.perProbe = perProbe;
  }

  has(probe: string, seq: number): boolean {
    return this.byProbe.get(probe)?.seen.has(seq) ?? false;
  }

  /** Remembers a seq, forgetting the probe's oldest one remembered when full. */
  add(probe: string, seq: number): void {
    let recent = this.byProbe.get(probe);
    if (!recent) this.byProbe.set(probe, (recent = { seen: new Set(), order: [], head: 0 }));
    if (recent.seen.has(seq)) return;
    recent.seen.add(seq);
    if (recent.order.length < this.perProbe) {
      recent.order.push(seq);
      return;
    }
    // A ring over `order`: `head` is the oldest entry, replaced by the newest.
    recent.seen.delete(recent.order[recent.head]!);
    recent.order[recent.head] = seq;
    recent.head = (recent.head + 1) % this.perProbe;
  }
}
