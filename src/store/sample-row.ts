import type { ProbeError, ProbeImpairment, Sample } from '../model/sample.ts';

/**
 * A raw sample as a table row, for every engine: one typed column per Sample field (no JSON copy).
 * The engines differ only in the SQL types (each renders its own column definitions from
 * SAMPLE_COLUMN_KINDS); the values bound and read back are the same, `connected` as 0/1.
 */

type SampleColumnKind = 'text' | 'integer' | 'real';

type ColumnValue = string | number | null;

/** Each column, in bind order: its name, kind, whether every sample has it, and its value in a sample. */
const COLUMNS: readonly (readonly [string, SampleColumnKind, boolean, (s: Sample) => ColumnValue])[] = [
  ['probe', 'text', true, (s) => s.probe], ['seq', 'integer', true, (s) => s.seq], ['region', 'text', true, (s) => s.region],
  ['stream', 'text', true, (s) => s.stream], ['line', 'text', true, (s) => s.line], ['t', 'integer', true, (s) => s.t],
  ['window_ms', 'integer', true, (s) => s.windowMs], ['connected', 'integer', true, (s) => (s.connected ? 1 : 0)],
  ['startup_ms', 'real', false, (s) => s.startupMs ?? null], ['latency_ms', 'real', false, (s) => s.latencyMs ?? null],
  ['fps', 'real', true, (s) => s.fps], ['bitrate_bps', 'real', true, (s) => s.bitrateBps],
  ['width', 'integer', false, (s) => s.width ?? null], ['height', 'integer', false, (s) => s.height ?? null],
  ['max_gap_ms', 'real', true, (s) => s.maxGapMs], ['stall_ms', 'real', true, (s) => s.stallMs], ['freeze_ms', 'real', true, (s) => s.freezeMs],
  ['av_skew_ms', 'real', false, (s) => s.avSkewMs ?? null], ['av_sync_ms', 'real', false, (s) => s.avSyncMs ?? null],
  ['error', 'text', false, (s) => s.error ?? null], ['impaired', 'text', false, (s) => s.impaired ?? null],
  ['black_ms', 'real', false, (s) => s.blackMs ?? null], ['silence_ms', 'real', false, (s) => s.silenceMs ?? null],
  ['loudness_lufs', 'real', false, (s) => s.loudnessLufs ?? null], ['true_peak_dbtp', 'real', false, (s) => s.truePeakDbtp ?? null],
];

export const SAMPLE_COLUMN_KINDS = COLUMNS.map(([name, kind, required, value]) => ({ name, kind, required, value }));

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
export function sampleValues(s: Sample): ColumnValue[] {
  const values = new Array<ColumnValue>(COLUMNS.length);
  for (let c = 0; c < COLUMNS.length; c++) values[c] = COLUMNS[c]![3](s);
  return values;
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
