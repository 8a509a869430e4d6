import type { BuiltinState } from '../actuators/builtin.ts';
import type { Actuator, ActuatorResult, ControlAction } from '../actuators/types.ts';
import { shownResult } from './action.ts';
import type { OutcomeStage, Stage } from './pipeline.ts';
import type { Clock } from './ports.ts';
import type { SerialQueues } from './queues.ts';

/**
 * Carries an action out: the built-in served state (play URL, feature flags) at once, then the
 * external actuators (webhook, command: retries are theirs) in the stream's queue, in the
 * background. The outcome goes to `outcome` when they are done — at once when none accepts it —
 * with the actuators' errors stripped of URL credentials (shownResult).
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
    },
  ) {}

  exec(action: ControlAction): boolean {
    const { builtin, actuators, queues, signal, clock, outcome } = this.opts;
    if (builtin.accepts(action)) builtin.apply(action);
    const external = actuators().filter((a) => a.accepts(action));
    if (external.length === 0) {
      outcome.done({ action, results: [], at: action.at });
      return true;
    }
    queues.run(action.stream, async () => {
      const results = await Promise.all(external.map((a) => a.execute(action, { signal }).catch((err: Error): ActuatorResult => ({ actuator: a.name, ok: false, attempts: 0, tookMs: 0, error: err.message }))));
      // Every consumer of an outcome (audit, timeline, log, /ws, tickets) gets it from here.
      outcome.done({ action, results: results.map(shownResult), at: clock() });
    });
    return true;
  }
}
