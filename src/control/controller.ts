import { BuiltinState, type ServedStream } from '../actuators/builtin.ts';
import { createActuators } from '../actuators/index.ts';
import type { Actuator, ActuatorResult, ControlAction } from '../actuators/types.ts';
import type { StreamConfig } from '../model/stream.ts';
import type { IncidentChange, Topic } from '../model/topics.ts';
import type { Hub } from '../app/hub.ts';
import type { Logger } from '../shared/log.ts';
import { ControlConfigSchema, policyFor, type ControlConfig, type Policy } from './config-schema.ts';
import { evaluateStream, initialStreamState } from './evaluate.ts';
import { pinFeature, unpinFeature } from './features.ts';
import { incidentView, streamHealth } from './health.ts';
import type { ControlSource } from './http.ts';
import { pinLine, unpinLine } from './policy.ts';
import type { Decision, IncidentView, PolicyInput, PolicyResult, StreamControlState, StreamHealth } from './types.ts';
import { INCIDENT_TOPICS } from '../model/topics.ts';

/**
 * The controller: the shell around the pure policies.
 *
 *   hub bus incident.* (detector-driven) ─┐
 *   tick (1 s)                           ─┼─▶ evaluateStream(state, health + open incidents, policy, now)
 *   operator pin / unpin                 ─┘        │ decisions
 *                                                  ▼
 *   per decision: ControlAction with an idempotency key (never executed twice)
 *     → audit row (who/which policy, why, incident) → incident timeline action
 *     → built-in served state (play URL, feature flags), synchronously
 *     → external actuators (webhook, command), serialised per stream, in the background
 *     → audit + timeline of the outcome, failovers_total, action_delay_seconds (onset → done)
 *   Dry-run (global or per stream): decided, audited and put on the timeline, never acted on.
 *
 * Usage:
 *   const controller = new Controller({ hub, streams: config.streams, config: config.control }).start();
 *   mount controlRoutes(controller) in the API; await controller.stop() before hub.stop().
 */

export interface ControllerOptions {
  hub: Hub;
  streams: readonly StreamConfig[];
  /** Parsed `control:` section (ControlConfigSchema output); default: all defaults, no actuators. */
  config?: ControlConfig;
  /** External actuators; default: built from config.actuators (secrets read from `env`). */
  actuators?: Actuator[];
  env?: NodeJS.ProcessEnv;
  /** Default: the hub's clock. */
  clock?: () => number;
  /** Evaluation tick; 0 = none (call tick() yourself). Default config.tick (1 s). */
  tickMs?: number;
  logger?: Logger;
}

export type ActionPhase = 'decided' | 'done';
export type ActionListener = (action: ControlAction, phase: ActionPhase, results?: ActuatorResult[]) => void;

export interface ControllerMetrics {
  /** failovers_total{stream,from,to,reason} (every executed switch, failbacks and manual ones included). */
  failoversTotal: { stream: string; from: string; to: string; reason: string; value: number }[];
  /** action_delay_seconds: fault onset → action done, for actions with an onset. */
  actionDelaySeconds: { buckets: number[]; counts: number[]; sum: number; count: number };
  /** Actions by type and outcome (decided, done, failed, dry-run). */
  actionsTotal: { type: string; outcome: string; value: number }[];
  /** active_line{stream,line} and feature_enabled{stream,feature}. */
  activeLine: { stream: string; line: string }[];
  featureEnabled: { stream: string; feature: string; enabled: boolean }[];
}

export const ACTION_DELAY_BUCKETS = [0.25, 0.5, 1, 2, 5, 10, 30, 60, 300];
const MAX_REMEMBERED = 10_000;
/** Longest run of the timer's sweep before it yields to the event loop. */
const SWEEP_SLICE_MS = 5;

interface StreamSlot {
  cfg: StreamConfig;
  lines: string[];
  policy: Policy;
  state: StreamControlState;
  queue: Promise<void>;
  /** An escalation decided while the stream had no open incident (a held line whose flapping incident had cleared): raises the next lead. */
  pendingRaise?: ControlAction;
}

