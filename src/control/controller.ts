import type { Histogram } from 'prom-client';
import { BuiltinState, type ServedStream } from '../actuators/builtin.ts';
import { createActuators } from '../actuators/index.ts';
import type { Actuator } from '../actuators/types.ts';
import type { ActuatorConfig } from '../actuators/config-schema.ts';
import { soleOwnership, type Ownership, type OwnershipListener } from '../cluster/ownership.ts';
import type { StreamConfig } from '../model/stream.ts';
import { INCIDENT_TOPICS } from '../model/topics.ts';
import type { Logger } from '../common/log.ts';
import { ReloadError, type Commit, type ReloadIssue } from '../common/reload.ts';
import type { AuditEntry, AuditLog, ControlStateRepository } from '../store/ports.ts';
import { isActed, lineTarget, toAction } from './action.ts';
import { ActionStats, type ActionCount, type FailoverCount } from './action-stats.ts';
import { ActuationStage } from './actuation.ts';
import { ControlConfigSchema, policyFor, type ControlConfig, type Policy } from './config-schema.ts';
import { DedupStage } from './dedup.ts';
import { LeadEscalation } from './escalation.ts';
import { evaluateStream, initialStreamState, rebasedOnServed, reloadedStreamState } from './evaluate.ts';
import { pinFeature, unpinFeature } from './features.ts';
import type { ControlSource } from './routes.ts';
import { linkedIncident } from './incident-link.ts';
import { ActionListeners, type ActionListener } from './listeners.ts';
import { filterStage, outcomeStages, Pipeline } from './pipeline.ts';
import { pinLine, unpinLine } from './policy.ts';
import { incidentsByStream, policyInput } from './policy-input.ts';
import type { Clock, EventSource, IncidentSource, LineHealthSource } from './ports.ts';
import { SerialQueues } from './queues.ts';
import { ActionRecorder } from './recorder.ts';
import { lastSwitches, RESTORE_AUDIT_ROWS_PER_STREAM, unfinishedActions } from './restore.ts';
import { persistedControl, restoredControl } from './persisted-state.ts';
import { ControlStateKeeper } from './state-keeper.ts';
import { SweepScheduler } from './scheduler.ts';
import type { IncidentView, PolicyResult, StreamControlState, StreamHealth } from './types.ts';

/**
 * The controller: the shell around the pure policies.
 *
 *   incident changes (detector-driven) ─┐
 *   sweep (1 s, SweepScheduler)        ─┼─▶ evaluateStream(state, health + open incidents, policy, now)
 *   operator pin / unpin               ─┘        │ decisions
 *                                                ▼ toAction (idempotency key, incident)
 *   the action pipeline: dedup → stats → audit + timeline → listeners → (acted only) lead
 *   escalation → actuation (built-in served state at once, external actuators per stream in the
 *   background) → outcome: stats, audit + timeline, listeners.
 *   Dry-run (global or per stream): decided, audited and put on the timeline, never acted on.
 *
 * In a cluster it decides and acts only on the streams this hub owns (`ownership`), asked right
 * before each effect; its audit rows, saved state and actuator calls carry the shard's fence, so a
 * former owner paused past its lease switches nothing a second time. It follows the shards changing
 * hands: a stream taken over resumes its saved state (the line it is served from stays), a stream
 * given up is forgotten here, nothing changed.
 *
 * Usage (src/app wires the ports from the hub):
 *   const controller = await new Controller({ ...ports, streams: config.streams, config: config.control }).start();
 *   mount controlRoutes(controller) in the API; await controller.stop() before hub.stop().
 */

