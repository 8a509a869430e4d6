import type { SampleRollup } from './ports.ts';

/** Sample rollups are kept as sums (rolling up a minute in two passes merges exactly); every engine answers averages. */
export interface RollupRow {
  minute: number;
  stream: string;
  line: string;
  region: string;
  samples: number;
  connected: number;
  fps_sum: number;
  bitrate_sum: number;
  stall_ms: number;
  freeze_ms: number;
  max_gap_ms: number;
  latency_sum: number;
  latency_n: number;
}

export const MINUTE_MS = 60_000;

export function toRollup(r: RollupRow): SampleRollup {
  return {
    minute: r.minute,
    stream: r.stream,
    line: r.line,
    region: r.region,
    samples: r.samples,
    connectedRatio: r.connected / r.samples,
    fpsAvg: r.fps_sum / r.samples,
    bitrateAvg: r.bitrate_sum / r.samples,
    stallMs: r.stall_ms,
    freezeMs: r.freeze_ms,
    maxGapMs: r.max_gap_ms,
    latencyAvgMs: r.latency_n > 0 ? r.latency_sum / r.latency_n : null,
  };
}

/** Only whole minutes are rolled up, so a minute is never split between raw and rollup rows. */
export function wholeMinutesBefore(rawBefore: number): number {
  return Math.floor(rawBefore / MINUTE_MS) * MINUTE_MS;
}
