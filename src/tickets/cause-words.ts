import type { Incident, Reason, TimelineEntry } from '../model/incident.ts';
import { fmtDb, fmtMs, pct, utc } from './figures.ts';
import { FROZEN_AFTER_MS } from '../model/sample.ts';

/**
 * Why streamguard says a line is down or degraded, in words a vendor's engineer reads without our
 * rule table: per region, what the probe measured against the threshold it crossed, and the
 * error the probe got. From the incident's first-seen evidence and, for the error, the first bad
 * sample on its timeline (`region-seen`).
 */

/** What a probe's classified error means. */
const ERROR_WORDS: Record<string, string> = {
  refused: 'connection refused',
  timeout: 'timed out',
  'not-found': 'stream not found (no such stream or 404)',
  unreachable: 'host unreachable',
  decode: 'the media cannot be decoded',
  eof: 'the server ended the stream',
  'no-video': 'no video track',
  protocol: 'protocol error',
  unknown: 'unknown error',
};

export function errorWords(error: string): string {
  return ERROR_WORDS[error] ?? error;
}

/**
 * How long a content fault lasted against the rule's hold: "for 2.5 s (threshold 2 s)"; from an
 * older record without those figures, the share of the window against the threshold.
 */
function heldWords(r: Reason): string {
  return r.lastedMs !== undefined && r.forMs !== undefined ? `for ${fmtMs(r.lastedMs)} (threshold ${fmtMs(r.forMs)})` : `for ${pct(r.value)} of the window (threshold ${pct(r.threshold)})`;
}

/** One active rule, in words with its figure and threshold: "no new media for 100 % of the window (threshold 95 %)". */
export function reasonWords(r: Reason): string {
  const v = r.value;
  const th = r.threshold;
  switch (r.metric) {
    case 'disconnected':
      return 'not connected';
    case 'stallRatio':
      return `no new media for ${pct(v)} of the window (threshold ${pct(th)})`;
    case 'freezeMs':
      return `picture frozen for ${fmtMs(v)} per window (threshold ${fmtMs(th)})`;
    case 'freezeRatio':
      return r.lastedMs !== undefined ? `picture frozen for ${fmtMs(r.lastedMs)} (unchanged for ${fmtMs(FROZEN_AFTER_MS)} counts as frozen)` : `picture frozen for ${pct(v)} of the window (threshold ${pct(th)})`;
    case 'fpsRatio':
      return `frame rate at ${pct(v)} of its nominal rate (threshold ${pct(th)})`;
    case 'latencyOverBudgetMs':
      return `live latency ${fmtMs(v)} over its budget (threshold ${fmtMs(th)} over)`;
    case 'bitrateRatio':
      return `bitrate at ${pct(v)} of its usual level (threshold ${pct(th)})`;
    case 'heightRatio':
      return `picture height at ${pct(v)} of its usual size (threshold ${pct(th)})`;
    case 'startupOverBudgetMs':
      return `start-up ${fmtMs(v)} over its budget (threshold ${fmtMs(th)} over)`;
    case 'avSyncMs':
      return v >= 0 ? `sound ${fmtMs(v)} ahead of the picture (threshold ${fmtMs(th)} ahead)` : `sound ${fmtMs(-v)} behind the picture (threshold ${fmtMs(-th)} behind)`;
    case 'blackRatio':
      return `black picture ${heldWords(r)}`;
    case 'silenceRatio':
      return `audio silent (below −60 dBFS) ${heldWords(r)}`;
    case 'loudnessLufs':
      return `${(r.op ?? (v > th ? '>' : '<')) === '>' ? 'too loud' : 'too quiet'}: ${fmtDb(v, 'LUFS')} short-term, limit ${fmtDb(th, 'LUFS')}`;
    case 'truePeakDbtp':
      return `true peak at ${fmtDb(v, 'dBTP')}, limit ${fmtDb(th, 'dBTP')} (the sound clips)`;
    default:
      return `${r.rule}: ${r.metric} ${v} (threshold ${th})`;
  }
}

/** What one region of an incident sees, in words: "not connected — connection refused". */
export interface RegionCause {
  region: string;
  probe: string;
  level: string;
  /** t of the first bad sample from the region (probe clock). */
  firstSeen: number;
  cause: string;
}

/** Per region of the incident, sorted: its rules in words and the error of its first bad sample. */
export function regionCauses(incident: Incident, timeline: readonly TimelineEntry[]): RegionCause[] {
  const errors = new Map<string, string>();
  for (const e of timeline) {
    if (e.type !== 'region-seen') continue;
    const error = (e.data.sample as { error?: unknown } | undefined)?.error;
    if (typeof error === 'string' && !errors.has(String(e.data.region))) errors.set(String(e.data.region), error);
  }
  return Object.entries(incident.regions)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([region, seen]) => {
      const reasons = seen.reasons.map(reasonWords);
      const error = errors.get(region);
      const what = reasons.length > 0 ? reasons.join('; ') : `${seen.level}`;
      return { region, probe: seen.probe, level: seen.level, firstSeen: seen.firstSeen, cause: `${what}${error !== undefined ? ` — ${errorWords(error)}` : ''}` };
    });
}

/** One line per region of the incident: "eu (probe p-eu), since 2026-… UTC: not connected — connection refused". */
export function causeLines(incident: Incident, timeline: readonly TimelineEntry[]): string[] {
  return regionCauses(incident, timeline).map((c) => `${c.region} (probe ${c.probe}), since ${utc(c.firstSeen)}: ${c.cause}`);
}
