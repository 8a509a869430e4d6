import { describe, expect, it } from 'vitest';
import type { Sample } from '../../../src/model/sample.ts';
import { until } from '../../helpers/until.ts';
import { sample } from './fixtures.ts';
import { storesOf, type StoreMaker } from './store-maker.ts';

const MINUTE = 60_000;

/** SampleHistory: durable appends stored once, per-probe high-water seq, range reads, compaction into minute rollups. */
export function describeSampleHistory(engine: string, maker: StoreMaker): void {
  describe(`${engine}: SampleHistory`, () => {
    const stores = storesOf(maker);

    it('stores an identical resend once, keeps every field, and reads a range by line and region', async () => {
      const store = await stores.open();
      const full: Sample = { ...sample({ seq: 2, t: 2000, line: 'backup' }), startupMs: 850, latencyMs: -12.5, width: 1280, height: 720, avSkewMs: -8, avSyncMs: 33, connected: false, error: 'timeout' };
      await store.samples.append([sample({ seq: 1, t: 1000 }), full]);
      await store.samples.append([full, sample({ seq: 3, t: 3000, region: 'r2', probe: 'p2' }), sample({ seq: 4, t: 9000 })]);
      expect((await store.samples.samples({ stream: 's1', from: 0, to: 10_000 })).map((s) => s.seq)).toEqual([1, 2, 3, 4]);
      expect(await store.samples.samples({ stream: 's1', line: 'backup', from: 0, to: 10_000 })).toEqual([full]);
      expect((await store.samples.samples({ stream: 's1', region: 'r2', from: 0, to: 10_000 })).map((s) => s.probe)).toEqual(['p2']);
      // from inclusive, to exclusive
      expect((await store.samples.samples({ stream: 's1', from: 2000, to: 9000 })).map((s) => s.seq)).toEqual([2, 3]);
      expect(await store.samples.samples({ stream: 'other', from: 0, to: 10_000 })).toEqual([]);
    });

    it('keeps awkward text and fractional figures exactly as sent', async () => {
      const store = await stores.open();
      const odd: Sample = {
        ...sample({ seq: 7, t: 7000, probe: 'p "q" \\ {x}, y', region: 'ré gion', line: 'NULL' }),
        fps: 29.97, bitrateBps: 123_456_789.125, maxGapMs: 1e-7, stallMs: 0.1 + 0.2, loudnessLufs: -23.456, truePeakDbtp: -0.0001, width: 1920, height: 1080,
      };
      // seqs start at the probe's clock in ms: integers far beyond 32 bits
      const late: Sample = { ...sample({ seq: Number.MAX_SAFE_INTEGER, t: 1_796_433_631_310, probe: 'p-late' }), width: 2 ** 31 - 1 };
      await store.samples.append([odd, late]);
      expect(await store.samples.samples({ stream: 's1', from: 0, to: 10_000 })).toEqual([odd]);
      expect(await store.samples.samples({ stream: 's1', from: late.t, to: late.t + 1 })).toEqual([late]);
      expect(await store.samples.lastSeq(odd.probe)).toBe(7);
      expect(await store.samples.lastSeq(late.probe)).toBe(Number.MAX_SAFE_INTEGER);
    });

    it("remembers each probe's highest seq, across a reopen", async () => {
      const first = await stores.open();
      await first.samples.append([sample({ seq: 5, t: 5000 }), sample({ seq: 9, t: 6000, probe: 'p2' }), sample({ seq: 3, t: 7000 })]);
      expect(await first.samples.lastSeq('p1')).toBe(5);
      const store = await stores.reopen(first);
      expect(await store.samples.lastSeq('p1')).toBe(5);
      expect(await store.samples.lastSeq('p2')).toBe(9);
      expect(await store.samples.lastSeq('nobody')).toBeUndefined();
      expect(await store.samples.samples({ stream: 's1', from: 0, to: 10_000 })).toHaveLength(3);
    });

    it('rolls raw samples before a whole minute into rollups, and prunes old rollups', async () => {
      const store = await stores.open();
      const batch: Sample[] = [];
      for (let i = 0; i < 120; i++) {
        batch.push(sample({ seq: i, t: MINUTE * 10 + i * 1000, fps: i < 60 ? 25 : 20, stallMs: i === 70 ? 500 : 0, ...(i >= 60 && { latencyMs: 1000 }) }));
      }
      await store.samples.append(batch);
      // Raw samples before minute 11 roll up; minute 11 stays raw (a minute is never split).
      expect(await store.samples.compact(MINUTE * 11 + 30_000, 0)).toEqual({ rolledUp: 60, prunedRollups: 0 });
      const first = await store.samples.rollups({ stream: 's1', from: 0, to: MINUTE * 100 });
      expect(first).toEqual([
        { minute: MINUTE * 10, stream: 's1', line: 'primary', region: 'r1', samples: 60, connectedRatio: 1, fpsAvg: 25, bitrateAvg: 1e6, stallMs: 0, freezeMs: 0, maxGapMs: 40, latencyAvgMs: null },
      ]);
      expect(await store.samples.samples({ stream: 's1', from: 0, to: MINUTE * 100 })).toHaveLength(60);
      await store.samples.compact(MINUTE * 12, 0);
      const both = await store.samples.rollups({ stream: 's1', from: 0, to: MINUTE * 100 });
      expect(both[1]).toMatchObject({ minute: MINUTE * 11, samples: 60, fpsAvg: 20, stallMs: 500, latencyAvgMs: 1000 });
      expect(await store.samples.rollups({ stream: 's1', region: 'r9', from: 0, to: MINUTE * 100 })).toEqual([]);
      expect((await store.samples.compact(MINUTE * 12, MINUTE * 11)).prunedRollups).toBe(1);
      expect((await store.samples.rollups({ stream: 's1', from: 0, to: MINUTE * 100 })).map((r) => r.minute)).toEqual([MINUTE * 11]);
    });

    it('catches up with its appends: unmerged() goes back to 0', async () => {
      const store = await stores.open();
      await store.samples.append(Array.from({ length: 50 }, (_, i) => sample({ seq: i, t: i * 1000 })));
      expect(store.samples.unmerged()).toBeGreaterThanOrEqual(0);
      await until('every appended sample merged', () => store.samples.unmerged() === 0);
      expect(await store.samples.samples({ stream: 's1', from: 0, to: 1e9 })).toHaveLength(50);
    });
  });
}
