import type { BuiltinState } from '../actuators/builtin.ts';
import type { Actuator, ActuatorResult, ControlAction } from '../actuators/types.ts';
import type { Ownership } from '../cluster/ownership.ts';
import type { Logger } from '../common/log.ts';
import type { AuditLog } from '../store/ports.ts';
import { shownResult } from './action.ts';
import { fencedWrite } from './fenced-write.ts';
import type { OutcomeStage, Stage } from './pipeline.ts';
import type { Clock } from './ports.ts';
import type { SerialQueues } from './queues.ts';
import { callingEntry } from './recorder.ts';

/**
 * Carries an action out: the built-in served state (play URL, feature flags) at once, then the
 * external actuators (webhook, command: retries are theirs) in the stream's queue, in the
 * background. The outcome goes to `outcome` when they are done — at once when none accepts it —
 * with the actuators' errors stripped of URL credentials (shownResult).
 *
 * The external actuators are called only while this hub acts on the stream, asked right before
 * the call; in a cluster an audit row (`control.<name>.calling`) is first written under the
 * stream's fence. A store refusing it (another hub took the shard over: this hub was paused past
 * its lease) means no call, no outcome, a warning naming who holds the shard, and the action
 * counted as `fenced`: a switch is never made twice.
 */
export class ActuationStage implements Stage {
  constructor(
    private readonly opts: {
      builtin: BuiltinState;
      /** The external actuators of the moment (a config reload replaces them). */
      actuators: () => readonly Actuator[];
      queues: SerialQueues;
      /** Aborts retries and attempts in flight (controller stop). */
      signal: AbortSignal;
      clock: Clock;
      outcome: OutcomeStage;
      ownership: Ownership;
      audit: Pick<AuditLog, 'append'>;
      /** An action the store's fence kept from the actuators. */
      refused: (action: ControlAction) => void;
      log?: Logger | undefined;
    },
  ) {}

  exec(action: ControlAction): boolean {
    const { builtin, actuators, outcome } = this.opts;
    if (builtin.accepts(action)) builtin.apply(action);
    const external = actuators().filter((a) => a.accepts(action));
    if (external.length === 0) {
      outcome.done({ action, results: [], at: action.at });
      return true;
    }
    this.call(action, external);
    return true;
  }

  /**
   * Calls the external actuators again for an action decided before, whose hub stopped before they
   * reported (src/control/restore.ts unfinishedActions): the built-in state is already restored;
   * the outcome is recorded as for a new action. At least once: a receiver dedups on the action id.
   * False when no actuator of the moment takes it.
   */
  resume(action: ControlAction): boolean {
    const external = this.opts.actuators().filter((a) => a.accepts(action));
    if (external.length > 0) this.call(action, external);
    return external.length > 0;
  }

  private call(action: ControlAction, external: readonly Actuator[]): void {
    const { queues, signal, clock, outcome } = this.opts;
    queues.run(action.stream, async () => {
      if (!(await this.cleared(action, external))) return;
      const results = await Promise.all(external.map((a) => a.execute(action, { signal }).catch((err: Error): ActuatorResult => ({ actuator: a.name, ok: false, attempts: 0, tookMs: 0, error: err.message }))));
      // Every consumer of an outcome (audit, timeline, log, /ws, tickets) gets it from here.
      outcome.done({ action, results: results.map(shownResult), at: clock() });
    });
  }

  /** Whether the actuators may be called for the action now: this hub acts on its stream, and (in a cluster) the store took the fenced `calling` row. */
  private async cleared(action: ControlAction, external: readonly Actuator[]): Promise<boolean> {
    const { ownership, audit, clock, log } = this.opts;
    const acting = ownership.actingOn(action.stream);
    // A lone hub fences nothing: its audit log stays as it always was.
    if (acting && acting.fence === undefined) return true;
    const what = `calling the actuators for ${action.id}`;
    try {
      const outcome = await fencedWrite(ownership, action.stream, what, log, (fence) => audit.append(callingEntry(action, external.map((a) => a.name), clock()), fence));
      if (outcome === 'refused') this.opts.refused(action);
      return outcome === 'written';
    } catch (err) {
      // The lease cannot be checked: better no call than a second owner's.
      log?.error({ err, action: action.id, stream: action.stream }, `control: ${what} skipped: the fenced audit row could not be written`);
      return false;
    }
  }
}
