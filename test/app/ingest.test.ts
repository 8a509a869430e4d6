import { describe, expect, it } from 'vitest';
import { createIngest } from '../../src/ingest/ingest.ts';
import type { Sample } from '../../src/model/sample.ts';
import { until } from '../helpers/until.ts';

function sample(seq: number): Sample {
  return { probe: 'p', region: 'eu', stream: 's1', line: 'primary', seq, t: seq * 1000, windowMs: 1000, connected: true, fps: 25, bitrateBps: 1e6, maxGapMs: 40, stallMs: 0, freezeMs: 0 };
}

describe('ingest', () => {
  it('writes in batches of maxBatch and keeps every accepted sample when the store fails', async () => {
    const written: number[][] = [];
    let failing = false;
    const fed: number[] = [];
    const ingest = createIngest({
      history: {
        append: async (b) => {
          if (failing) throw new Error('disk full');
          written.push(b.map((s) => s.seq));
        },
      },
      onSample: (s) => fed.push(s.seq),
      maxBatch: 3,
      maxBacklog: 5,
    });
    for (let i = 1; i <= 4; i++) expect(ingest.ingest(sample(i), { trusted: true })).toEqual({ ok: true });
    await ingest.flush(); // shares the automatic write, not started yet when the 4th came: one batch
    expect(written).toEqual([[1, 2, 3, 4]]);
    expect(ingest.pending).toBe(0);

    failing = true;
    ingest.ingest(sample(4.5), { trusted: true });
    await expect(ingest.flush()).rejects.toThrow('disk full');
    expect(ingest.pending).toBe(1);
    ingest.ingest(sample(5), { trusted: true });
    ingest.ingest(sample(6), { trusted: true }); // batch full: the write fails, the samples stay queued
    await expect(ingest.flush()).rejects.toThrow('disk full'); // shares the automatic write
    expect(ingest.pending).toBe(3);
    ingest.ingest(sample(7), { trusted: true }); // no retry per sample: the next try is one batch later
    ingest.ingest(sample(8), { trusted: true });
    const refused = ingest.ingest(sample(9), { trusted: true });
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.error).toMatch(/backlog full/);

    failing = false;
    expect(await ingest.flush()).toBe(5);
    expect(written).toEqual([[1, 2, 3, 4], [4.5, 5, 6, 7, 8]]);
    expect(fed).toEqual([1, 2, 3, 4, 4.5, 5, 6, 7, 8]);
    expect(ingest.stats).toMatchObject({ accepted: 9, rejected: 1, written: 9, failedFlushes: 2 });
  });

  it('a flush called while a write is in flight resolves only once everything queued before it is durable, also a batch that write failed to store', async () => {
    const written: number[][] = [];
    const gates: { release: () => void; fail: (e: Error) => void }[] = [];
    const ingest = createIngest({
      history: {
        append: (b) =>
          new Promise<void>((resolve, reject) => {
            gates.push({ release: () => (written.push(b.map((s) => s.seq)), resolve()), fail: reject });
          }),
      },
      onSample: () => undefined,
    });
    ingest.ingest(sample(1), { trusted: true });
    const first = ingest.flush();
    await Promise.resolve();
    ingest.ingest(sample(2), { trusted: true });
    const second = ingest.flush();
    expect(ingest.flush()).toBe(second); // shares the write not started yet
    expect(gates).toHaveLength(1);
    expect(ingest.pending).toBe(2);
    gates[0]!.fail(new Error('connection lost'));
    await expect(first).rejects.toThrow('connection lost');
    await until('the second write', () => gates.length === 2);
    gates[1]!.release();
    expect(await second).toBe(2);
    expect(written).toEqual([[1, 2]]);
    expect(ingest.pending).toBe(0);
  });

  it('names every bad field of an untrusted sample', () => {
    const ingest = createIngest({ history: { append: async () => undefined }, onSample: () => undefined });
    const r = ingest.ingest({ ...sample(1), connected: 'yes', windowMs: -1 });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/^invalid sample: windowMs: .*; connected: /);
    expect(ingest.ingest(null).ok).toBe(false);
    expect(ingest.pending).toBe(0);
  });
});
