import { describe, expect, it } from 'vitest';
import { DEFAULT_SHARD_COUNT, fnv1a32, sampleMessageId, shardOf, shardSubject } from '../../src/model/shard.ts';
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
  });

  it('refuses a shard count outside 1..1024, naming it', () => {
    expect(() => shardOf('s1', 0)).toThrow('shard count must be an integer in 1..1024, got 0');
    expect(() => shardOf('s1', 1.5)).toThrow('got 1.5');
  });
});

describe('RecentSeqs', () => {
  it("remembers each probe's last seqs exactly, in any order, forgetting the oldest when full", () => {
    const recent = new RecentSeqs(3);
    for (const seq of [5, 3, 9]) recent.add('p', seq);
    expect([3, 5, 9].map((seq) => recent.has('p', seq))).toEqual([true, true, true]);
    expect(recent.has('p', 4)).toBe(false);
    expect(recent.has('q', 5)).toBe(false);
    recent.add('p', 10);
    expect([5, 3, 9, 10].map((seq) => recent.has('p', seq))).toEqual([false, true, true, true]);
    recent.add('p', 11);
    recent.add('p', 12);
    expect([3, 9, 10, 11, 12].map((seq) => recent.has('p', seq))).toEqual([false, false, true, true, true]);
  });
});
