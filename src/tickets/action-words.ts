import type { EvidenceAction } from './evidence.ts';
import { utc } from './figures.ts';

/**
 * What streamguard (its controller) or an operator did about an incident, one sentence per
 * timeline action: "2026-… UTC switched to line backup (from primary): line "primary" unusable".
 * The action's fields are read by name; an action this does not know reads "<by>: <action>".
 */
export function actionWords(a: EvidenceAction): string {
  return `${utc(a.t)} ${a.by}: ${actionSentence(a)}`;
}

/**
 * The action itself, without when and who: "switched to line backup (from primary): …". The
 * console's incident cards put the time (in the viewer's zone) and the actor beside it.
 */
export function actionSentence(a: Pick<EvidenceAction, 'action' | 'detail'>): string {
  const d = a.detail ?? {};
  const why = typeof d.why === 'string' ? `: ${d.why}` : '';
  const dry = d.dryRun === true ? ' (dry run: decided, not carried out)' : '';
  const name = a.action;
  if (name === 'switch') return `switched to line ${String(d.to)}${d.from !== undefined ? ` (from ${String(d.from)})` : ''}${dry}${why}`;
  if (name === 'feature.disable' || name === 'feature.enable') return `${name === 'feature.disable' ? 'disabled' : 'enabled'} feature ${String(d.feature)}${dry}${why}`;
  if (name.endsWith('.done') || name.endsWith('.failed')) return `${name.slice(0, name.lastIndexOf('.'))} ${name.endsWith('.done') ? 'carried out' : 'FAILED'}${resultWords(d.results)}`;
  if (name.startsWith('escalate.')) return `raised the incident to at least ${String(d.severity)}${dry}${why}`;
  if (name.startsWith('note.')) return `noted${why || `: ${name.slice('note.'.length)}`}`;
  if (name === 'acknowledged') return 'acknowledged the incident';
  if (name === 'mitigating') return 'is mitigating it';
  return Object.hasOwn(TICKET_STEP_WORDS, name) ? TICKET_STEP_WORDS[name]!(d) : `${name}${why}`;
}

/**
 * The ticket machinery's own steps (by `tickets` or `sla`): vendors never see these (their
 * messages leave those actors out), the console's timeline does.
 */
const TICKET_STEP_WORDS: Record<string, (d: Record<string, unknown>) => string> = {
  'ticket-opened': (d) => `opened ticket ${d.ref !== undefined ? `${String(d.ref)} ` : ''}at ${String(d.vendor)}`,
  'ticket-resolved': (d) => `resolved the ticket at ${String(d.vendor)}`,
  'ticket-requested': (d) => `ticket requested by ${String(d.requestedBy)}${typeof d.reason === 'string' ? `: ${d.reason}` : ''}`,
  'ticket-delivery-retrying': (d) => `cannot reach ${String(d.vendor)} (${String(d.ticket)}), retrying: ${String(d.error)}`,
  'ticket-failed': (d) => `gave up sending the ${String(d.ticket)} to ${String(d.vendor)} after ${String(d.attempts)} attempts: ${String(d.error)}`,
  'ticket-held': () => 'held the vendor ticket: a silence matches',
  'ticket-released': () => 'the silence ended: the vendor ticket goes out now',
  'vendor-acknowledged': (d) => `${String(d.vendor)} acknowledged (${String(d.ackBy)})`,
  escalated: (d) => `escalated to ${String(d.name)} via ${String(d.channel)}: the vendor missed its response target`,
  'escalation-delivered': (d) => `escalation step ${String(d.step)} delivered to ${String(d.vendor)}`,
};

/**
 * " (edge: ok; cdn: failed)" from the actuators' results of an outcome. Not their errors: an
 * actuator's error may quote its own endpoint, which is none of the vendor's business.
 */
function resultWords(results: unknown): string {
  if (!Array.isArray(results) || results.length === 0) return '';
  const each = results.map((r: { actuator?: unknown; ok?: unknown }) => `${String(r.actuator)}: ${r.ok === true ? 'ok' : 'failed'}`);
  return ` (${each.join('; ')})`;
}