export interface ControllerOptions {
  streams: readonly StreamConfig[];
  /** The incident manager (open incidents, leads, timelines, escalations). */
  incidents: IncidentSource;
  lineHealth: LineHealthSource;
  /** Incident changes, to evaluate a stream as soon as the detector moves it. */
  events: EventSource;
  /** Where decisions and outcomes are recorded (and served lines restored from, for streams with no saved state). */
  audit: Pick<AuditLog, 'append' | 'controlOf'>;
  /**
   * Where each stream's decided and served line, pins, hold and recent switches are kept, so a
   * hub restart resumes them (src/control/persisted-state.ts). Without it a restart restores only
   * the served lines, from the audit log.
   */
  state?: Pick<ControlStateRepository, 'save' | 'all' | 'remove'>;
  clock: Clock;
  /** Parsed `control:` section (ControlConfigSchema output); default: all defaults, no actuators. */
  config?: ControlConfig;
  /** External actuators; default: built from config.actuators (secrets read from `env`). */
  actuators?: Actuator[];
  env?: NodeJS.ProcessEnv;
  /** Sweep period; 0 = none (call tick() yourself). Default config.tick (1 s). */
  tickMs?: number;
  /** Which streams this hub decides and acts on, under which fence; default soleOwnership (a lone hub: every stream, unfenced). */
  ownership?: Ownership;
  logger?: Logger;
}

export interface ControllerMetrics {
  /** failovers_total{stream,from,to,reason} (every executed switch, failbacks and manual ones included). */
  failoversTotal: FailoverCount[];
  /** Actions by type and outcome (decided, done, failed, dry-run). */
  actionsTotal: ActionCount[];
  /** active_line{stream,line} and feature_enabled{stream,feature}. */
  activeLine: { stream: string; line: string }[];
  featureEnabled: { stream: string; feature: string; enabled: boolean }[];
}

interface StreamSlot {
  cfg: StreamConfig;
  lines: string[];
  policy: Policy;
  state: StreamControlState;
}

/** A stream's config and effective policy, checked (prepared for a start or a reload). */
type StreamPlan = Omit<StreamSlot, 'state'>;

/** What the controller follows of the config. */
export interface ControlSettings {
  streams: readonly StreamConfig[];
  config: ControlConfig;
}

/** Why the controller reads saved state: its hub started, or took streams over from another hub. */
type RestoreCause = 'start' | 'takeover';

export class Controller implements ControlSource, OwnershipListener {
  readonly builtin = new BuiltinState();
  private streamList: readonly StreamConfig[];
  private actuatorList: readonly Actuator[];
  private readonly opts: ControllerOptions;
  private readonly incidents: IncidentSource;
  private readonly lineHealth: LineHealthSource;
  private readonly events: EventSource;
  private readonly audit: Pick<AuditLog, 'append' | 'controlOf'>;
  private readonly clock: Clock;
  private readonly ownership: Ownership;
  private readonly log: Logger | undefined;
  private readonly slots = new Map<string, StreamSlot>();
  private readonly stats = new ActionStats();
  private readonly listeners: ActionListeners;
  private readonly escalation: LeadEscalation;
  private readonly queues: SerialQueues;
  private readonly pipeline: Pipeline;
  private readonly actuation: ActuationStage;
  private readonly scheduler: SweepScheduler;
  private readonly keeper: ControlStateKeeper | undefined;
  private readonly abort = new AbortController();
  private unsubscribe: (() => void)[] = [];
  private evaluating = false;
  private again = new Set<string>();
  /**
   * Streams whose state is in place for this hub's hold of them (restored at start or adopted,
   * or new): only these are acted on. A stream taken over is not, from the moment the lease is
   * taken until its adopt has read the saved state: acting in between decided on a fresh state
   * (the preferred line) and switched again to the backup the former owner had switched to.
   */
  private readonly restored = new Set<string>();
  private started = false;
  private stopped = false;

