/**
 * Which of each probe's latest `window` seqs were applied, exactly: a sample JetStream delivers
 * again (an ack lost or late, a copy published after the duplicate window) is not fed to the
 * detector twice. Exact membership rather than a high-water mark because one probe's samples reach
 * the hub over many shards, and inside one shard a republished batch may land after a later one:
 * a high-water mark would drop those samples as duplicates.
 *
 * A probe numbers its samples contiguously (probes/uplink/buffer.ts), so the window is its last
 * `window` samples (more, when this hub owns only some of the shards). One bit per seq in a ring:
 * no allocation per sample, where a Set of seqs seeded from the wall clock (numbers beyond the
 * small-integer range) allocated one heap number per sample and a hash table the garbage collector
 * kept walking. A seq older than the window is not remembered (`has` answers false).
 */
export class RecentSeqs {
  private readonly window: number;
  private readonly byProbe = new Map<string, { newest: number; bits: Uint32Array }>();

  constructor(window = 65_536) {
    if (!Number.isSafeInteger(window) || window < 32 || window % 32 !== 0) throw new RangeError(`the window must be a multiple of 32, got ${window}`);
    this.window = window;
  }

  has(probe: string, seq: number): boolean {
    const r = this.byProbe.get(probe);
    if (!r || seq > r.newest || seq <= r.newest - this.window) return false;
    const i = seq % this.window;
    return (r.bits[i >>> 5]! & (1 << (i & 31))) !== 0;
  }

  /** Remembers a seq; a newer one slides the window, forgetting the seqs it leaves behind. */
  add(probe: string, seq: number): void {
    let r = this.byProbe.get(probe);
    if (!r) this.byProbe.set(probe, (r = { newest: seq, bits: new Uint32Array(this.window / 32) }));
    if (seq > r.newest) {
      if (seq - r.newest >= this.window) r.bits.fill(0);
      else for (let s = r.newest + 1; s <= seq; s++) this.clear(r.bits, s % this.window);
      r.newest = seq;
    } else if (seq <= r.newest - this.window) {
      return;
    }
    const i = seq % this.window;
    r.bits[i >>> 5]! |= 1 << (i & 31);
  }

  private clear(bits: Uint32Array, i: number): void {
    bits[i >>> 5]! &= ~(1 << (i & 31));
  }
}
