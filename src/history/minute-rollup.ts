import type { Sample } from '../model/sample.ts';
import type { SampleRollup } from '../store/ports.ts';
import type { HistoryAnswer } from './read.ts';

const MINUTE = 60_000;

/**
 * Raw samples rolled up into per-minute aggregates per (line, region), the way the store rolls up
 * the samples it ages out (src/store/sqlite/sample-history.ts): averages over the minute's samples,
 * stall and freeze summed, the longest gap, latency averaged over the samples that measured it.
 */
export function rollUpMinutes(samples: readonly Sample[]): SampleRollup[] {
  const acc = new Map<string, SampleRollup & { latencySum: number; latencyN: number; connected: number; fpsSum: number; bitrateSum: number }>();
  for (const s of samples) {
    const minute = Math.floor(s.t / MINUTE) * MINUTE;
    const key = `${minute}/${s.line}/${s.region}`;
    let r = acc.get(key);
    if (!r) {
      r = { minute, stream: s.stream, line: s.line, region: s.region, samples: 0, connectedRatio: 0, fpsAvg: 0, bitrateAvg: 0, stallMs: 0, freezeMs: 0, maxGapMs: 0, latencyAvgMs: null, latencySum: 0, latencyN: 0, connected: 0, fpsSum: 0, bitrateSum: 0 };
      acc.set(key, r);
    }
    r.samples++;
    r.connected += s.connected ? 1 : 0;
    r.fpsSum += s.fps;
    r.bitrateSum += s.bitrateBps;
    r.stallMs += s.stallMs;
    r.freezeMs += s.freezeMs;
    r.maxGapMs = Math.max(r.maxGapMs, s.maxGapMs);
    if (s.latencyMs !== undefined) {
      r.latencySum += s.latencyMs;
      r.latencyN++;
    }
  }
  return [...acc.values()].map(({ latencySum, latencyN, connected, fpsSum, bitrateSum, ...r }) => ({
    ...r,
    connectedRatio: connected / r.samples,
    fpsAvg: fpsSum / r.samples,
    bitrateAvg: bitrateSum / r.samples,
    latencyAvgMs: latencyN > 0 ? latencySum / latencyN : null,
  }));
}

/** A history answer in minutes only: its raw samples rolled up beside the stored rollups (a minute is one or the other), oldest first. */
export function inMinutes(answer: HistoryAnswer): HistoryAnswer {
  const rollups = [...answer.rollups, ...rollUpMinutes(answer.samples)].sort((a, b) => a.minute - b.minute || a.line.localeCompare(b.line) || a.region.localeCompare(b.region));
  return { ...answer, samples: [], truncated: false, rollups };
}
