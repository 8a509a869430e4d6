import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../src/common/log.ts';
import type { Sample } from '../../src/model/sample.ts';

/**
 * The probe's unacked samples, oldest first, bounded.
 *
 * Every sample gets the uplink's own per-probe seq here (strictly increasing, contiguous), seeded
 * from max(wall clock ms, newest spilled seq + 1) so a restarted probe keeps increasing and the
 * hub's dedup on seq stays correct. Samples stay until acked: cumulatively (`ack`, the hub's
 * WebSocket acks) or one by one in any order (`ackOne`, JetStream's PubAcks); a sample acked out
 * of order is no longer taken nor counted, and leaves when everything older has been acked.
 *
 * Memory holds up to `maxInMemory` samples. When full:
 * - with a spill dir, the oldest half goes to a segment file `seg-<first>-<last>.jsonl` (the
 *   spill is bounded by `maxSpillBytes`; past it the oldest segment is dropped and counted);
 * - without, the oldest tenth is dropped and counted (a probe must never run out of memory).
 * `persist()` writes what memory holds to a segment at shutdown; a probe started on the same
 * spill dir resends every segment before its new samples.
 */

export interface UplinkBufferOptions {
  maxInMemory?: number;
  spillDir?: string;
  maxSpillBytes?: number;
  logger?: Logger;
  /** Seed for seq (default Date.now()). */
  seqStart?: number;
}

interface Segment {
  file: string;
  first: number;
  last: number;
  bytes: number;
}

const SEGMENT = /^seg-(\d+)-(\d+)\.jsonl$/;
/** The highest acked seq at the last persist(), so a restart does not resend those. */
const ACKED_FILE = 'acked';

export class UplinkBuffer {
  readonly maxInMemory: number;
  private readonly spillDir: string | undefined;
  private readonly maxSpillBytes: number;
  private readonly log: Logger | undefined;
  private mem: Sample[] = [];
  /** Acked samples still at the front of `mem`: cut off in one go once they are half of it (one splice per ack costs O(mem) each). */
  private memAcked = 0;
  private segments: Segment[] = [];
  /** The one segment read back into memory for sending. */
  private cached: { seg: Segment; samples: Sample[] } | undefined;
  private ackedSeq = -1;
  /** Seqs acked one by one above `ackedSeq` (at most the publisher's window of them). */
  private ackedAbove = new Set<number>();
  private next: number;
  /** Samples lost to the bounds (never sent or never acked). */
  dropped = 0;
  spilled = 0;

  constructor(opts: UplinkBufferOptions = {}) {
    this.maxInMemory = Math.max(10, opts.maxInMemory ?? 100_000);
    this.spillDir = opts.spillDir;
    this.maxSpillBytes = opts.maxSpillBytes ?? 1024 * 1024 * 1024;
    this.log = opts.logger;
    let newest = -1;
    if (this.spillDir) {
      mkdirSync(this.spillDir, { recursive: true });
      for (const name of readdirSync(this.spillDir)) {
        const m = SEGMENT.exec(name);
        if (!m) continue;
        const file = join(this.spillDir, name);
        this.segments.push({ file, first: Number(m[1]), last: Number(m[2]), bytes: statSync(file).size });
      }
      this.segments.sort((a, b) => a.first - b.first);
      const ackedFile = join(this.spillDir, ACKED_FILE);
      if (existsSync(ackedFile)) {
        const acked = Number(readFileSync(ackedFile, 'utf8').trim());
        if (Number.isSafeInteger(acked)) this.ack(acked);
      }
      newest = this.segments.at(-1)?.last ?? -1;
      const count = this.size;
      if (count > 0) this.log?.info({ segments: this.segments.length, samples: count, spillDir: this.spillDir }, 'unacked samples from a previous run found on disk; they are sent first');
    }
    this.next = Math.max(opts.seqStart ?? Date.now(), newest + 1);
  }

  /** Stamps the next seq on the sample and keeps it until acked. */
  push(sample: Sample): Sample {
    if (this.mem.length - this.memAcked >= this.maxInMemory) this.overflow();
    sample.seq = this.next++;
    this.mem.push(sample);
    return sample;
  }

  /** The hub has every seq ≤ `seq`. */
  ack(seq: number): void {
    if (seq <= this.ackedSeq) return;
    for (const a of this.ackedAbove) if (a <= seq) this.ackedAbove.delete(a);
    this.ackCumulative(seq);
  }

  private ackCumulative(seq: number): void {
    this.ackedSeq = seq;
    while (this.segments.length > 0 && this.segments[0]!.last <= seq) this.removeSegment(this.segments[0]!);
    let i = this.memAcked;
    while (i < this.mem.length && this.mem[i]!.seq <= seq) i++;
    this.memAcked = i;
    if (this.memAcked * 2 >= this.mem.length) this.compactMem();
  }

  /** The sample `seq` alone is stored (acks may come in any order); everything older acked too moves the cumulative mark. */
  ackOne(seq: number): void {
    const first = this.oldest;
    if (first === undefined || seq < first || this.ackedAbove.has(seq)) return; // acked already, or dropped
    this.ackedAbove.add(seq);
    this.settleAcked();
  }

  /** Moves the cumulative mark over the oldest held samples that were acked one by one. */
  private settleAcked(): void {
    let upTo: number | undefined;
    for (let next = this.oldest; next !== undefined && this.ackedAbove.delete(next); next = this.firstHeldAfter(next)) upTo = next;
    if (upTo !== undefined) this.ackCumulative(upTo);
  }

  get acked(): number {
    return this.ackedSeq;
  }