export class Controller implements ControlSource {
  readonly streams: readonly StreamConfig[];
  readonly builtin = new BuiltinState();
  readonly actuators: readonly Actuator[];
  private readonly hub: Hub;
  private readonly config: ControlConfig;
  private readonly clock: () => number;
  private readonly log: Logger | undefined;
  private readonly slots = new Map<string, StreamSlot>();
  private readonly executed = new Set<string>();
  private readonly executedOrder: string[] = [];
  private readonly listeners = new Set<ActionListener>();
  private readonly failovers = new Map<string, { stream: string; from: string; to: string; reason: string; value: number }>();
  private readonly actionCounts = new Map<string, number>();
  private readonly delay = { counts: ACTION_DELAY_BUCKETS.map(() => 0), sum: 0, count: 0 };
  private readonly abort = new AbortController();
  private readonly tickMs: number;
  private unsubscribe: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private evaluating = false;
  private sweeping = false;
  private again = new Set<string>();
  private started = false;
  private stopped = false;

  constructor(opts: ControllerOptions) {
    this.hub = opts.hub;
    this.streams = opts.streams;
    this.config = opts.config ?? ControlConfigSchema.parse({});
    this.clock = opts.clock ?? opts.hub.clock;
    this.log = opts.logger;
    this.tickMs = opts.tickMs ?? this.config.tick;
    this.actuators = opts.actuators ?? createActuators(this.config.actuators, opts.env ?? process.env);
    const now = this.clock();
    for (const cfg of opts.streams) {
      const lines = Object.keys(cfg.lines);
      const policy = policyFor(this.config, cfg.id);
      if (policy.preferred !== undefined && !lines.includes(policy.preferred)) throw new Error(`control: stream "${cfg.id}" has no line "${policy.preferred}" (preferred)`);
      const state = initialStreamState(lines, policy, now);
      this.slots.set(cfg.id, { cfg, lines, policy, state, queue: Promise.resolve() });
      this.builtin.init(cfg.id, state.line.active, now);
    }
  }

  /** Restores the served lines from the audit log, subscribes to the bus and starts the tick. */
  start(): this {
    if (this.started) return this;
    this.started = true;
    this.restore();
    for (const topic of INCIDENT_TOPICS) {
      this.unsubscribe.push(
        this.hub.bus.on(topic, (change: IncidentChange) => {
          // Changes without a detector event are actions (ours included): nothing new to evaluate.
          if (change.event && change.incident.stream !== undefined) this.evaluate(change.incident.stream);
        }),
      );
    }
    if (this.tickMs > 0) {
      this.timer = setInterval(() => this.sweep(), this.tickMs);
      this.timer.unref?.();
    }
    return this;
  }

  /** Stops evaluating (tick and evaluate become no-ops), aborts retries in flight and waits for the actuator queues. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const off of this.unsubscribe.splice(0)) off();
    if (this.timer) clearInterval(this.timer);
    this.abort.abort(new Error('controller stopping'));
    await this.idle();
  }

  /** Resolves when every queued actuator run has finished. */
  async idle(): Promise<void> {
    for (;;) {
      const queues = [...this.slots.values()].map((s) => s.queue);
      await Promise.all(queues);
      if ([...this.slots.values()].every((s, i) => s.queue === queues[i])) return;
    }
  }

  /** Evaluates every stream now (time-based policies: failback, hold-offs, pin expiry). */
  tick(): void {
    this.evaluateFrom([...this.slots.keys()], 0, Infinity);
  }

  /**
   * The timer's tick: every stream once, in slices of SWEEP_SLICE_MS that yield to the event loop
   * in between. 1,000 streams × 50 regions take 30–70 ms, and in one turn that held every probe's
   * ack behind it; time-based policies do not mind a few ms (incident changes are evaluated at once, from the bus).
   */
  private sweep(): void {
    if (this.sweeping) return; // the previous sweep is still going: it covers this tick
    this.sweeping = true;
    const ids = [...this.slots.keys()];
    const slice = (start: number) => {
      let next = ids.length;
      try {
        if (!this.stopped) next = this.evaluateFrom(ids, start, SWEEP_SLICE_MS);
      } finally {
        // A throw ends this sweep, not every later one.
        if (next < ids.length) setImmediate(slice, next);
        else this.sweeping = false;
      }
    };
    slice(0);
  }

