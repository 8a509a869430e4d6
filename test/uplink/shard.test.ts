import { describe, expect, it } from 'vitest';
import { batchMessageId, DEFAULT_SHARD_COUNT, fnv1a32, sampleMessageId, shardOf, shardSubject } from '../../src/model/shard.ts';
import { RecentSeqs } from '../../src/uplink/recent-seqs.ts';

describe('shards', () => {
  it('hashes with 32-bit FNV-1a (the published test vectors), so every probe and hub agree', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('hashes the UTF-8 bytes of a non-ASCII id (the ASCII fast path is the same hash)', () => {
    const overBytes = (text: string) => {
      let h = 0x811c9dc5;
      for (const b of Buffer.from(text, 'utf8')) h = Math.imul(h ^ b, 0x01000193);
      return h >>> 0;
    };
    for (const id of ['stream-é', 'ストリーム', 'a😀b', 'show1', 'abc\u007f']) expect(fnv1a32(id), id).toBe(overBytes(id));
  });

  it('puts a stream in the same shard every time, spread over all 64 by default', () => {
    expect(shardOf('foobar')).toBe(0xbf9cf968 % DEFAULT_SHARD_COUNT);
    expect(shardOf('stream-é')).toBe(shardOf('stream-é'));
    const used = new Set(Array.from({ length: 2000 }, (_, i) => shardOf(`s${i}`)));
    expect(used.size).toBe(DEFAULT_SHARD_COUNT);
    expect(shardSubject(7)).toBe('streamguard.samples.7');
    expect(sampleMessageId('probe-eu', 42)).toBe('probe-eu:42');
    expect(batchMessageId('probe-eu', 42, 57)).toBe('probe-eu:42-57');
  });

  it('refuses a shard count outside 1..1024, naming it', () => {
    expect(() => shardOf('s1', 0)).toThrow('shard count must be an integer in 1..1024, got 0');
    expect(() => shardOf('s1', 1.5)).toThrow('got 1.5');
  });
});

describe('RecentSeqs', () => {
  it("remembers each probe's seqs of its window exactly, in any order; a newer seq slides the window", () => {
    const recent = new RecentSeqs(32);
    for (const seq of [5, 3, 9]) recent.add('p', seq);
    expect([3, 5, 9].map((seq) => recent.has('p', seq))).toEqual([true, true, true]);
    expect([4, 6, 8, 10].map((seq) => recent.has('p', seq))).toEqual([false, false, false, false]);
    expect(recent.has('q', 5)).toBe(false);
    // 40: the window is 9..40 now; 3 and 5 left it, 9 is in it
    recent.add('p', 40);
    expect([3, 5, 9, 40].map((seq) => recent.has('p', seq))).toEqual([false, false, true, true]);
    // a late seq inside the window is remembered; one behind it is not
    recent.add('p', 20);
    recent.add('p', 2);
    expect([20, 2].map((seq) => recent.has('p', seq))).toEqual([true, false]);
    // a slot used again after a wrap says nothing of the seq it held before
    recent.add('p', 41);
    expect(recent.has('p', 9)).toBe(false);
    expect(recent.has('p', 41)).toBe(true);
    // a jump past the whole window forgets everything before it
    recent.add('p', 1000);
    expect([20, 40, 41, 1000].map((seq) => recent.has('p', seq))).toEqual([false, false, false, true]);
  });

  it('handles seqs seeded from the wall clock (beyond 32 bits) and a window of 65,536', () => {
    const recent = new RecentSeqs();
    const base = 1_796_000_000_000;
    for (let i = 0; i < 70_000; i += 2) recent.add('p', base + i);
    expect(recent.has('p', base + 69_998)).toBe(true);
    expect(recent.has('p', base + 69_997)).toBe(false);
    expect(recent.has('p', base + 4_464)).toBe(true);
    expect(recent.has('p', base + 4_462)).toBe(false); // 65,536 behind the newest: out of the window
  });
});
