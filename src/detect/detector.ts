import type { StreamConfig } from '../model/stream.ts';
import type { Sample } from '../model/sample.ts';
import { gradeStream, toEvent, type ActiveIncident, type StreamViews } from './grade.ts';
import { compileRules, evaluateLine, type CompiledRules, type LineState } from './line-health.ts';
import { impairedIncident, impairedKey, noteSample, restoredImpairment, type Impairment } from './impairment.ts';
import { blindIncident, couldBeAllFailing, createProbeState, excludedProbes, excusePause, isAllFailing, isSilent, touchProbe, type ProbeState } from './probe-watch.ts';
import { reconfigure } from './reconfigure.ts';
import { DEFAULT_RULES, DetectorSettingsSchema, type DetectorSettings, type Rules } from './rules-schema.ts';
import type { IncidentEvent } from '../model/incident.ts';

/**
 * The detector: samples and ticks in, incident events out.
 *
 *   const det = createDetector({ streams: config.streams, rules, settings });
 *   const events = det.step(sample, now);     // or det.step({ type: 'tick' }, now) about once a second
 *
 * or, functionally, `step(ctx, state, input, now) → { state, events }` with `compileDetector` and
 * `createDetectorState`. No I/O, no timers, no clock reads: `now` is the hub clock, injected.
 * The state is mutated in place and returned (the hot path allocates next to nothing); it holds
 * Maps and typed arrays and is not meant to be serialised: after a restart, seed it with the open
 * incidents from the store via `restoreIncidents` so detection resumes without duplicates.
 */

export interface DetectorConfig {
  streams?: readonly StreamConfig[];
  /** Merged rules (RulesConfigSchema output or mergeRules()); default DEFAULT_RULES. */
  rules?: Rules;
  settings?: Partial<DetectorSettings>;
}

export interface DetectorContext {
  readonly rules: CompiledRules;
  readonly settings: DetectorSettings;
  readonly streams: ReadonlyMap<string, StreamConfig>;
}

export type DetectorInput =
  | Sample
  | { type: 'tick' }
  /** A probe's keep-alive on the uplink when it has nothing else to send. */
  | { type: 'heartbeat'; probe: string; region: string; intervalMs?: number }
  /**
   * The hub was frozen (GC pause, VM steal, SIGSTOP) for at least `pausedMs` just before `now`:
   * it heard nobody then, so that time counts towards no probe's silence nor a start-up grace.
   */
  | { type: 'resume'; pausedMs: number };

export interface DetectorStats {
  samples: number;
  late: number;
  duplicate: number;
  /** Samples of a stream or line a config reload removed (a probe not yet told), ignored. */
  retired: number;
  /** Samples their probe marked impaired (not evaluated: see line-health.ts). */
  impaired: number;
}

export interface DetectorState {
  probes: Map<string, ProbeState>;
  streams: Map<string, StreamViews>;
  /** `probe/<probe>/blind` and `probe/<probe>/impaired` incidents. */
  probeIncidents: Map<string, ActiveIncident>;
  /** Probes currently blind as all-failing (re-checked when their streams change elsewhere). */
  allFailing: Set<ProbeState>;
  /**
   * Streams with restored incidents not yet settled by fresh views (StreamViews.restored): graded
   * on every tick, as a line that is healthy from its first sample never changes level.
   */
  restored: Set<StreamViews>;
  /** Streams in start-up grace with configured lines that have not reported: graded again when it ends. */
  awaiting: Set<StreamViews>;
  /** Streams (`id`) and lines (`id\u0000line`) a config reload removed: their samples are ignored. */
  retired: Set<string>;
  /** Impairment episodes of restored `probe/<probe>/impaired` incidents whose probe has not been heard yet, by probe. */
  restoredImpairments: Map<string, Impairment>;
  stats: DetectorStats;
}

export interface StepResult {
  state: DetectorState;
  events: IncidentEvent[];
}

export function compileDetector(config: DetectorConfig = {}): DetectorContext {
  const settings = DetectorSettingsSchema.parse(config.settings ?? {});
  const streams = new Map<string, StreamConfig>();
  for (const s of config.streams ?? []) streams.set(s.id, s);
  return { rules: compileRules(config.rules ?? DEFAULT_RULES, settings), settings, streams };
}

export function createDetectorState(): DetectorState {
  return { probes: new Map(), streams: new Map(), probeIncidents: new Map(), allFailing: new Set(), restored: new Set(), awaiting: new Set(), retired: new Set(), restoredImpairments: new Map(), stats: { samples: 0, late: 0, duplicate: 0, retired: 0, impaired: 0 } };
}

