import type { Actuator, ActuatorResult, ControlAction } from './types.ts';

/**
 * The built-in actuator: the state that `GET /api/v1/streams/:id/play` and `/features` serve
 * (src/control/routes.ts), so players and edges follow with no integration. Applied synchronously
 * by the controller before any external actuator runs.
 */

export interface ServedStream {
  stream: string;
  /** Line in use. */
  active: string;
  /** Hub time the active line was set. */
  since: number;
  /** Feature flags that differ from the default (absent = enabled). */
  features: Record<string, boolean>;
  /** Hub time of the last change. */
  updatedAt: number;
}

export class BuiltinState implements Actuator {
  readonly kind = 'builtin';
  readonly name = 'builtin';
  private readonly streams = new Map<string, ServedStream>();

  /** Sets the initial line (and feature flags, as a restarted hub served them) of a stream (not an action: nothing is recorded). */
  init(stream: string, active: string, now: number, features: Record<string, boolean> = {}): void {
    if (!this.streams.has(stream)) this.streams.set(stream, { stream, active, since: now, features: { ...features }, updatedAt: now });
  }

  /** Forgets a stream (it left the config). */
  remove(stream: string): void {
    this.streams.delete(stream);
  }

  get(stream: string): ServedStream | undefined {
    const s = this.streams.get(stream);
    return s && { ...s, features: { ...s.features } };
  }

  all(): ServedStream[] {
    return [...this.streams.keys()].map((s) => this.get(s)!);
  }

  accepts(action: ControlAction): boolean {
    return !action.dryRun && (action.type === 'switch' || action.type === 'feature');
  }

  /** Synchronous apply (the controller calls this directly). */
  apply(action: ControlAction): ActuatorResult {
    const s = this.streams.get(action.stream) ?? { stream: action.stream, active: action.from ?? action.to ?? '', since: action.at, features: {}, updatedAt: action.at };
    if (action.type === 'switch' && action.to !== undefined) {
      s.active = action.to;
      s.since = action.at;
    } else if (action.type === 'feature' && action.feature !== undefined && action.enabled !== undefined) {
      s.features[action.feature] = action.enabled;
    }
    s.updatedAt = action.at;
    this.streams.set(action.stream, s);
    return { actuator: this.name, ok: true, attempts: 1, tookMs: 0 };
  }

  async execute(action: ControlAction): Promise<ActuatorResult> {
    return this.apply(action);
  }
}
