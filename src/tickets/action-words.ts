import type { EvidenceAction } from './evidence.ts';
import { utc } from './figures.ts';

/**
 * What streamguard (its controller) or an operator did about an incident, one sentence per
 * timeline action: "2026-… UTC switched to line backup (from primary): line "primary" unusable".
 * The action's fields are read by name; an action this does not know reads "<by>: <action>".
 */
export function actionWords(a: EvidenceAction): string {
  const d = a.detail ?? {};
  const why = typeof d.why === 'string' ? `: ${d.why}` : '';
  const dry = d.dryRun === true ? ' (dry run: decided, not carried out)' : '';
  const name = a.action;
  let what: string;
  if (name === 'switch') what = `switched to line ${String(d.to)}${d.from !== undefined ? ` (from ${String(d.from)})` : ''}${dry}${why}`;
  else if (name === 'feature.disable' || name === 'feature.enable') what = `${name === 'feature.disable' ? 'disabled' : 'enabled'} feature ${String(d.feature)}${dry}${why}`;
  else if (name.endsWith('.done') || name.endsWith('.failed')) what = `${name.slice(0, name.lastIndexOf('.'))} ${name.endsWith('.done') ? 'carried out' : 'FAILED'}${resultWords(d.results)}`;
  else if (name.startsWith('escalate.')) what = `raised the incident to at least ${String(d.severity)}${dry}${why}`;
  else if (name.startsWith('note.')) what = `noted${why || `: ${name.slice('note.'.length)}`}`;
  else if (name === 'acknowledged') what = 'acknowledged the incident';
  else if (name === 'mitigating') what = 'is mitigating it';
  else what = `${name}${why}`;
  return `${utc(a.t)} ${a.by}: ${what}`;
}

/**
 * " (edge: ok; cdn: failed)" from the actuators' results of an outcome. Not their errors: an
 * actuator's error may quote its own endpoint, which is none of the vendor's business.
 */
function resultWords(results: unknown): string {
  if (!Array.isArray(results) || results.length === 0) return '';
  const each = results.map((r: { actuator?: unknown; ok?: unknown }) => `${String(r.actuator)}: ${r.ok === true ? 'ok' : 'failed'}`);
  return ` (${each.join('; ')})`;
}
