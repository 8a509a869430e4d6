import type { ActuatorResult, ControlAction } from '../actuators/types.ts';
import type { Ownership } from '../cluster/ownership.ts';
import type { Logger } from '../common/log.ts';
import type { AuditEntry, AuditLog } from '../store/ports.ts';
import { actionDetail, actionName, shownAction } from './action.ts';
import { fencedWrite } from './fenced-write.ts';
import type { ActionOutcome, OutcomeStage, Stage } from './pipeline.ts';
import type { IncidentSource } from './ports.ts';

/**
 * The record of every action: an audit row (who or which policy, why, which incident), an entry
 * on its incident's timeline and a log line, when decided (dry-run included) and when the external
 * actuators have finished. Writing them never stops the action: failures are logged. The audit
 * rows carry the fence of the action's stream (fenced-write.ts).
 */
export class ActionRecorder implements Stage, OutcomeStage {
  constructor(
    private readonly audit: Pick<AuditLog, 'append'>,
    private readonly incidents: Pick<IncidentSource, 'act'>,
    private readonly ownership: Ownership,
    private readonly log?: Logger,
  ) {}

  exec(action: ControlAction): boolean {
    const verb = actionName(action);
    this.append(action, decisionEntry(action));
    this.timeline(action, action.at, verb, { id: action.id, why: action.why, dryRun: action.dryRun, ...actionDetail(action) });
    this.log?.info({ action: action.id, stream: action.stream, type: action.type, dryRun: action.dryRun, why: action.why }, `control: ${verb}${action.dryRun ? ' (dry-run)' : ''}`);
    return true;
  }

  /** Only actions that went to external actuators have an outcome worth recording. */
  done(outcome: ActionOutcome): void {
    const { action, results, at } = outcome;
    if (results.length === 0) return;
    this.append(action, outcomeEntry(outcome));
    this.timeline(action, at, outcomeName(outcome), { id: action.id, results });
    if (!results.every((r) => r.ok)) this.log?.error({ action: action.id, results }, `control: ${actionName(action)} failed at an actuator`);
  }

  private append(action: ControlAction, entry: AuditEntry): void {
    // The SQLite log writes inside the call (fencedWrite calls it at once), so rows keep the order
    // of the calls without awaiting.
    fencedWrite(this.ownership, action.stream, `recording ${entry.action} ${action.id}`, this.log, (fence) => this.audit.append(entry, fence)).catch((err: unknown) =>
      this.log?.error({ err, action: action.id }, 'control: writing the audit log failed'),
    );
  }

  private timeline(action: ControlAction, t: number, verb: string, detail: Record<string, unknown>): void {
    if (action.incidentId === undefined) return;
    try {
      this.incidents.act(action.incidentId, { type: 'action', by: action.actor, action: verb, detail }, t);
    } catch (err) {
      this.log?.warn({ err, action: action.id, incident: action.incidentId }, 'control: recording the action on the incident timeline failed');
    }
  }
}

/** `stream:<id>`, with ` line:<from>><to>` for a switch and ` feature:<name>` for a feature. */
export function auditTarget(a: ControlAction): string {
  return `stream:${a.stream}${a.type === 'switch' ? ` line:${a.from}>${a.to}` : a.type === 'feature' ? ` feature:${a.feature}` : ''}`;
}

/** The audit row of a decision: the whole action in `data` (restart restores served lines from it), its line URLs without their secrets. */
export function decisionEntry(a: ControlAction): AuditEntry {
  return entry(a, a.at, `control.${actionName(a)}`, `${a.dryRun ? 'dry-run: ' : ''}${a.why}`, { action: shownAction(a) });
}

/**
 * The audit row written, under the stream's fence, right before the external actuators are
 * called (only in a cluster): the store refusing it keeps a former owner of the shard from calling them.
 */
export function callingEntry(a: ControlAction, actuators: readonly string[], t: number): AuditEntry {
  return entry(a, t, `control.${actionName(a)}.calling`, `calling ${actuators.join(', ')}`, { id: a.id, actuators: [...actuators] });
}

/** `<name>.done` when every actuator succeeded, else `<name>.failed`. */
export function outcomeName({ action, results }: Pick<ActionOutcome, 'action' | 'results'>): string {
  return `${actionName(action)}.${results.every((r) => r.ok) ? 'done' : 'failed'}`;
}

/** The audit row of an outcome: every actuator's result. */
export function outcomeEntry(o: ActionOutcome): AuditEntry {
  return entry(o.action, o.at, `control.${outcomeName(o)}`, resultSummary(o.results), { id: o.action.id, results: o.results });
}

/** `edge: ok (1 attempt, 12 ms); cdn: HTTP 500 (2 attempts, 80 ms)` */
export function resultSummary(results: readonly ActuatorResult[]): string {
  return results.map((r) => `${r.actuator}: ${r.ok ? 'ok' : r.error} (${r.attempts} attempt${r.attempts === 1 ? '' : 's'}, ${r.tookMs} ms)`).join('; ');
}

function entry(a: ControlAction, t: number, action: string, reason: string, data: Record<string, unknown>): AuditEntry {
  return { t, actor: a.actor, action, target: auditTarget(a), reason, data: { ...data, ...(a.incidentId !== undefined && { incidentId: a.incidentId }) } };
}
