import { Histogram } from 'prom-client';
import type { ControlAction } from '../actuators/types.ts';
import { isActed } from './action.ts';
import type { ActionOutcome, OutcomeStage, Stage } from './pipeline.ts';

export const ACTION_DELAY_BUCKETS = [0.25, 0.5, 1, 2, 5, 10, 30, 60, 300];

export interface FailoverCount {
  stream: string;
  from: string;
  to: string;
  reason: string;
  value: number;
}

export interface ActionCount {
  type: string;
  /** decided, dry-run, done, failed or fenced */
  outcome: string;
  value: number;
}

/**
 * The controller's numbers: actions by type and outcome, executed switches (failovers_total:
 * failbacks and manual ones included) and fault onset → action done (action_delay_seconds, for
 * actions with an onset whose every actuator succeeded). The histogram is registered in no
 * registry: the metrics endpoint (src/metrics) adds it to its own.
 */
export class ActionStats implements Stage, OutcomeStage {
  readonly actionDelay = new Histogram({ name: 'streamguard_action_delay_seconds', help: 'fault onset to control action done', buckets: ACTION_DELAY_BUCKETS, registers: [] });
  private readonly failovers = new Map<string, FailoverCount>();
  private readonly actions = new Map<string, ActionCount>();

  exec(action: ControlAction): boolean {
    this.count(action.type, action.dryRun ? 'dry-run' : 'decided');
    if (action.type === 'switch' && isActed(action)) {
      const key = `${action.stream} ${action.from} ${action.to} ${action.reason}`;
      const f = this.failovers.get(key) ?? { stream: action.stream, from: action.from!, to: action.to!, reason: action.reason, value: 0 };
      f.value++;
      this.failovers.set(key, f);
    }
    return true;
  }

  done({ action, results, at }: ActionOutcome): void {
    const ok = results.every((r) => r.ok);
    this.count(action.type, ok ? 'done' : 'failed');
    if (action.onset !== undefined && ok) this.actionDelay.observe(Math.max(0, (at - action.onset) / 1000));
  }

  /** An acted action the store's fence kept from the actuators (another hub owns its stream now). */
  refused(action: ControlAction): void {
    this.count(action.type, 'fenced');
  }

  /** Drops a stream's switch counts (it left the config). */
  forget(stream: string): void {
    for (const [key, f] of this.failovers) if (f.stream === stream) this.failovers.delete(key);
  }

  failoversTotal(): FailoverCount[] {
    return [...this.failovers.values()].map((f) => ({ ...f }));
  }

  actionsTotal(): ActionCount[] {
    return [...this.actions.values()].map((c) => ({ ...c }));
  }

  private count(type: string, outcome: string): void {
    const key = `${type} ${outcome}`;
    const c = this.actions.get(key) ?? { type, outcome, value: 0 };
    c.value++;
    this.actions.set(key, c);
  }
}
