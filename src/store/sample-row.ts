import type { ProbeError, ProbeImpairment, Sample } from '../model/sample.ts';

/**
 * A raw sample as a table row, for every engine: one typed column per Sample field (no JSON copy).
 * The engines differ only in the SQL types (each renders its own column definitions from
 * SAMPLE_COLUMN_KINDS); the values bound and read back are the same, `connected` as 0/1.
 */

type SampleColumnKind = 'text' | 'integer' | 'real';

/** Each column, in bind order: its name, kind and whether every sample has it. */
const COLUMNS: readonly (readonly [string, SampleColumnKind, boolean])[] = [
  ['probe', 'text', true], ['seq', 'integer', true], ['region', 'text', true], ['stream', 'text', true], ['line', 'text', true],
  ['t', 'integer', true], ['window_ms', 'integer', true], ['connected', 'integer', true], ['startup_ms', 'real', false], ['latency_ms', 'real', false],
  ['fps', 'real', true], ['bitrate_bps', 'real', true], ['width', 'integer', false], ['height', 'integer', false], ['max_gap_ms', 'real', true],
  ['stall_ms', 'real', true], ['freeze_ms', 'real', true], ['av_skew_ms', 'real', false], ['av_sync_ms', 'real', false], ['error', 'text', false], ['impaired', 'text', false],
  ['black_ms', 'real', false], ['silence_ms', 'real', false], ['loudness_lufs', 'real', false], ['true_peak_dbtp', 'real', false],
];

export const SAMPLE_COLUMN_KINDS = COLUMNS.map(([name, kind, required]) => ({ name, kind, required }));

/** Column order of a raw sample row (bind order of `sampleValues`). */
export const SAMPLE_COLUMNS = SAMPLE_COLUMN_KINDS.map((c) => c.name).join(', ');

/** The column definitions for an engine, given its SQL type per kind. */
export function sampleColumnDefs(types: Record<SampleColumnKind, string>): string {
  return SAMPLE_COLUMN_KINDS.map((c) => `${c.name} ${types[c.kind]}${c.required ? ' NOT NULL' : ''}`).join(', ');
}

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