  /** Evaluates ids[start…] for up to `budgetMs` (at least one); returns the index to go on from. */
  private evaluateFrom(ids: readonly string[], start: number, budgetMs: number): number {
    // One pass over the open incidents for every stream of the slice (not one per stream).
    const byStream = new Map<string, IncidentView[]>();
    for (const inc of this.hub.incidents.open()) {
      if (inc.stream === undefined || !this.slots.has(inc.stream)) continue;
      let list = byStream.get(inc.stream);
      if (!list) byStream.set(inc.stream, (list = []));
      list.push(incidentView(inc));
    }
    const until = performance.now() + budgetMs;
    let i = start;
    do {
      this.evaluate(ids[i]!, byStream.get(ids[i]!) ?? []);
      i++;
    } while (i < ids.length && performance.now() < until);
    return i;
  }

  /** Evaluates one stream now. Re-entrant calls (from our own side effects) are queued, not nested. */
  evaluate(stream: string, incidents?: IncidentView[]): void {
    const slot = this.slots.get(stream);
    if (!slot || this.stopped) return;
    if (this.evaluating) {
      this.again.add(stream);
      return;
    }
    this.evaluating = true;
    try {
      this.run(slot, (now) => evaluateStream(slot.state, this.input(slot, now, incidents), slot.policy, now));
      while (this.again.size > 0) {
        const [next] = this.again;
        this.again.delete(next!);
        const s = this.slots.get(next!)!;
        this.run(s, (now) => evaluateStream(s.state, this.input(s, now), s.policy, now));
      }
    } finally {
      this.evaluating = false;
    }
  }

  /** Operator: pin a line until `until` (or for `ttlMs`), with a reason. */
  pin(stream: string, p: { line: string; reason: string; by: string; until?: number; ttlMs?: number }): StreamControlState {
    const slot = this.slot(stream);
    const now = this.clock();
    const until = p.until ?? now + (p.ttlMs ?? 3_600_000);
    this.run(slot, (t) => {
      const r = pinLine(slot.state.line, stream, slot.lines, { line: p.line, until, reason: p.reason, by: p.by }, t);
      return { state: { ...slot.state, line: r.state }, decisions: r.decisions };
    });
    return this.state(stream)!;
  }

  /** Operator: remove a line pin or a flap hold. */
  unpin(stream: string, by: string, reason: string): StreamControlState {
    const slot = this.slot(stream);
    this.run(slot, () => {
      const r = unpinLine(slot.state.line, stream, by, reason);
      return { state: { ...slot.state, line: r.state }, decisions: r.decisions };
    });
    this.evaluate(stream);
    return this.state(stream)!;
  }

  /** Operator: force a feature on or off until `until` (or for `ttlMs`), with a reason. */
  pinFeature(stream: string, p: { feature: string; enabled: boolean; reason: string; by: string; until?: number; ttlMs?: number }): StreamControlState {
    const slot = this.slot(stream);
    const now = this.clock();
    const until = p.until ?? now + (p.ttlMs ?? 3_600_000);
    this.run(slot, (t) => {
      const r = pinFeature(slot.state.features, stream, { feature: p.feature, enabled: p.enabled, until, reason: p.reason, by: p.by }, t);
      return { state: { ...slot.state, features: r.state }, decisions: r.decisions };
    });
    return this.state(stream)!;
  }

  unpinFeature(stream: string, feature: string, by: string, reason: string): StreamControlState {
    const slot = this.slot(stream);
    this.run(slot, () => {
      const r = unpinFeature(slot.state.features, stream, feature, by, reason);
      return { state: { ...slot.state, features: r.state }, decisions: r.decisions };
    });
    this.evaluate(stream);
    return this.state(stream)!;
  }

  /** The policies' state of a stream (decided line, switches, hold, pins, features). */
  state(stream: string): StreamControlState | undefined {
    const s = this.slots.get(stream)?.state;
    return s && structuredClone(s);
  }

  policy(stream: string): Policy | undefined {
    return this.slots.get(stream)?.policy;
  }

  /** ControlSource: what is served (built-in actuator state). */
  served(stream: string): ServedStream | undefined {
    return this.builtin.get(stream);
  }

