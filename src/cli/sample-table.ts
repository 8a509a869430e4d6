import type { Sample } from '../model/sample.ts';

/** A fixed-width live table of Samples for humans at a terminal (`probe` without --json). */
const COLUMNS: { title: string; width: number; cell: (s: Sample) => string }[] = [
  { title: 'time', width: 12, cell: (s) => new Date(s.t).toISOString().slice(11, 23) },
  { title: 'stream/line', width: 22, cell: (s) => `${s.stream}/${s.line}` },
  { title: 'region', width: 9, cell: (s) => s.region },
  { title: 'up', width: 4, cell: (s) => (s.connected ? 'yes' : 'NO') },
  { title: 'start', width: 7, cell: (s) => ms(s.startupMs) },
  { title: 'fps', width: 5, cell: (s) => s.fps.toFixed(1) },
  { title: 'kbps', width: 7, cell: (s) => (s.bitrateBps / 1000).toFixed(0) },
  { title: 'res', width: 9, cell: (s) => (s.width && s.height ? `${s.width}x${s.height}` : '-') },
  { title: 'maxgap', width: 7, cell: (s) => ms(s.maxGapMs) },
  { title: 'stall', width: 6, cell: (s) => ms(s.stallMs) },
  { title: 'freeze', width: 6, cell: (s) => ms(s.freezeMs) },
  { title: 'skew', width: 6, cell: (s) => ms(s.avSkewMs) },
  { title: 'sync', width: 6, cell: (s) => ms(s.avSyncMs) },
  { title: 'latency', width: 7, cell: (s) => ms(s.latencyMs) },
  { title: 'error', width: 10, cell: (s) => s.error ?? '' },
  // The probe could not trust this row: its own host, not the stream.
  { title: 'impaired', width: 12, cell: (s) => s.impaired ?? '' },
];

function ms(v: number | undefined): string {
  return v === undefined ? '-' : `${Math.round(v)}`;
}

export function tableHeader(): string {
  return COLUMNS.map((c) => c.title.padEnd(c.width)).join(' ').trimEnd();
}

export function tableRow(s: Sample): string {
  return COLUMNS.map((c) => c.cell(s).padEnd(c.width)).join(' ').trimEnd();
}