  constructor(opts: ControllerOptions) {
    this.opts = opts;
    this.streamList = opts.streams;
    this.incidents = opts.incidents;
    this.lineHealth = opts.lineHealth;
    this.events = opts.events;
    this.audit = opts.audit;
    this.clock = opts.clock;
    this.log = opts.logger;
    this.ownership = opts.ownership ?? soleOwnership;
    this.keeper = opts.state && new ControlStateKeeper(opts.state, this.ownership, this.log);
    const config = opts.config ?? ControlConfigSchema.parse({});
    const prepared = this.prepare({ streams: opts.streams, config });
    this.actuatorList = prepared.actuators;
    const now = this.clock();
    for (const plan of prepared.plans) this.addSlot(plan, now);

    this.listeners = new ActionListeners(this.log);
    this.escalation = new LeadEscalation(this.incidents, (stream) => this.slots.get(stream)?.lines ?? [], this.log);
    this.queues = new SerialQueues((err, stream) => this.log?.error({ err, stream }, 'control: an actuator run failed'));
    const recorder = new ActionRecorder(this.audit, this.incidents, this.ownership, this.log);
    this.actuation = new ActuationStage({
      builtin: this.builtin,
      actuators: () => this.actuatorList,
      queues: this.queues,
      signal: this.abort.signal,
      clock: this.clock,
      outcome: outcomeStages([this.stats, recorder, this.listeners]),
      ownership: this.ownership,
      audit: this.audit,
      refused: (action) => this.stats.refused(action),
      log: this.log,
    });
    this.pipeline = new Pipeline([new DedupStage(), this.stats, recorder, this.listeners, filterStage(isActed), this.escalation, this.actuation]);
    this.scheduler = new SweepScheduler({ ids: () => [...this.slots.keys()].filter((id) => this.ownership.owns(id)), slice: () => this.slice() }, { periodMs: opts.tickMs ?? config.tick });
  }

  /** The streams of the config in use. */
  get streams(): readonly StreamConfig[] {
    return this.streamList;
  }

  /** The external actuators in use. */
  get actuators(): readonly Actuator[] {
    return this.actuatorList;
  }

  /**
   * A config reload: builds the new actuators and checks every stream's policy (throws
   * ReloadError naming each problem) without touching what runs. The returned commit makes the
   * next decisions use the new policies and actuators: a stream that stays keeps its served line
   * and policy state (evaluate.ts reloadedStreamState; re-based on what is served when it leaves
   * dry-run), a removed one is dropped with its served state and counters, a new one starts on
   * its preferred line. An action already on its way finishes with the actuators it started with.
   */
  prepareReload(next: ControlSettings): Commit {
    const prepared = this.prepare(next);
    return () => {
      const now = this.clock();
      this.actuatorList = prepared.actuators;
      this.streamList = next.streams;
      const kept = new Set(prepared.plans.map((p) => p.cfg.id));
      for (const id of [...this.slots.keys()]) {
        if (kept.has(id)) continue;
        this.slots.delete(id);
        this.restored.delete(id);
        this.builtin.remove(id);
        this.escalation.forget(id);
        this.stats.forget(id);
        this.keeper?.forget(id);
      }
      for (const plan of prepared.plans) {
        const slot = this.slots.get(plan.cfg.id);
        if (!slot) {
          this.addSlot(plan, now);
          continue;
        }
        const id = plan.cfg.id;
        const served = this.builtin.get(id);
        const leavingDryRun = slot.policy.dryRun && !plan.policy.dryRun;
        const state = reloadedStreamState(leavingDryRun ? rebasedOnServed(slot.state, served) : slot.state, plan.lines, plan.policy, now);
        if (served && !plan.lines.includes(served.active)) {
          this.log?.warn({ stream: id, from: served.active, to: state.line.active }, 'control: the served line left the config; the stream is served from the line its policy is on');
          this.builtin.remove(id);
          this.builtin.init(id, state.line.active, now);
        }
        Object.assign(slot, plan, { state });
        this.keep(slot, now);
      }
      if (this.opts.tickMs === undefined) this.scheduler.setPeriod(next.config.tick);
    };
  }