export function step(ctx: DetectorContext, state: DetectorState, input: DetectorInput, now: number): StepResult {
  // A plain array, not a lazily allocating closure: a closure per sample cost more (tsx's
  // keep-names wrapper names every function it creates: ≈ 1.4 % of the hub's CPU at 50k/s).
  const events: IncidentEvent[] = [];

  if ('seq' in input) {
    const sample = input;
    state.stats.samples++;
    const p = state.probes.get(sample.probe) ?? heardFirst(ctx, state, sample.probe, sample.region, now, sample.windowMs);
    if (touchProbe(p, now, sample.windowMs, ctx.settings)) unblind(ctx, state, p, now, events);
    if (sample.impaired !== undefined || p.impairment !== undefined) noteImpairment(ctx, state, p, sample, now, events);
    if (state.retired.size > 0 && (state.retired.has(sample.stream) || state.retired.has(`${sample.stream}\u0000${sample.line}`))) {
      state.stats.retired++;
      return { state, events };
    }

    let lines = p.views.get(sample.stream);
    const view = lines?.get(sample.line);
    if (sample.impaired !== undefined) {
      state.stats.impaired++;
      // An untrusted window makes no view: a fresh one starts ok and would speak for its region.
      if (!view) return { state, events };
    }
    if (!lines) {
      lines = new Map();
      p.views.set(sample.stream, lines);
    }
    const res = evaluateLine(view, sample, now, ctx.rules, ctx.streams.get(sample.stream));
    if (!view) register(ctx, state, p, lines, res.state, sample.windowMs, now);
    if (res.ignored) {
      if (res.ignored === 'late') state.stats.late++;
      else state.stats.duplicate++;
    } else if (res.change) {
      const c = res.change;
      if (c.from === 'down') p.downCount--;
      if (c.to === 'down') p.downCount++;
      onViewChange(ctx, state, p, sample.stream, c.to === 'down', now, events);
    } else if (!view && res.state.level !== 'down' && hasP0(state, sample.stream)) {
      // A line's first view that is not down refutes "the whole stream is down" (e.g. the backup
      // reporting for the first time after the start-up grace, or after a restart).
      onViewChange(ctx, state, p, sample.stream, false, now, events);
    }
    // A trusted view that is not down: the probe holding downs back is not all-failing.
    if (p.heldDowns !== undefined && !res.ignored && res.state.level !== 'down' && sample.impaired === undefined) releaseDowns(ctx, state, p, now, events);
  } else if (input.type === 'heartbeat') {
    const p = state.probes.get(input.probe) ?? heardFirst(ctx, state, input.probe, input.region, now, input.intervalMs ?? 1000);
    if (touchProbe(p, now, input.intervalMs, ctx.settings)) unblind(ctx, state, p, now, events);
  } else if (input.type === 'resume') {
    if (input.pausedMs > 0) {
      for (const p of state.probes.values()) excusePause(p, input.pausedMs, now);
      for (const sv of state.awaiting) if (sv.graceUntil !== undefined) sv.graceUntil += input.pausedMs;
    }
  } else {
    for (const p of state.probes.values()) {
      if (p.blind !== 'silent' && isSilent(p, now, ctx.settings)) {
        if (p.blind === 'all-failing') state.allFailing.delete(p);
        blind(ctx, state, p, 'silent', now, events);
      } else if (p.heldDowns !== undefined && now - p.heldDowns.since >= p.intervalMs) {
        // The probe has not shown the rest of its window: grade what it holds back.
        releaseDowns(ctx, state, p, now, events);
      }
    }
    // All-failing ends on a tick, once a whole window has been ingested: the probe sees again, or
    // the other regions stopped seeing the streams fine (a real outage: its views count again).
    // Deciding per sample would re-open and withdraw incidents view by view within one window.
    for (const p of state.allFailing) {
      if (!isAllFailing(p, state.streams, state.probes, ctx.settings)) unblind(ctx, state, p, now, events);
    }
    if (state.awaiting.size > 0) {
      for (const sv of state.awaiting) {
        if (now < (sv.graceUntil ?? 0)) continue;
        state.awaiting.delete(sv);
        grade(ctx, state, sv, now, events);
      }
    }
    for (const sv of state.restored) {
      grade(ctx, state, sv, now, events);
      if (sv.restored.size === 0) state.restored.delete(sv);
    }
  }
  return { state, events };
}

/** A probe heard for the first time (since the start): its state, with a restored impairment episode if it had one. */
function heardFirst(ctx: DetectorContext, state: DetectorState, probe: string, region: string, now: number, intervalMs: number): ProbeState {
  const p = createProbeState(probe, region, now, ctx.settings.heartbeatMs ?? intervalMs);
  state.probes.set(probe, p);
  const restored = state.restoredImpairments.get(probe);
  if (restored) {
    state.restoredImpairments.delete(probe);
    p.impairment = restored;
  }
  return p;
}

