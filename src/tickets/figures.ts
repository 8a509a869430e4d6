/** How times, durations and shares read in a ticket: for people, not parsers. */

/** `2026-11-24 22:14:33 UTC` (a time of hub or probe clock, unix ms or ISO 8601). */
export function utc(t: number | string): string {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** `250 ms`, `1.5 s`, `15 min`, `1 h`. */
export function fmtMs(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000} min`;
  if (Math.abs(ms) >= 1000) return `${Math.round(ms / 100) / 10} s`;
  return `${Math.round(ms)} ms`;
}

/** `−9 LUFS`, `−0.5 dBTP`: a level to a tenth, with a real minus sign. */
export function fmtDb(v: number, unit: string): string {
  return `${String(Math.round(v * 10) / 10).replace('-', '−')} ${unit}`;
}

/** `95 %` of a share 0..1. */
export function pct(share: number): string {
  return `${Math.round(share * 100)} %`;
}