  /**
   * Restores the saved state of each stream this hub owns (else its served line from the audit
   * log), follows the shards changing hands, subscribes to incident changes and starts the sweep.
   */
  async start(): Promise<this> {
    if (this.started) return this;
    this.started = true;
    await this.restore(new Set([...this.slots.keys()].filter((id) => this.ownership.owns(id))), 'start');
    if (this.stopped) return this;
    this.ownership.subscribe(this);
    for (const topic of INCIDENT_TOPICS) {
      this.unsubscribe.push(
        this.events.on(topic, (change) => {
          // Changes without a detector event are actions (ours included): nothing new to evaluate.
          if (change.event && change.incident.stream !== undefined) this.evaluate(change.incident.stream);
        }),
      );
    }
    this.scheduler.start();
    return this;
  }

  /** Stops evaluating (tick and evaluate become no-ops), aborts retries in flight and waits for the actuator queues and the state writes. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const off of this.unsubscribe.splice(0)) off();
    this.scheduler.stop();
    this.abort.abort(new Error('controller stopping'));
    await this.idle();
    await this.keeper?.settled();
  }

  /**
   * OwnershipListener: this hub took these streams over. Each resumes the state its former owner
   * saved (decided and served line, pins, hold, recent switches): the line it is served from stays
   * where it was, and a failback waits its hold-off as it would have there.
   */
  async adopt(streams: readonly string[]): Promise<void> {
    if (this.stopped) return;
    const adopted = new Set(streams.filter((id) => this.slots.has(id)));
    for (const id of adopted) {
      this.fresh(this.slots.get(id)!);
      this.builtin.remove(id);
    }
    await this.restore(adopted, 'takeover');
    // Lost again while its state was being read: forgotten again.
    this.release([...adopted].filter((id) => !this.ownership.owns(id)));
  }

  /** OwnershipListener: another hub acts on these streams now. Their state is forgotten here; nothing is written or called. */
  release(streams: readonly string[]): void {
    for (const id of streams) {
      const slot = this.slots.get(id);
      if (!slot) continue;
      this.fresh(slot);
      this.builtin.remove(id);
    }
  }

  /** Resolves when every queued actuator run has finished. */
  idle(): Promise<void> {
    return this.queues.idle();
  }