function register(ctx: DetectorContext, state: DetectorState, p: ProbeState, lines: Map<string, LineState>, v: LineState, windowMs: number, now: number): void {
  lines.set(v.line, v);
  p.viewCount++;
  const sv = streamViews(ctx, state, v.stream);
  if (sv.graceUntil === undefined) {
    // The stream's first sample starts its start-up grace.
    sv.graceUntil = now + ctx.settings.startupGraceWindows * windowMs;
    state.awaiting.add(sv);
  }
  let views = sv.lines.get(v.line);
  if (!views) {
    views = [];
    sv.lines.set(v.line, views);
    if (!sv.lineOrder.includes(v.line)) sv.lineOrder.push(v.line);
  }
  views.push(v);
  if (state.awaiting.has(sv) && sv.lineOrder.every((l) => (sv.lines.get(l)?.length ?? 0) > 0)) state.awaiting.delete(sv);
}

function hasP0(state: DetectorState, stream: string): boolean {
  const sv = state.streams.get(stream);
  if (!sv) return false;
  for (const inc of sv.incidents.values()) if (inc.severity === 'P0') return true;
  return false;
}

function streamViews(ctx: DetectorContext, state: DetectorState, id: string): StreamViews {
  let sv = state.streams.get(id);
  if (!sv) {
    const cfg = ctx.streams.get(id);
    sv = { id, lineOrder: cfg ? Object.keys(cfg.lines) : [], lines: new Map(), incidents: new Map(), restored: new Map() };
    state.streams.set(id, sv);
  }
  return sv;
}

function onViewChange(ctx: DetectorContext, state: DetectorState, p: ProbeState, stream: string, toDown: boolean, now: number, out: IncidentEvent[]): void {
  if (p.blind !== false) return; // excluded from grading; all-failing is re-checked on ticks
  if (p.downCount === p.viewCount) {
    if (isAllFailing(p, state.streams, state.probes, ctx.settings)) {
      blind(ctx, state, p, 'all-failing', now, out);
      return;
    }
    if (p.heldDowns !== undefined) {
      // every view down and not its blindness: what it held back is real
      p.heldDowns.streams.add(stream);
      releaseDowns(ctx, state, p, now, out);
      return;
    }
  } else if (toDown && (p.heldDowns !== undefined || couldBeAllFailing(p, ctx.settings))) {
    if (p.heldDowns === undefined) p.heldDowns = { since: now, streams: new Set() };
    p.heldDowns.streams.add(stream);
    return;
  }
  grade(ctx, state, state.streams.get(stream)!, now, out);
}

/** Grades the streams whose down views the probe held back (see probe-watch.ts). */
function releaseDowns(ctx: DetectorContext, state: DetectorState, p: ProbeState, now: number, out: IncidentEvent[]): void {
  const held = p.heldDowns;
  if (!held) return;
  p.heldDowns = undefined;
  for (const stream of held.streams) {
    const sv = state.streams.get(stream);
    if (sv) grade(ctx, state, sv, now, out);
  }
}

function grade(ctx: DetectorContext, state: DetectorState, sv: StreamViews, now: number, out: IncidentEvent[]): void {
  gradeStream(sv, excludedProbes(state.probes), ctx.rules.rules, ctx.settings, now, out);
}

function blind(ctx: DetectorContext, state: DetectorState, p: ProbeState, how: 'silent' | 'all-failing', now: number, out: IncidentEvent[]): void {
  const wasBlind = p.blind !== false;
  p.blind = how;
  p.heldDowns = undefined; // its views are excluded: nothing held back is graded
  if (!wasBlind) p.blindSince = now;
  if (how === 'all-failing') state.allFailing.add(p);
  const key = `probe/${p.probe}/blind`;
  if (!state.probeIncidents.has(key)) {
    const inc = blindIncident(p, now);
    state.probeIncidents.set(key, inc);
    out.push(toEvent('open', inc, now));
  }
  if (!wasBlind) regradeProbe(ctx, state, p, now, out);
}

function unblind(ctx: DetectorContext, state: DetectorState, p: ProbeState, now: number, out: IncidentEvent[]): void {
  if (p.blind === false) return;
  p.blind = false;
  p.blindSince = NaN;
  state.allFailing.delete(p);
  const key = `probe/${p.probe}/blind`;
  const inc = state.probeIncidents.get(key);
  if (inc) {
    state.probeIncidents.delete(key);
    const ev = toEvent('clear', inc, now);
    ev.previous = inc.severity;
    if (now - inc.openedAt < ctx.settings.blipMs) {
      ev.severity = 'P3';
      ev.cause = 'blip';
    }
    out.push(ev);
  }
  regradeProbe(ctx, state, p, now, out);
}