  /** ControlSource: per (line, region) health from the detector. */
  health(stream: string): StreamHealth {
    return streamHealth(this.hub.detector.state, stream);
  }

  knownFeatures(stream: string): string[] {
    const slot = this.slots.get(stream);
    if (!slot) return [];
    return [...new Set([...Object.values(slot.policy.features).flat(), ...Object.keys(slot.state.features)])].sort();
  }

  /** Subscribes to actions (decided, then done with the actuator results); returns the unsubscribe function. */
  onAction(fn: ActionListener): () => void {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  metrics(): ControllerMetrics {
    return {
      failoversTotal: [...this.failovers.values()].map((f) => ({ ...f })),
      actionDelaySeconds: { buckets: [...ACTION_DELAY_BUCKETS], counts: [...this.delay.counts], sum: this.delay.sum, count: this.delay.count },
      actionsTotal: [...this.actionCounts].map(([k, value]) => {
        const [type, outcome] = k.split(' ') as [string, string];
        return { type, outcome, value };
      }),
      activeLine: this.builtin.all().map((s) => ({ stream: s.stream, line: s.active })),
      featureEnabled: this.streams.flatMap((cfg) => {
        const served = this.builtin.get(cfg.id);
        return this.knownFeatures(cfg.id).map((feature) => ({ stream: cfg.id, feature, enabled: served?.features[feature] ?? true }));
      }),
    };
  }

  private slot(stream: string): StreamSlot {
    const slot = this.slots.get(stream);
    if (!slot) throw new Error(`no stream "${stream}" in the config`);
    return slot;
  }

  private input(slot: StreamSlot, now: number, incidents?: IncidentView[]): PolicyInput {
    const stream = slot.cfg.id;
    const health = this.health(stream);
    const input: PolicyInput = { stream, lines: slot.lines, health, incidents: incidents ?? this.incidents(stream) };
    const graceUntil = this.hub.detector.state.streams.get(stream)?.graceUntil;
    if (graceUntil !== undefined && now < graceUntil && slot.lines.some((l) => health[l] === undefined)) input.awaiting = true;
    return input;
  }

  private incidents(stream: string) {
    return this.hub.incidents
      .open()
      .filter((i) => i.stream === stream)
      .map(incidentView);
  }

  private run(slot: StreamSlot, fn: (now: number) => PolicyResult<StreamControlState>): void {
    const now = this.clock();
    const r = fn(now);
    slot.state = r.state;
    for (const d of r.decisions) this.handle(slot, d, now);
    this.applyPendingRaise(slot, now);
  }

  private handle(slot: StreamSlot, d: Decision, now: number): void {
    const dryRun = slot.policy.dryRun;
    const action = this.toAction(slot, d, now, dryRun);
    if (this.executed.has(action.id)) return;
    this.remember(action.id);
    this.count(action.type, dryRun ? 'dry-run' : 'decided');

    const verb = actionName(action);
    this.audit(now, action, verb, `${dryRun ? 'dry-run: ' : ''}${action.why}`, { action });
    this.timeline(action, now, verb, { id: action.id, why: action.why, dryRun, ...pick(action) });
    this.log?.info({ action: action.id, stream: action.stream, type: action.type, dryRun, why: action.why }, `control: ${verb}${dryRun ? ' (dry-run)' : ''}`);
    this.emit(action, 'decided');
    if (dryRun || action.type === 'note') return;
    if (action.type === 'escalate') this.raiseLead(slot, action, now);

    if (this.builtin.accepts(action)) this.builtin.apply(action);
    if (action.type === 'switch') this.countSwitch(action);

    const external = this.actuators.filter((a) => a.accepts(action));
    if (external.length === 0) {
      this.finish(action, verb, [], now, false);
      return;
    }
    slot.queue = slot.queue.then(async () => {
      const results = await Promise.all(external.map((a) => a.execute(action, { signal: this.abort.signal }).catch((err: Error): ActuatorResult => ({ actuator: a.name, ok: false, attempts: 0, tookMs: 0, error: err.message }))));
      this.finish(action, verb, results, this.clock(), true);
    });
  }

  private finish(action: ControlAction, verb: string, results: ActuatorResult[], done: number, record: boolean): void {
    const ok = results.every((r) => r.ok);
    this.count(action.type, ok ? 'done' : 'failed');
    if (action.onset !== undefined && ok) this.observeDelay((done - action.onset) / 1000);
    if (record) {
      const summary = results.map((r) => `${r.actuator}: ${r.ok ? 'ok' : r.error} (${r.attempts} attempt${r.attempts === 1 ? '' : 's'}, ${r.tookMs} ms)`).join('; ');
      this.audit(done, action, `${verb}.${ok ? 'done' : 'failed'}`, summary, { id: action.id, results });
      this.timeline(action, done, `${verb}.${ok ? 'done' : 'failed'}`, { id: action.id, results });
      if (!ok) this.log?.error({ action: action.id, results }, `control: ${verb} failed at an actuator`);
    }
    this.emit(action, 'done', results);
  }

  private toAction(slot: StreamSlot, d: Decision, now: number, dryRun: boolean): ControlAction {
    const stream = d.stream;
    const target = d.type === 'switch' ? `${d.from}>${d.to}` : d.type === 'feature' ? `${d.feature}=${d.enabled ? 'on' : 'off'}` : d.type === 'escalate' ? `${d.reason}=${d.severity}` : d.reason;
    const a: ControlAction = {
      id: `${stream}:${d.type}:${target}:${now}`,
      type: d.type,
      stream,
      at: now,
      actor: d.by !== undefined ? `operator:${d.by}` : `policy:${d.policy}`,
      policy: d.policy,
      reason: d.reason,
      why: d.why,
      dryRun,
    };
    if (d.onset !== undefined) a.onset = d.onset;
    const incident = this.incidentFor(d);
    if (incident) {
      a.incidentId = incident.id;
      a.incidentKey = incident.key;
    } else if (d.incidentKey !== undefined) a.incidentKey = d.incidentKey;
    if (d.type === 'switch') {
      a.from = d.from;
      a.to = d.to;
      const line = slot.cfg.lines[d.to];
      if (line) {
        a.url = line.url;
        if (line.regionUrls) a.urls = { ...line.regionUrls };
      }
    } else if (d.type === 'feature') {
      a.feature = d.feature;
      a.enabled = d.enabled;
    } else if (d.type === 'escalate') a.severity = d.severity;
    return a;
  }

  private incidentFor(d: Decision): { id: string; key: string } | undefined {
    const s = d.stream;
    if (d.type === 'escalate') {
      const lead = this.hub.incidents.leadOf(s, this.slots.get(s)?.lines ?? []);
      if (lead) return { id: lead.id, key: lead.key };
    }
    const keys = [d.incidentKey];
    if (d.type === 'switch') keys.push(`${s}/${d.from}/down`, `${s}/${d.from}/degraded`, `${s}/${d.to}/down`, `${s}/${d.to}/degraded`);
    for (const key of keys) {
      if (key === undefined) continue;
      const inc = this.hub.incidents.byDedupKey(key);
      if (inc) return { id: inc.id, key: inc.key };
    }
    return undefined;
  }

  private audit(t: number, action: ControlAction, verb: string, reason: string, data: unknown): void {
    const target = `stream:${action.stream}${action.type === 'switch' ? ` line:${action.from}>${action.to}` : action.type === 'feature' ? ` feature:${action.feature}` : ''}`;
    try {
      this.hub.store.audit({ t, actor: action.actor, action: `control.${verb}`, target, reason, data: { ...(data as object), ...(action.incidentId !== undefined && { incidentId: action.incidentId }) } });
    } catch (err) {
      this.log?.error({ err, action: action.id }, 'control: writing the audit log failed');
    }
  }

  /**
   * An escalation raises the stream's lead incident (the detector's lead rule), never the action's
   * own line's incident: one outage, one P0, one ticket. The lifecycle keeps the raise as a floor
   * until that incident resolves; the tickets follow its incident.raised.
   */
  private raiseLead(slot: StreamSlot, action: ControlAction, now: number): void {
    delete slot.pendingRaise;
    const lead = this.hub.incidents.leadOf(slot.cfg.id, slot.lines);
    if (!lead) {
      slot.pendingRaise = action;
      return;
    }
    try {
      const r = this.hub.incidents.act(lead.id, { type: 'escalate', by: action.actor, severity: action.severity ?? 'P1', reason: action.reason, why: action.why }, now);
      if (r.rejected) this.log?.info({ action: action.id, incident: lead.id, why: r.rejected }, 'control: escalation not applied to the incident');
    } catch (err) {
      this.log?.warn({ err, action: action.id, incident: lead.id }, 'control: raising the lead incident failed');
    }
  }

  /** A pending raise applies to the next lead incident while its condition (flap hold, no healthy line) lasts. */
  private applyPendingRaise(slot: StreamSlot, now: number): void {
    const action = slot.pendingRaise;
    if (!action) return;
    const line = slot.state.line;
    if (line.hold === undefined && line.noHealthySince === undefined) delete slot.pendingRaise;
    else if (this.hub.incidents.leadOf(slot.cfg.id, slot.lines)) this.raiseLead(slot, action, now);
  }

  private timeline(action: ControlAction, t: number, verb: string, detail: Record<string, unknown>): void {
    if (action.incidentId === undefined) return;
    try {
      this.hub.incidents.act(action.incidentId, { type: 'action', by: action.actor, action: verb, detail }, t);
    } catch (err) {
      this.log?.warn({ err, action: action.id, incident: action.incidentId }, 'control: recording the action on the incident timeline failed');
    }
  }

  private emit(action: ControlAction, phase: ActionPhase, results?: ActuatorResult[]): void {
    for (const fn of this.listeners) {
      try {
        fn(action, phase, results);
      } catch (err) {
        this.log?.error({ err }, 'control: action listener failed');
      }
    }
  }

  private countSwitch(a: ControlAction): void {
    const key = `${a.stream} ${a.from} ${a.to} ${a.reason}`;
    const f = this.failovers.get(key) ?? { stream: a.stream, from: a.from!, to: a.to!, reason: a.reason, value: 0 };
    f.value++;
    this.failovers.set(key, f);
  }

  private count(type: string, outcome: string): void {
    const k = `${type} ${outcome}`;
    this.actionCounts.set(k, (this.actionCounts.get(k) ?? 0) + 1);
  }

  private observeDelay(seconds: number): void {
    const s = Math.max(0, seconds);
    this.delay.sum += s;
    this.delay.count++;
    ACTION_DELAY_BUCKETS.forEach((le, i) => {
      if (s <= le) this.delay.counts[i]!++;
    });
  }

  private remember(id: string): void {
    this.executed.add(id);
    this.executedOrder.push(id);
    if (this.executedOrder.length > MAX_REMEMBERED) this.executed.delete(this.executedOrder.shift()!);
  }

  /**
   * After a restart, serve the line the last executed switch left each stream on (from the
   * audit log), so a hub restart during an outage does not flip players back to a dead primary.
   * Pins, holds and switch counts are not restored (policies re-decide within one evaluation).
   */
  private restore(): void {
    let rows;
    try {
      rows = this.hub.store.auditLog(5000);
    } catch {
      return;
    }
    const seen = new Set<string>();
    for (const row of rows) {
      if (row.action !== 'control.switch') continue;
      const a = (row.data as { action?: ControlAction } | undefined)?.action;
      if (!a || a.dryRun || seen.has(a.stream) || a.to === undefined) continue;
      seen.add(a.stream);
      const slot = this.slots.get(a.stream);
      if (!slot || !slot.lines.includes(a.to) || slot.state.line.active === a.to) continue;
      slot.state = { ...slot.state, line: { ...slot.state.line, active: a.to, since: row.t } };
      this.builtin.apply({ ...a, at: row.t });
      this.log?.info({ stream: a.stream, line: a.to }, 'control: restored the served line from the audit log');
    }
  }
}

function actionName(a: ControlAction): string {
  if (a.type === 'feature') return a.enabled ? 'feature.enable' : 'feature.disable';
  if (a.type === 'note') return `note.${a.reason}`;
  if (a.type === 'escalate') return `escalate.${a.reason}`;
  return a.type;
}

function pick(a: ControlAction): Record<string, unknown> {
  const out: Record<string, unknown> = { reason: a.reason };
  for (const k of ['from', 'to', 'feature', 'enabled', 'severity'] as const) if (a[k] !== undefined) out[k] = a[k];
  return out;
}
