import type { ControlAction } from '../actuators/types.ts';
import type { Logger } from '../common/log.ts';
import type { Stage } from './pipeline.ts';
import type { IncidentSource } from './ports.ts';
import type { LineControlState } from './types.ts';

/**
 * An escalation raises the stream's lead incident (the detector's lead rule), never the action's
 * own line's incident: one outage, one P0, one ticket. The lifecycle keeps the raise as a floor
 * until that incident resolves; the tickets follow its incident.raised.
 *
 * Decided while the stream has no open incident (a held line whose flapping incident had
 * cleared), the raise waits and goes to the next lead, for as long as its condition (flap hold,
 * no healthy line) lasts.
 */
export class LeadEscalation implements Stage {
  private readonly pending = new Map<string, ControlAction>();

  constructor(
    private readonly incidents: Pick<IncidentSource, 'leadOf' | 'act'>,
    /** The stream's configured lines, in config order (the lead rule ranks by it). */
    private readonly lines: (stream: string) => readonly string[],
    private readonly log?: Logger,
  ) {}

  exec(action: ControlAction): boolean {
    if (action.type === 'escalate') this.raise(action, action.at);
    return true;
  }

  /** Drops a stream's waiting raise (it left the config). */
  forget(stream: string): void {
    this.pending.delete(stream);
  }

  /** After each evaluation of a stream: a waiting raise goes to a lead that has appeared, or is dropped once its condition is gone. */
  evaluated(stream: string, line: LineControlState, now: number): void {
    const action = this.pending.get(stream);
    if (!action) return;
    if (line.hold === undefined && line.noHealthySince === undefined) this.pending.delete(stream);
    else if (this.incidents.leadOf(stream, this.lines(stream))) this.raise(action, now);
  }

  private raise(action: ControlAction, now: number): void {
    this.pending.delete(action.stream);
    const lead = this.incidents.leadOf(action.stream, this.lines(action.stream));
    if (!lead) {
      this.pending.set(action.stream, action);
      return;
    }
    try {
      const r = this.incidents.act(lead.id, { type: 'escalate', by: action.actor, severity: action.severity ?? 'P1', reason: action.reason, why: action.why }, now);
      if (r.rejected) this.log?.info({ action: action.id, incident: lead.id, why: r.rejected }, 'control: escalation not applied to the incident');
    } catch (err) {
      this.log?.warn({ err, action: action.id, incident: lead.id }, 'control: raising the lead incident failed');
    }
  }
}
