import type { ProbeError, ProbeImpairment, Sample } from '../../model/sample.ts';

/** A raw sample row's columns, in order, with their types: one typed column per Sample field, no JSON copy. */
export const SAMPLE_COLUMN_DEFS = `probe TEXT NOT NULL, seq INTEGER NOT NULL, region TEXT NOT NULL, stream TEXT NOT NULL, line TEXT NOT NULL,
  t INTEGER NOT NULL, window_ms INTEGER NOT NULL, connected INTEGER NOT NULL, startup_ms REAL, latency_ms REAL,
  fps REAL NOT NULL, bitrate_bps REAL NOT NULL, width INTEGER, height INTEGER, max_gap_ms REAL NOT NULL,
  stall_ms REAL NOT NULL, freeze_ms REAL NOT NULL, av_skew_ms REAL, av_sync_ms REAL, error TEXT, impaired TEXT,
  black_ms REAL, silence_ms REAL, loudness_lufs REAL, true_peak_dbtp REAL`;

/** Column order of a raw sample row (bind order of `sampleValues`). */
export const SAMPLE_COLUMNS = SAMPLE_COLUMN_DEFS.split(',')
  .map((d) => d.trim().split(' ')[0]!)
  .join(', ');

export interface SampleRow {
  probe: string;
  seq: number;
  region: string;
  stream: string;
  line: string;
  t: number;
  window_ms: number;
  connected: number;
  startup_ms: number | null;
  latency_ms: number | null;
  fps: number;
  bitrate_bps: number;
  width: number | null;
  height: number | null;
  max_gap_ms: number;
  stall_ms: number;
  freeze_ms: number;
  av_skew_ms: number | null;
  av_sync_ms: number | null;
  error: string | null;
  impaired: string | null;
  black_ms: number | null;
  silence_ms: number | null;
  loudness_lufs: number | null;
  true_peak_dbtp: number | null;
}

/** Bind values in SAMPLE_COLUMNS order (positional: no per-sample parameter object). */
export function sampleValues(s: Sample): unknown[] {
  return [
    s.probe, s.seq, s.region, s.stream, s.line, s.t, s.windowMs, s.connected ? 1 : 0, s.startupMs ?? null, s.latencyMs ?? null,
    s.fps, s.bitrateBps, s.width ?? null, s.height ?? null, s.maxGapMs, s.stallMs, s.freezeMs, s.avSkewMs ?? null, s.avSyncMs ?? null, s.error ?? null, s.impaired ?? null,
    s.blackMs ?? null, s.silenceMs ?? null, s.loudnessLufs ?? null, s.truePeakDbtp ?? null,
  ];
}

/** The Sample a row was written from; absent optional fields stay absent. */
export function rowSample(r: SampleRow): Sample {
  const s: Sample = {
    probe: r.probe, region: r.region, stream: r.stream, line: r.line, seq: r.seq, t: r.t, windowMs: r.window_ms, connected: r.connected === 1,
    fps: r.fps, bitrateBps: r.bitrate_bps, maxGapMs: r.max_gap_ms, stallMs: r.stall_ms, freezeMs: r.freeze_ms,
  };
  if (r.startup_ms !== null) s.startupMs = r.startup_ms;
  if (r.latency_ms !== null) s.latencyMs = r.latency_ms;
  if (r.width !== null) s.width = r.width;
  if (r.height !== null) s.height = r.height;
  if (r.av_skew_ms !== null) s.avSkewMs = r.av_skew_ms;
  if (r.av_sync_ms !== null) s.avSyncMs = r.av_sync_ms;
  if (r.error !== null) s.error = r.error as ProbeError;
  if (r.impaired !== null) s.impaired = r.impaired as ProbeImpairment;
  if (r.black_ms !== null) s.blackMs = r.black_ms;
  if (r.silence_ms !== null) s.silenceMs = r.silence_ms;
  if (r.loudness_lufs !== null) s.loudnessLufs = r.loudness_lufs;
  if (r.true_peak_dbtp !== null) s.truePeakDbtp = r.true_peak_dbtp;
  return s;
}