/** Folds a sample into its probe's impairment episode; opens, updates or clears `probe/<probe>/impaired`. */
function noteImpairment(ctx: DetectorContext, state: DetectorState, p: ProbeState, sample: Sample, now: number, out: IncidentEvent[]): void {
  const { episode, change } = noteSample(p.impairment, sample, ctx.settings);
  p.impairment = episode;
  if (!change) return;
  const key = impairedKey(p.probe);
  const cur = state.probeIncidents.get(key);
  if (change === 'clear') {
    if (!cur) return;
    state.probeIncidents.delete(key);
    const ev = toEvent('clear', cur, now);
    ev.previous = cur.severity;
    out.push(ev);
    return;
  }
  const inc = impairedIncident(p.probe, p.region, episode!, ctx.settings.impairedOpenWindows * sample.windowMs, now, cur?.openedAt);
  state.probeIncidents.set(key, inc);
  out.push(toEvent(cur ? 'update' : 'open', inc, now));
}

function regradeProbe(ctx: DetectorContext, state: DetectorState, p: ProbeState, now: number, out: IncidentEvent[]): void {
  for (const stream of p.views.keys()) {
    const sv = state.streams.get(stream);
    if (sv) grade(ctx, state, sv, now, out);
  }
}

/** All active incidents (stream and probe), e.g. for a snapshot or the console. */
export function activeIncidents(state: DetectorState): ActiveIncident[] {
  const out: ActiveIncident[] = [];
  for (const sv of state.streams.values()) for (const inc of sv.incidents.values()) out.push(inc);
  for (const inc of state.probeIncidents.values()) out.push(inc);
  return out;
}

/**
 * Seeds open incidents after a restart (from the store). The same condition seen again updates
 * them instead of opening duplicates. A stream incident keeps its state until fresh samples speak
 * for every region of its evidence (grade.ts): it is cleared only once they show the line healthy
 * for the clear time, never for want of data (a probe that never comes back is a blind probe's
 * matter). A restored blind probe's incident clears when the probe is heard; a restored impaired
 * one continues the probe's impairment episode (it clears after its clean windows).
 */
export function restoreIncidents(ctx: DetectorContext, state: DetectorState, incidents: readonly ActiveIncident[], now: number): void {
  for (const inc of incidents) {
    const copy: ActiveIncident = { ...inc, regions: [...inc.regions], firstSeen: { ...inc.firstSeen } };
    if (inc.kind === 'impaired' && inc.probe !== undefined) {
      // Not a probe state yet: an impairment is no reason to start its silence watchdog.
      state.probeIncidents.set(inc.key, copy);
      const p = state.probes.get(inc.probe);
      if (p) p.impairment = restoredImpairment(copy);
      else state.restoredImpairments.set(inc.probe, restoredImpairment(copy));
    } else if (inc.kind === 'blind' && inc.probe !== undefined) {
      state.probeIncidents.set(inc.key, copy);
      let p = state.probes.get(inc.probe);
      if (!p) {
        p = createProbeState(inc.probe, inc.regions[0]?.region ?? '', now, ctx.settings.heartbeatMs ?? 1000);
        state.probes.set(inc.probe, p);
      }
      p.blind = 'silent';
      p.blindSince = inc.openedAt;
    } else if (inc.stream !== undefined) {
      const sv = streamViews(ctx, state, inc.stream);
      sv.incidents.set(inc.key, copy);
      if (inc.line !== undefined && !sv.lineOrder.includes(inc.line)) sv.lineOrder.push(inc.line);
      sv.restored.set(inc.key, new Set(inc.regions.map((r) => r.region)));
      state.restored.add(sv);
    }
  }
}

export interface Detector {
  /** The compiled config in use (replaced by `reconfigure`). */
  readonly ctx: DetectorContext;
  /** One state object for the detector's life (readers may hold it): a reconfigure changes it in place. */
  readonly state: DetectorState;
  step(input: DetectorInput, now: number): IncidentEvent[];
  /** Switches to another compiled config (reconfigure.ts); returns the events of streams graded again. */
  reconfigure(next: DetectorContext, now: number): IncidentEvent[];
  activeIncidents(): ActiveIncident[];
}

export function createDetector(config: DetectorConfig = {}): Detector {
  let ctx = compileDetector(config);
  const state = createDetectorState();
  return {
    get ctx() {
      return ctx;
    },
    state,
    step: (input, now) => step(ctx, state, input, now).events,
    reconfigure: (next, now) => {
      const events = reconfigure(ctx, state, next, now);
      ctx = next;
      return events;
    },
    activeIncidents: () => activeIncidents(state),
  };
}
