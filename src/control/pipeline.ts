import type { ActuatorResult, ControlAction } from '../actuators/types.ts';

/**
 * How a decided action is handled: a pipeline of small stages, each with one job (dedup, stats,
 * audit and timeline, listeners, escalation, actuation), in the manner of Alertmanager's notify
 * pipeline. Stages run synchronously and in order; a stage returns false to stop the action there.
 * The external actuators finish later: their outcome goes to every OutcomeStage.
 */

export interface Stage {
  /** Handles the action (decided at `action.at`); false stops the pipeline for it. */
  exec(action: ControlAction): boolean;
}

/** The end of an acted action: every actuator's result, at hub time `at`. */
export interface ActionOutcome {
  action: ControlAction;
  /** The external actuators' results (empty when none accepted the action). */
  results: ActuatorResult[];
  at: number;
}

export interface OutcomeStage {
  done(outcome: ActionOutcome): void;
}

/** Stages in order, as one stage. */
export class Pipeline implements Stage {
  constructor(private readonly stages: readonly Stage[]) {}

  exec(action: ControlAction): boolean {
    for (const stage of this.stages) if (!stage.exec(action)) return false;
    return true;
  }
}

/** A stage that lets through only the actions `accepts` takes. */
export function filterStage(accepts: (action: ControlAction) => boolean): Stage {
  return { exec: accepts };
}

/** Every outcome stage in order, as one. */
export function outcomeStages(stages: readonly OutcomeStage[]): OutcomeStage {
  return { done: (o) => stages.forEach((s) => s.done(o)) };
}
