import type { Reason, TimelineEntry } from '../model/incident.ts';
import type { Sample } from '../model/sample.ts';
import { actionSentence } from '../tickets/action-words.ts';
import { errorWords, reasonWords } from '../tickets/cause-words.ts';
import { fmtMs } from '../tickets/figures.ts';
import { reachWords } from '../tickets/scope-words.ts';

/** One row of an incident's story: when (hub clock, unix ms), who or what acted, what happened. */
export interface NarrativeRow {
  t: number;
  by: string;
  what: string;
  /** The samples the row is about (a region's first bad one, the ones before the onset). */
  samples?: Sample[];
}

/** Why the detector changed a severity or resolved, in words. */
const CAUSE_WORDS: Record<string, string> = {
  'stream-down': 'every line of the stream is down',
  blip: 'it was a blip: too short to matter',
  'probe-blind': 'the probes that saw it went blind',
  cleared: 'the line is healthy again',
  'removed-from-config': 'the stream or line left the config',
};

const causeWords = (cause: unknown) => (typeof cause === 'string' ? (Object.hasOwn(CAUSE_WORDS, cause) ? CAUSE_WORDS[cause] : cause) : undefined);
const because = (cause: unknown) => (causeWords(cause) !== undefined ? `: ${causeWords(cause)}` : '');

/**
 * An incident's timeline told for people, oldest first, in the vendor tickets' words for causes and
 * actions: the console shows it instead of the raw entries. An entry type this does not know
 * reads as its type.
 */
export function incidentNarrative(timeline: readonly TimelineEntry[]): NarrativeRow[] {
  return timeline.map((e) => {
    const d = e.data;
    const by = typeof d.by === 'string' ? d.by : 'detector';
    const row = (what: string, samples?: Sample[]): NarrativeRow => ({ t: e.t, by, what, ...(samples && samples.length > 0 && { samples }) });
    switch (e.type) {
      case 'opened':
        return row(`opened ${String(d.severity)}, ${String(d.scope)} (${fmtMs(Number(d.detectionDelayMs))} after the first bad sample)${because(d.cause)}`);
      case 'region-seen': {
        const sample = d.sample as Sample | undefined;
        const rules = Array.isArray(d.reasons) ? (d.reasons as Reason[]).map(reasonWords).join('; ') : '';
        const error = sample?.error !== undefined ? ` — ${errorWords(sample.error)}` : '';
        return row(`${String(d.region)} (probe ${String(d.probe)}) sees it ${String(d.level)}: ${rules || String(d.level)}${error}`, sample ? [sample] : undefined);
      }
      case 'onset-samples':
        return row(`${String(d.region)} (probe ${String(d.probe)}): its last samples up to the onset`, Array.isArray(d.samples) ? (d.samples as Sample[]) : undefined);
      case 'severity-raised':
      case 'severity-lowered':
        return row(`${e.type === 'severity-raised' ? 'raised' : 'lowered'} ${String(d.from)} → ${String(d.to)}${because(d.cause)}`);
      case 'scope-changed':
        return row(`reach ${String(d.from)} → ${String(d.to)}: ${reachWords(String(d.to), Array.isArray(d.regions) ? d.regions.map(String) : [])}`);
      case 'reopened':
        return row(`reopened as ${String(d.severity)}: the fault came back ${fmtMs(Number(d.afterMs))} after it resolved (reopen ${String(d.reopenCount)})`);
      case 'resolved':
        return typeof d.by === 'string' ? row(`resolved by hand${typeof d.note === 'string' ? `: ${d.note}` : ''}`) : row(`resolved after ${fmtMs(Number(d.durationMs))}${because(d.cause)}`);
      case 'cleared':
        return row('the detector sees it clear (it was resolved by hand before)');
      case 'acknowledged':
        return row(`acknowledged${typeof d.note === 'string' ? `: ${d.note}` : ''}`);
      case 'mitigating':
        return row(`mitigating${typeof d.action === 'string' ? ` (${d.action})` : ''}${typeof d.note === 'string' ? `: ${d.note}` : ''}`);
      case 'note':
        return row(`note: ${String(d.note)}`);
      case 'escalated':
        return row(`escalated to at least ${String(d.severity)} (${String(d.reason)})${typeof d.why === 'string' ? `: ${d.why}` : ''}`);
      case 'action': {
        const { by: _by, action, ...detail } = d;
        return row(actionSentence({ action: String(action), detail }));
      }
      default:
        return row(e.type);
    }
  });
}