  /** Next seq to be stamped. Never goes down; `atLeast` moves it up (e.g. hub knows a higher one). */
  nextSeq(atLeast?: number): number {
    if (atLeast !== undefined && atLeast > this.next) this.next = atLeast;
    return this.next;
  }

  /** Unacked samples held (memory + disk). */
  get size(): number {
    let n = this.mem.length - this.memAcked - this.ackedAbove.size;
    for (const s of this.segments) n += Math.max(0, s.last - Math.max(s.first, this.ackedSeq + 1) + 1);
    return n;
  }

  get inMemory(): number {
    return this.mem.length - this.memAcked;
  }

  /** The oldest unacked seq held. */
  get oldest(): number | undefined {
    return this.firstHeldAfter(this.ackedSeq);
  }

  /** Up to `n` unacked samples with seq > `after`, oldest first (disk segments, then memory). */
  take(after: number, n: number): Sample[] {
    const from = Math.max(after, this.ackedSeq);
    const out: Sample[] = [];
    const wanted = (s: Sample) => s.seq > from && !this.ackedAbove.has(s.seq);
    for (const seg of this.segments) {
      if (seg.last <= from) continue;
      for (const s of this.read(seg)) {
        if (wanted(s)) out.push(s);
        if (out.length >= n) return out;
      }
    }
    for (let i = indexAfter(this.mem, from); i < this.mem.length && out.length < n; i++) if (wanted(this.mem[i]!)) out.push(this.mem[i]!);
    return out;
  }

  /** Writes what memory holds to the spill dir (at shutdown). False without a spill dir. */
  persist(): boolean {
    if (!this.spillDir) return false;
    this.compactMem();
    if (this.mem.length > 0) this.spill(this.mem.length);
    if (this.segments.length > 0) writeFileSync(join(this.spillDir, ACKED_FILE), `${this.ackedSeq}\n`);
    else rmSync(join(this.spillDir, ACKED_FILE), { force: true });
    return true;
  }

  /** The first seq held above `seq` (disk segments, then memory), acked one by one or not. */
  private firstHeldAfter(seq: number): number | undefined {
    for (const seg of this.segments) {
      if (seg.last <= seq) continue;
      const samples = this.read(seg);
      const s = samples[indexAfter(samples, seq)];
      if (s) return s.seq;
    }
    return this.mem[indexAfter(this.mem, seq)]?.seq;
  }

  private compactMem(): void {
    if (this.memAcked === 0) return;
    this.mem.splice(0, this.memAcked);
    this.memAcked = 0;
  }

  private overflow(): void {
    this.compactMem();
    if (this.spillDir) {
      this.spill(Math.ceil(this.mem.length / 2));
      return;
    }
    const n = Math.max(1, Math.ceil(this.mem.length / 10));
    this.forget(this.mem[0]!.seq, this.mem[n - 1]!.seq);
    this.mem.splice(0, n);
    this.dropped += n;
    this.settleAcked();
    this.log?.warn({ dropped: n, totalDropped: this.dropped, maxInMemory: this.maxInMemory }, 'uplink buffer full and no spill dir: oldest unacked samples dropped');
  }

  private spill(n: number): void {
    const part = this.mem.slice(0, n);
    const first = part[0]!.seq;
    const last = part.at(-1)!.seq;
    const file = join(this.spillDir!, `seg-${first}-${last}.jsonl`);
    const text = part.map((s) => JSON.stringify(s)).join('\n') + '\n';
    try {
      writeFileSync(file, text);
    } catch (err) {
      this.log?.error({ err, file }, 'cannot spill to disk: oldest samples dropped instead');
      this.forget(first, last);
      this.mem.splice(0, n);
      this.dropped += n;
      this.settleAcked();
      return;
    }
    this.mem.splice(0, n);
    this.spilled += n;
    this.segments.push({ file, first, last, bytes: Buffer.byteLength(text) });
    let total = this.segments.reduce((b, s) => b + s.bytes, 0);
    while (total > this.maxSpillBytes && this.segments.length > 1) {
      const oldest = this.segments[0]!;
      total -= oldest.bytes;
      this.dropped += oldest.last - oldest.first + 1;
      this.log?.warn({ file: oldest.file, maxSpillBytes: this.maxSpillBytes }, 'spill dir over its limit: oldest segment dropped');
      this.forget(oldest.first, oldest.last);
      this.removeSegment(oldest);
      this.settleAcked();
    }
  }

  /** Dropped samples' seqs leave the one-by-one acks too (the counts stay right). */
  private forget(first: number, last: number): void {
    for (const a of this.ackedAbove) if (a >= first && a <= last) this.ackedAbove.delete(a);
  }

  private read(seg: Segment): Sample[] {
    if (this.cached?.seg === seg) return this.cached.samples;
    let samples: Sample[] = [];
    try {
      samples = readFileSync(seg.file, 'utf8')
        .split('\n')
        .filter((l) => l.length > 0)
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as Sample];
          } catch {
            return []; // a torn last line after a crash
          }
        });
    } catch (err) {
      this.log?.error({ err, file: seg.file }, 'cannot read a spilled segment: its samples are lost');
    }
    this.cached = { seg, samples };
    return samples;
  }

  private removeSegment(seg: Segment): void {
    this.segments = this.segments.filter((s) => s !== seg);
    if (this.cached?.seg === seg) this.cached = undefined;
    rmSync(seg.file, { force: true });
  }
}

/** Index of the first sample with a seq above `seq` in samples sorted by seq (binary search). */
function indexAfter(samples: readonly Sample[], seq: number): number {
  let lo = 0;
  let hi = samples.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (samples[mid]!.seq <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