  /** Evaluates every stream now (time-based policies: failback, hold-offs, pin expiry). */
  tick(): void {
    this.scheduler.tick();
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
      this.evaluateSlot(slot, incidents);
      while (this.again.size > 0) {
        const [next] = this.again;
        this.again.delete(next!);
        this.evaluateSlot(this.slots.get(next!)!);
      }
    } finally {
      this.evaluating = false;
    }
  }

  /** Operator: pin a line until `until` (or for `ttlMs`), with a reason. */
  pin(stream: string, p: { line: string; reason: string; by: string; until?: number; ttlMs?: number }): StreamControlState {
    const slot = this.operated(stream);
    const until = p.until ?? this.clock() + (p.ttlMs ?? 3_600_000);
    this.run(slot, (now) => {
      const r = pinLine(slot.state.line, stream, slot.lines, { line: p.line, until, reason: p.reason, by: p.by }, now);
      return { state: { ...slot.state, line: r.state }, decisions: r.decisions };
    });
    return this.state(stream)!;
  }

  /** Operator: remove a line pin or a flap hold. */
  unpin(stream: string, by: string, reason: string): StreamControlState {
    const slot = this.operated(stream);
    this.run(slot, () => {
      const r = unpinLine(slot.state.line, stream, by, reason);
      return { state: { ...slot.state, line: r.state }, decisions: r.decisions };
    });
    this.evaluate(stream);
    return this.state(stream)!;
  }

  /** Operator: force a feature on or off until `until` (or for `ttlMs`), with a reason. */
  pinFeature(stream: string, p: { feature: string; enabled: boolean; reason: string; by: string; until?: number; ttlMs?: number }): StreamControlState {
    const slot = this.operated(stream);
    const until = p.until ?? this.clock() + (p.ttlMs ?? 3_600_000);
    this.run(slot, (now) => {
      const r = pinFeature(slot.state.features, stream, { feature: p.feature, enabled: p.enabled, until, reason: p.reason, by: p.by }, now);
      return { state: { ...slot.state, features: r.state }, decisions: r.decisions };
    });
    return this.state(stream)!;
  }

  unpinFeature(stream: string, feature: string, by: string, reason: string): StreamControlState {
    const slot = this.operated(stream);
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
    return this.lineHealth.health(stream);
  }

  knownFeatures(stream: string): string[] {
    const slot = this.slots.get(stream);
    if (!slot) return [];
    return [...new Set([...Object.values(slot.policy.features).flat(), ...Object.keys(slot.state.features)])].sort();
  }

  /** Subscribes to actions (decided, then done with the actuator results); returns the unsubscribe function. */
  onAction(fn: ActionListener): () => void {
    return this.listeners.on(fn);
  }

  /** action_delay_seconds: fault onset → action done (a prom-client histogram in no registry; the metrics endpoint registers it). */
  get actionDelay(): Histogram {
    return this.stats.actionDelay;
  }

  metrics(): ControllerMetrics {
    return {
      failoversTotal: this.stats.failoversTotal(),
      actionsTotal: this.stats.actionsTotal(),
      activeLine: this.builtin.all().map((s) => ({ stream: s.stream, line: s.active })),
      featureEnabled: this.streams.flatMap((cfg) => {
        const served = this.builtin.get(cfg.id);
        return this.knownFeatures(cfg.id).map((feature) => ({ stream: cfg.id, feature, enabled: served?.features[feature] ?? true }));
      }),
    };
  }

  /** Every stream's plan and the actuators of a config; throws ReloadError with every problem found. */
  private prepare(next: ControlSettings): { plans: StreamPlan[]; actuators: readonly Actuator[] } {
    const issues: ReloadIssue[] = [];
    const plans = next.streams.map((cfg) => {
      const lines = Object.keys(cfg.lines);
      const policy = policyFor(next.config, cfg.id);
      if (policy.preferred !== undefined && !lines.includes(policy.preferred)) {
        const path = next.config.streams[cfg.id]?.preferred !== undefined ? `control.streams.${cfg.id}.preferred` : 'control.default.preferred';
        issues.push({ path, message: `stream "${cfg.id}" has no line "${policy.preferred}" (lines: ${lines.join(', ')})` });
      }
      return { cfg, lines, policy };
    });
    const actuators = this.opts.actuators ?? next.config.actuators.flatMap((c, i) => this.buildActuator(c, i, issues));
    if (issues.length > 0) throw new ReloadError(issues);
    return { plans, actuators };
  }

  private buildActuator(c: ActuatorConfig, index: number, issues: ReloadIssue[]): Actuator[] {
    try {
      return createActuators([c], this.opts.env ?? process.env);
    } catch (err) {
      issues.push({ path: `control.actuators[${index}]`, message: (err as Error).message });
      return [];
    }
  }

  /** A stream of the config: served by this hub from its preferred line when it owns it, else by its owner. */
  private addSlot(plan: StreamPlan, now: number): void {
    const state = initialStreamState(plan.lines, plan.policy, now);
    this.slots.set(plan.cfg.id, { ...plan, state });
    if (!this.ownership.owns(plan.cfg.id)) return;
    this.builtin.init(plan.cfg.id, state.line.active, now);
    this.restored.add(plan.cfg.id); // nothing saved to wait for: a new stream, or one a lone hub restores at start
  }

  /** Forgets what this hub decided for a stream (it changes hands): its policy state starts afresh, nothing is written. */
  private fresh(slot: StreamSlot): void {
    const id = slot.cfg.id;
    this.restored.delete(id);
    slot.state = initialStreamState(slot.lines, slot.policy, this.clock());
    this.escalation.forget(id);
    this.keeper?.release(id);
  }

  private slot(stream: string): StreamSlot {
    const slot = this.slots.get(stream);
    if (!slot) throw new Error(`no stream "${stream}" in the config`);
    return slot;
  }

  /** A stream an operator command acts on: this hub's to act on now, or an error saying another hub is. */
  private operated(stream: string): StreamSlot {
    const slot = this.slot(stream);
    if (!this.ownership.actingOn(stream)) throw new Error(`stream "${stream}" is not this hub's to act on now: another hub of the cluster owns it`);
    if (!this.restored.has(stream)) throw new Error(`stream "${stream}" is being taken over by this hub: its saved state is being read; try again in a moment`);
    return slot;
  }

  /** A sweep slice: one pass over the open incidents for every stream of the slice (not one per stream). */
  private slice(): (stream: string) => void {
    const byStream = incidentsByStream(this.incidents.open(), (s) => this.slots.has(s));
    return (stream) => this.evaluate(stream, byStream.get(stream) ?? []);
  }

  private evaluateSlot(slot: StreamSlot, incidents?: IncidentView[]): void {
    const stream = slot.cfg.id;
    this.run(slot, (now) => {
      const open = incidents ?? incidentsByStream(this.incidents.open(), (s) => s === stream).get(stream) ?? [];
      const input = policyInput(stream, slot.lines, this.lineHealth.health(stream), open, this.lineHealth.graceUntil(stream), now);
      return evaluateStream(slot.state, input, slot.policy, now);
    });
  }

  /** Applies a policy result to the stream and sends its decisions down the action pipeline, while this hub acts on it. */
  private run(slot: StreamSlot, fn: (now: number) => PolicyResult<StreamControlState>): void {
    if (!this.ownership.actingOn(slot.cfg.id) || !this.restored.has(slot.cfg.id)) {
      this.log?.debug({ stream: slot.cfg.id }, 'control: not evaluated: this hub does not act on the stream now');
      return;
    }
    const now = this.clock();
    const r = fn(now);
    slot.state = r.state;
    for (const d of r.decisions) {
      this.pipeline.exec(toAction(d, { cfg: slot.cfg, now, dryRun: slot.policy.dryRun, incident: linkedIncident(d, this.incidents, slot.lines) }));
    }
    this.escalation.evaluated(slot.cfg.id, slot.state.line, now);
    this.keep(slot, now);
  }

  /** Saves the stream's state if it changed (the built-in actuator has applied the decisions by now). */
  private keep(slot: StreamSlot, now: number): void {
    this.keeper?.changed(slot.cfg.id, persistedControl(slot.state, this.builtin.get(slot.cfg.id)), now);
  }

  /**
   * After a restart, or when this hub takes `streams` over: each resumes its saved state (decided
   * and served line and features, pins, hold, recent switches); a stream with none (no state port,
   * or saved by an older hub) is served the line the last executed switch left it on, from the audit log.
   */
  private async restore(streams: ReadonlySet<string>, cause: RestoreCause): Promise<void> {
    for (const id of streams) this.builtin.init(id, this.slots.get(id)!.state.line.active, this.clock());
    const savedAt = await this.restoreSaved(streams, cause);
    let rows;
    try {
      rows = await this.audit.controlOf([...streams], RESTORE_AUDIT_ROWS_PER_STREAM);
    } catch (err) {
      this.log?.warn({ err }, 'control: reading the audit log failed; streams without a saved state start on their preferred line, and an action a stopped hub left unfinished is not carried out');
    }
    if (rows) {
      this.restoreServedLines(streams, savedAt, rows);
      this.resumeActuation(streams, rows);
    }
    for (const id of streams) if (this.slots.has(id)) this.restored.add(id);
  }

  /**
   * The last switch or feature change of `streams` that the hub deciding it never saw through (its
   * actuators did not report: it was killed, or lost the stream while the call waited) is carried
   * out now, while it is still what the stream is served: else the edge would keep players on the
   * line the stream was switched away from.
   */
  private resumeActuation(streams: ReadonlySet<string>, rows: readonly AuditEntry[]): void {
    for (const action of unfinishedActions(rows)) {
      const slot = this.slots.get(action.stream);
      if (!slot || !streams.has(action.stream)) continue;
      const served = this.builtin.get(action.stream);
      const current = action.type === 'switch' ? action.to !== undefined && served?.active === action.to : served?.features[action.feature ?? ''] === action.enabled;
      // The audit row has the line URLs without their credentials: the actuators get the config's.
      if (!current || !this.actuation.resume(action.type === 'switch' ? { ...action, ...lineTarget(slot.cfg, action.to!) } : action)) continue;
      this.log?.warn({ stream: action.stream, action: action.id }, 'control: calling the actuators for an action the hub that decided it did not see through');
    }
  }

  /** Of `streams`, those whose saved state (saved at `restored`'s time, if any) missed the last switch in the audit log are served its line. */
  private restoreServedLines(streams: ReadonlySet<string>, restored: ReadonlyMap<string, number>, rows: readonly AuditEntry[]): void {
    for (const { action, at } of lastSwitches(rows)) {
      const slot = this.slots.get(action.stream);
      if (!slot || !streams.has(action.stream) || !slot.lines.includes(action.to) || slot.state.line.active === action.to) continue;
      // A saved state older than the last switch missed it: the hub that switched stopped (or lost
      // the stream) before its save went through. The audit row, written before the call, wins.
      const savedAt = restored.get(action.stream);
      if (savedAt !== undefined && savedAt >= at) continue;
      const line = slot.state.line;
      slot.state = { ...slot.state, line: { ...line, active: action.to, since: at, ...(savedAt !== undefined && { switches: [...line.switches, at] }) } };
      this.builtin.apply({ ...action, at });
      if (savedAt !== undefined) this.keep(slot, this.clock());
      this.log?.info({ stream: action.stream, line: action.to, savedAt }, savedAt === undefined ? 'control: restored the served line from the audit log' : 'control: the saved state missed the last switch; the served line is the audit log\'s');
    }
  }

  /** Of `streams`, those whose saved state was restored, with when it was saved. A state that cannot be read is logged, and its stream starts afresh. */
  private async restoreSaved(streams: ReadonlySet<string>, cause: RestoreCause): Promise<Map<string, number>> {
    const restored = new Map<string, number>();
    if (!this.opts.state || !this.keeper) return restored;
    let saved;
    try {
      saved = await this.opts.state.all();
    } catch (err) {
      this.log?.warn({ err }, 'control: reading the saved control state failed; served lines come from the audit log');
      return restored;
    }
    for (const { stream, data, updatedAt } of saved) {
      const slot = this.slots.get(stream);
      if (slot && !streams.has(stream)) continue;
      if (!slot) {
        this.keeper.forget(stream); // left the config while the hub was down
        continue;
      }
      let r;
      try {
        r = restoredControl(stream, data, slot.lines, slot.state.line);
      } catch (err) {
        this.log?.warn({ err, stream }, 'control: the saved state of a stream cannot be read; it starts afresh');
        continue;
      }
      if (!r) continue;
      slot.state = r.state;
      this.builtin.remove(stream);
      this.builtin.init(stream, r.served.line, r.served.since, r.served.features);
      this.keeper.known(stream, persistedControl(r.state, this.builtin.get(stream)));
      restored.set(stream, updatedAt);
      this.log?.info({ stream, line: r.state.line.active, served: r.served.line, pinned: r.state.line.pin?.value, held: r.state.line.hold !== undefined }, cause === 'start' ? 'control: restored the stream state saved before the restart' : 'control: restored the stream state its previous owner saved');
    }
    return restored;
  }
}
