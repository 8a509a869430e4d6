import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UplinkBuffer } from '../../probes/uplink/buffer.ts';
import type { Sample } from '../../src/model/sample.ts';

/** The probe's buffer acked one sample at a time, in any order (JetStream's PubAcks), in memory and on disk. */

function sample(): Sample {
  return { probe: 'probe-eu', region: 'eu', stream: 's1', line: 'primary', seq: 0, t: Date.now(), windowMs: 1000, connected: true, fps: 25, bitrateBps: 1e6, maxGapMs: 40, stallMs: 0, freezeMs: 0 };
}

const seqs = (samples: Sample[]) => samples.map((s) => s.seq);

describe('UplinkBuffer acked one by one', () => {
  it('a sample acked out of order is no longer taken nor counted; the cumulative mark moves once the older ones are acked', () => {
    const b = new UplinkBuffer({ seqStart: 1 });
    for (let i = 0; i < 5; i++) b.push(sample());
    b.ackOne(3);
    b.ackOne(2);
    expect([b.size, b.acked, b.oldest, seqs(b.take(-1, 10))]).toEqual([3, -1, 1, [1, 4, 5]]);
    b.ackOne(1);
    expect([b.size, b.acked, b.oldest, seqs(b.take(-1, 10))]).toEqual([2, 3, 4, [4, 5]]);
    b.ackOne(5);
    b.ackOne(5);
    b.ackOne(2);
    expect([b.size, b.acked]).toEqual([1, 3]);
    b.ackOne(4);
    expect([b.size, b.acked, b.oldest, b.inMemory]).toEqual([0, 5, undefined, 0]);
  });

  it('out-of-order acks of spilled samples: skipped when read back, and the segment leaves once all of it is acked', () => {
    const spillDir = mkdtempSync(join(tmpdir(), 'sg-buffer-acks-'));
    const b = new UplinkBuffer({ seqStart: 100, maxInMemory: 10, spillDir });
    for (let i = 0; i < 14; i++) b.push(sample());
    expect(b.spilled).toBeGreaterThan(0);
    b.ackOne(101);
    b.ackOne(102);
    expect(seqs(b.take(-1, 4))).toEqual([100, 103, 104, 105]);
    expect(b.size).toBe(12);
    for (let seq = 113; seq >= 100; seq--) b.ackOne(seq);
    expect([b.size, b.acked]).toEqual([0, 113]);
    expect(readdirSync(spillDir).filter((f) => f.startsWith('seg-'))).toEqual([]);
  });

  it('samples dropped for room: the acks above them count, a late ack of a dropped one is ignored', () => {
    const b = new UplinkBuffer({ seqStart: 1, maxInMemory: 10 });
    for (let i = 0; i < 10; i++) b.push(sample());
    b.ackOne(2);
    b.ackOne(3);
    expect(b.size).toBe(8);
    b.push(sample()); // full without a spill dir: the oldest tenth, seq 1 (unacked), is dropped
    expect([b.dropped, b.size, b.acked, b.oldest]).toEqual([1, 8, 3, 4]);
    b.ackOne(1);
    b.ackOne(4);
    expect([b.size, b.acked, b.oldest]).toEqual([7, 4, 5]);
  });
});
