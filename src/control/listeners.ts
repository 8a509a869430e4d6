import type { ActuatorResult, ControlAction } from '../actuators/types.ts';
import type { Logger } from '../common/log.ts';
import type { ActionOutcome, OutcomeStage, Stage } from './pipeline.ts';

export type ActionPhase = 'decided' | 'done';
export type ActionListener = (action: ControlAction, phase: ActionPhase, results?: ActuatorResult[]) => void;

/** Subscribers to actions (the WebSocket API, the demo): told when decided, then done with the actuator results. */
export class ActionListeners implements Stage, OutcomeStage {
  private readonly listeners = new Set<ActionListener>();

  constructor(private readonly log?: Logger) {}

  /** Returns the unsubscribe function. */
  on(fn: ActionListener): () => void {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  exec(action: ControlAction): boolean {
    this.emit(action, 'decided');
    return true;
  }

  done({ action, results }: ActionOutcome): void {
    this.emit(action, 'done', results);
  }

  /** A throwing listener is logged and does not stop the others or the action. */
  private emit(action: ControlAction, phase: ActionPhase, results?: ActuatorResult[]): void {
    for (const fn of this.listeners) {
      try {
        fn(action, phase, results);
      } catch (err) {
        this.log?.error({ err }, 'control: action listener failed');
      }
    }
  }
}
