import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../src/common/log.ts';
import type { Sample } from '../../src/model/sample.ts';

/**
 * The probe's unacked samples, oldest first, bounded.
 *
 * Every sample gets the uplink's own per-probe seq here (strictly increasing, contiguous), seeded
 * from max(wall clock ms, newest spilled seq + 1) so a restarted probe keeps increasing and the
 * hub's dedup on seq stays correct. Samples stay until the hub acks them (cumulative).
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
  private segments: Segment[] = [];
  /** The one segment read back into memory for sending. */
  private cached: { seg: Segment; samples: Sample[] } | undefined;
  private ackedSeq = -1;
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
    if (this.mem.length >= this.maxInMemory) this.overflow();
    sample.seq = this.next++;
    this.mem.push(sample);
    return sample;
  }

  /** The hub has every seq ≤ `seq`. */
  ack(seq: number): void {
    if (seq <= this.ackedSeq) return;
    this.ackedSeq = seq;
    while (this.segments.length > 0 && this.segments[0]!.last <= seq) this.removeSegment(this.segments[0]!);
    let i = 0;
    while (i < this.mem.length && this.mem[i]!.seq <= seq) i++;
    if (i > 0) this.mem.splice(0, i);
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
    let n = this.mem.length;
    for (const s of this.segments) n += Math.max(0, s.last - Math.max(s.first, this.ackedSeq + 1) + 1);
    return n;
  }

  get inMemory(): number {
    return this.mem.length;
  }

  get oldest(): number | undefined {
    const s = this.segments[0];
    if (s) return Math.max(s.first, this.ackedSeq + 1);
    return this.mem[0]?.seq;
  }

  /** Up to `n` unacked samples with seq > `after`, oldest first (disk segments, then memory). */
  take(after: number, n: number): Sample[] {
    const from = Math.max(after, this.ackedSeq);
    const out: Sample[] = [];
    for (const seg of this.segments) {
      if (seg.last <= from) continue;
      for (const s of this.read(seg)) {
        if (s.seq > from) out.push(s);
        if (out.length >= n) return out;
      }
    }
    let lo = 0;
    let hi = this.mem.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.mem[mid]!.seq <= from) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.mem.length && out.length < n; i++) out.push(this.mem[i]!);
    return out;
  }

  /** Writes what memory holds to the spill dir (at shutdown). False without a spill dir. */
  persist(): boolean {
    if (!this.spillDir) return false;
    if (this.mem.length > 0) this.spill(this.mem.length);
    if (this.segments.length > 0) writeFileSync(join(this.spillDir, ACKED_FILE), `${this.ackedSeq}\n`);
    else rmSync(join(this.spillDir, ACKED_FILE), { force: true });
    return true;
  }

  private overflow(): void {
    if (this.spillDir) {
      this.spill(Math.ceil(this.mem.length / 2));
      return;
    }
    const n = Math.max(1, Math.ceil(this.mem.length / 10));
    this.mem.splice(0, n);
    this.dropped += n;
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
      this.mem.splice(0, n);
      this.dropped += n;
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
      this.removeSegment(oldest);
    }
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
