import type { ActuatorResult, ControlAction } from '../actuators/types.ts';
import { redactUrls } from '../model/redact-url.ts';
import type { StreamConfig } from '../model/stream.ts';
import type { Decision } from './types.ts';

/**
 * The action as it is recorded and shown (audit rows, operator WebSocket): its line URLs without
 * their credentials. Actuators get the action itself: they hand players the real URL.
 */
export function shownAction(a: ControlAction): ControlAction {
  return { ...a, ...(a.url !== undefined && { url: redactUrls(a.url) }), ...(a.urls && { urls: Object.fromEntries(Object.entries(a.urls).map(([region, url]) => [region, redactUrls(url)])) }) };
}

/**
 * An actuator's result as it is recorded and shown: its error without URL credentials. Errors
 * quote URLs (a webhook URL with `user:pass@` that fetch refuses, a script's stderr naming the
 * edge API it called with `?token=…`), and results go to the audit, the incident timeline, the
 * log, `/ws` and vendor tickets.
 */
export function shownResult(r: ActuatorResult): ActuatorResult {
  return r.error === undefined ? r : { ...r, error: redactUrls(r.error) };
}

/** The incident an action belongs to (its timeline records the action). */
export interface IncidentRef {
  id: string;
  key: string;
}

/** The URLs of the line a switch goes to, from the config (an audit row has them without credentials). */
export function lineTarget(cfg: StreamConfig, to: string): Pick<ControlAction, 'url' | 'urls'> {
  const line = cfg.lines[to];
  if (!line) return {};
  return { url: line.url, ...(line.regionUrls && { urls: { ...line.regionUrls } }) };
}

/**
 * A policy's decision as the command every stage and actuator receives. The id is the
 * idempotency key: stream, type, target and decision time, so the same decision is one action.
 */
export function toAction(d: Decision, ctx: { cfg: StreamConfig; now: number; dryRun: boolean; incident?: IncidentRef | undefined }): ControlAction {
  const { stream } = d;
  const target = d.type === 'switch' ? `${d.from}>${d.to}` : d.type === 'feature' ? `${d.feature}=${d.enabled ? 'on' : 'off'}` : d.type === 'escalate' ? `${d.reason}=${d.severity}` : d.reason;
  const a: ControlAction = {
    id: `${stream}:${d.type}:${target}:${ctx.now}`,
    type: d.type,
    stream,
    at: ctx.now,
    actor: d.by !== undefined ? `operator:${d.by}` : `policy:${d.policy}`,
    policy: d.policy,
    reason: d.reason,
    why: d.why,
    dryRun: ctx.dryRun,
  };
  if (d.onset !== undefined) a.onset = d.onset;
  if (ctx.incident) {
    a.incidentId = ctx.incident.id;
    a.incidentKey = ctx.incident.key;
  } else if (d.incidentKey !== undefined) a.incidentKey = d.incidentKey;
  if (d.type === 'switch') {
    a.from = d.from;
    a.to = d.to;
    Object.assign(a, lineTarget(ctx.cfg, d.to));
  } else if (d.type === 'feature') {
    a.feature = d.feature;
    a.enabled = d.enabled;
  } else if (d.type === 'escalate') a.severity = d.severity;
  return a;
}

/** Whether the action is carried out: dry-run actions and notes are only recorded. */
export function isActed(a: ControlAction): boolean {
  return !a.dryRun && a.type !== 'note';
}

/** The action's name in the audit log (`control.<name>`) and on the timeline. */
export function actionName(a: ControlAction): string {
  if (a.type === 'feature') return a.enabled ? 'feature.enable' : 'feature.disable';
  if (a.type === 'note') return `note.${a.reason}`;
  if (a.type === 'escalate') return `escalate.${a.reason}`;
  return a.type;
}

/** The fields of the action that say what it does (reason, and from/to, feature/enabled, severity when set). */
export function actionDetail(a: ControlAction): Record<string, unknown> {
  const out: Record<string, unknown> = { reason: a.reason };
  for (const k of ['from', 'to', 'feature', 'enabled', 'severity'] as const) if (a[k] !== undefined) out[k] = a[k];
  return out;
}
