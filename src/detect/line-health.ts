import { STREAM_KINDS, type StreamConfig } from '../model/stream.ts';
import { FROZEN_AFTER_MS, type Sample } from '../model/sample.ts';
import { CONTENT_METRICS, DEFAULT_DETECTOR_SETTINGS, DEFAULT_LATENCY_BUDGET_MS, type DetectorSettings, type Metric, type Rules } from './rules-schema.ts';
import { createTrailingMedian, learn, type TrailingMedian } from './trailing-median.ts';
import { LEVEL_RANK, type Level } from '../model/severity.ts';
import { type Reason } from '../model/incident.ts';

/**
 * Per (stream, line, region, probe) health from samples, with hysteresis.
 *
 * Time inside one view is the probe's sample time `t` (never compared with another probe's clock);
 * `now` (hub clock) is only recorded as `seenAt`/`since` for the cross-region grading.
 * The state object is mutated in place and returned (no allocation on the hot path); the function
 * is still deterministic in (state, sample, now, rules, stream): no I/O, no clock reads.
 */

const M_DISCONNECTED = 0;
const M_STALL = 1;
const M_FREEZE = 2;
const M_FPS = 3;
const M_LATENCY = 4;
const M_BITRATE = 5;
const M_HEIGHT = 6;
const M_STARTUP = 7;
const M_AVSYNC = 8;
const M_BLACK = 9;
const M_SILENCE = 10;
const M_LOUDNESS = 11;
const M_TRUE_PEAK = 12;
const M_FREEZE_RATIO = 13;
const METRIC_CODE: Record<Metric, number> = {
  disconnected: M_DISCONNECTED,
  stallRatio: M_STALL,
  freezeMs: M_FREEZE,
  freezeRatio: M_FREEZE_RATIO,
  fpsRatio: M_FPS,
  latencyOverBudgetMs: M_LATENCY,
  bitrateRatio: M_BITRATE,
  heightRatio: M_HEIGHT,
  startupOverBudgetMs: M_STARTUP,
  avSyncMs: M_AVSYNC,
  blackRatio: M_BLACK,
  silenceRatio: M_SILENCE,
  loudnessLufs: M_LOUDNESS,
  truePeakDbtp: M_TRUE_PEAK,
};

export interface CompiledRule {
  name: string;
  metric: Metric;
  code: number;
  above: boolean;
  threshold: number;
  forMs: number;
  clearThreshold: number;
  clearForMs: number;
  yields: Level;
  down: boolean;
  /** It watches the picture or sound the source sends (CONTENT_METRICS), not their delivery. */
  content: boolean;
  clearWhenMissing: boolean;
}

/** Rules in evaluation order plus the settings line-health needs. Build once with compileRules. */
export interface CompiledRules {
  /** Down rules first, then quality rules (those that yield degraded). */
  readonly rules: readonly CompiledRule[];
  /** How many of `rules` yield down. */
  readonly downRules: number;
  readonly settings: DetectorSettings;
}

export function compileRules(rules: Rules, settings: DetectorSettings = DEFAULT_DETECTOR_SETTINGS): CompiledRules {
  const list: CompiledRule[] = [];
  for (const [name, r] of Object.entries(rules)) {
    if (!r.enabled) continue;
    list.push({
      name,
      metric: r.metric,
      code: METRIC_CODE[r.metric],
      above: r.op === '>',
      threshold: r.threshold,
      forMs: r.for,
      clearThreshold: r.clearThreshold,
      clearForMs: r.clearFor,
      yields: r.yields,
      down: r.yields === 'down',
      content: CONTENT_METRICS.has(r.metric),
      clearWhenMissing: r.whenMissing === 'clear',
    });
  }
  // Down rules first: whether the line is down decides whether quality rules are judged at all.
  list.sort((a, b) => Number(b.down) - Number(a.down));
  return { rules: list, downRules: list.filter((r) => r.down).length, settings };
}

export interface LineState {
  readonly stream: string;
  readonly line: string;
  readonly region: string;
  readonly probe: string;
  level: Level;
  /** Hub time of the last level change (creation counts as one). */
  since: number;
  /** First bad sample t (probe clock) behind the current non-ok level; NaN while ok. */
  onset: number;
  /** The sample at `onset` (kept by reference for incident evidence). */
  onsetSample: Sample | undefined;
  lastT: number;
  lastSeq: number;
  /** Hub time of the last sample evaluated (impaired ones are not). */
  lastSeenAt: number;
  /**
   * Hub time of the first sample evaluated after the view's last impaired one (its creation, when
   * none was); NaN while its latest sample is impaired. Health shown since then is trusted evidence.
   */
  trustedSince: number;
  windowMs: number;
  /** Probe-clock t up to which quality rules start no bad run (settings.lineGraceWindows). */
  graceUntil: number;
  /** Per rule (index as in CompiledRules.rules). */
  active: Uint8Array;
  /** Start of the current bad run (t − windowMs of its first sample), NaN when none. */
  badStart: Float64Array;
  /** t of the first sample of the current bad run. */
  badFirstT: Float64Array;
  /** t of the latest bad value of the current bad run (a run held over missing values ends after a gap). */
  badLastT: Float64Array;
  /** Start of the current clear run of an active rule, NaN when none. */
  clearStart: Float64Array;
  /** t at which the rule last cleared, NaN when never (relapse accounting). */
  lastClearT: Float64Array;
  /** What its clearFor is multiplied by this time: doubled by each relapse (settings.relapseWindowMs). */
  clearFactor: Float64Array;
  /** Last value seen per rule (NaN = missing). */
  value: Float64Array;
  /** First sample of the current bad run per rule (by reference). */
  badSample: (Sample | undefined)[];
  /**
   * Whether every rule holding the current (non-ok) level watches the content (black, silence,
   * loudness) and none its delivery: the controller reads a content fault seen in some regions
   * only as not the line's (src/control/policy.ts).
   */
  contentOnly: boolean;
  /** The line's recent normal, learnt from healthy windows (trailing-median.ts). */
  baselines: Baselines;
  /** Level changes so far (flap accounting). */
  changes: number;
  /** Samples dropped as late or duplicate. */
  dropped: number;
}

export interface Baselines {
  bitrate: TrailingMedian;
  height: TrailingMedian;
  fps: TrailingMedian;
}

export interface LineChange {
  stream: string;
  line: string;
  region: string;
  probe: string;
  from: Level;
  to: Level;
  /** Hub time of the change. */
  at: number;
  /** t of the sample that caused it. */
  t: number;
  /** First bad sample t behind the new level (NaN when the new level is ok). */
  onset: number;
  reasons: Reason[];
}

export interface LineResult {
  state: LineState;
  change?: LineChange;
  ignored?: 'late' | 'duplicate';
}

export function createLineState(sample: Pick<Sample, 'stream' | 'line' | 'region' | 'probe'>, ruleCount: number, now: number, settings: DetectorSettings = DEFAULT_DETECTOR_SETTINGS): LineState {
  const median = (): TrailingMedian => createTrailingMedian(settings.baselineBucketWindows, settings.baselineBuckets);
  const nan = (): Float64Array => new Float64Array(ruleCount).fill(NaN);
  return {
    stream: sample.stream,
    line: sample.line,
    region: sample.region,
    probe: sample.probe,
    level: 'ok',
    since: now,
    onset: NaN,
    onsetSample: undefined,
    lastT: -Infinity,
    lastSeq: -1,
    lastSeenAt: now,
    trustedSince: now,
    windowMs: 1000,
    graceUntil: -Infinity,
    active: new Uint8Array(ruleCount),
    badStart: nan(),
    badFirstT: nan(),
    badLastT: nan(),
    clearStart: nan(),
    lastClearT: nan(),
    clearFactor: new Float64Array(ruleCount).fill(1),
    value: nan(),
    badSample: new Array<Sample | undefined>(ruleCount).fill(undefined),
    contentOnly: false,
    baselines: { bitrate: median(), height: median(), fps: median() },
    changes: 0,
    dropped: 0,
  };
}

/**
 * Re-indexes a view's per-rule state for another rule list (a config reload): a rule kept by name
 * keeps its runs, baselines stay, a new rule starts with no run, a dropped rule's state goes. The
 * level is left as it is: the next sample re-evaluates it under the new rules.
 */
export function remapRules(st: LineState, from: readonly CompiledRule[], to: readonly CompiledRule[]): void {
  const old = new Map(from.map((r, i) => [r.name, i]));
  const n = to.length;
  const active = new Uint8Array(n);
  const badStart = new Float64Array(n).fill(NaN);
  const badFirstT = new Float64Array(n).fill(NaN);
  const badLastT = new Float64Array(n).fill(NaN);
  const clearStart = new Float64Array(n).fill(NaN);
  const lastClearT = new Float64Array(n).fill(NaN);
  const clearFactor = new Float64Array(n).fill(1);
  const value = new Float64Array(n).fill(NaN);
  const badSample = new Array<Sample | undefined>(n).fill(undefined);
  for (let j = 0; j < n; j++) {
    const i = old.get(to[j]!.name);
    if (i === undefined) continue;
    active[j] = st.active[i]!;
    badStart[j] = st.badStart[i]!;
    badFirstT[j] = st.badFirstT[i]!;
    badLastT[j] = st.badLastT[i]!;
    clearStart[j] = st.clearStart[i]!;
    lastClearT[j] = st.lastClearT[i]!;
    clearFactor[j] = st.clearFactor[i]!;
    value[j] = st.value[i]!;
    badSample[j] = st.badSample[i];
  }
  st.active = active;
  st.badStart = badStart;
  st.badFirstT = badFirstT;
  st.badLastT = badLastT;
  st.clearStart = clearStart;
  st.lastClearT = lastClearT;
  st.clearFactor = clearFactor;
  st.value = value;
  st.badSample = badSample;
}

/** Budgets and nominal values resolved once per stream config. */
export interface StreamBudgets {
  startupMs: number;
  latencyMs: number;
  nominalFps: number; // NaN: use the learnt baseline
}

const budgetCache = new WeakMap<StreamConfig, StreamBudgets>();
const DEFAULT_BUDGETS: StreamBudgets = { startupMs: STREAM_KINDS['show-live'], latencyMs: DEFAULT_LATENCY_BUDGET_MS['show-live'], nominalFps: NaN };

export function streamBudgets(stream: StreamConfig | undefined): StreamBudgets {
  if (!stream) return DEFAULT_BUDGETS;
  let b = budgetCache.get(stream);
  if (!b) {
    const kind = stream.kind ?? 'show-live';
    b = {
      startupMs: stream.startupBudgetMs ?? STREAM_KINDS[kind],
      latencyMs: stream.latencyBudgetMs ?? DEFAULT_LATENCY_BUDGET_MS[kind],
      nominalFps: stream.nominalFps ?? NaN,
    };
    budgetCache.set(stream, b);
  }
  return b;
}

function metricValue(code: number, s: Sample, base: Baselines, b: StreamBudgets): number {
  switch (code) {
    case M_DISCONNECTED:
      return s.connected ? 0 : 1;
    case M_STALL:
      return s.stallMs / s.windowMs;
    case M_FREEZE:
      return s.freezeMs;
    case M_FREEZE_RATIO:
      // A black picture does not change either: it is the black rule's fault, not a second one.
      return Math.max(0, s.freezeMs - (s.blackMs ?? 0)) / s.windowMs;
    case M_FPS: {
      const nominal = b.nominalFps === b.nominalFps ? b.nominalFps : base.fps.value;
      return nominal > 0 ? s.fps / nominal : NaN;
    }
    case M_LATENCY:
      return s.latencyMs === undefined ? NaN : s.latencyMs - b.latencyMs;
    case M_BITRATE:
      return base.bitrate.value > 0 ? s.bitrateBps / base.bitrate.value : NaN;
    case M_HEIGHT:
      return base.height.value > 0 && s.height !== undefined ? s.height / base.height.value : NaN;
    case M_STARTUP:
      return s.startupMs === undefined ? NaN : s.startupMs - b.startupMs;
    case M_AVSYNC:
      return s.avSyncMs === undefined ? NaN : s.avSyncMs;
    case M_BLACK:
      return s.blackMs === undefined ? NaN : s.blackMs / s.windowMs;
    case M_SILENCE:
      return s.silenceMs === undefined ? NaN : s.silenceMs / s.windowMs;
    case M_LOUDNESS:
      return s.loudnessLufs ?? NaN;
    case M_TRUE_PEAK:
      return s.truePeakDbtp ?? NaN;
    default:
      return NaN;
  }
}

/** Media older than this is not this fault's onset (the probe had been failing for long). */
const MAX_ONSET_LOOKBACK_MS = 30_000;

/**
 * When the condition a rule's first bad sample shows began: when the picture went black or the
 * sound silent (for those rules), else when media stopped (a disconnected window's open gap since
 * the last frame, which a probe flushes the moment it notices) or froze, not when the window
 * reporting it ended — so openedAt − onset measures the fault's detection delay.
 */
function onsetOf(code: number, s: Sample): number {
  return s.t - Math.min(MAX_ONSET_LOOKBACK_MS, lastedBefore(code, s));
}

function lastedBefore(code: number, s: Sample): number {
  if (code === M_BLACK) return s.blackMs!;
  if (code === M_SILENCE) return s.silenceMs!;
  // The probe counts a frozen picture only once it has held FROZEN_AFTER_MS, and sends that
  // window at once: the window may be shorter than the freeze so far.
  if ((code === M_FREEZE || code === M_FREEZE_RATIO) && s.freezeMs > 0) return Math.max(s.freezeMs, FROZEN_AFTER_MS);
  return Math.max(s.connected ? s.stallMs : Math.max(s.stallMs, s.maxGapMs), s.freezeMs);
}

/**
 * Evaluates one sample for its (stream, line, region, probe) view.
 * - late (t older than the last t for this view) and duplicate (same t or same seq) samples are ignored;
 *   a probe clock stepping back by more than settings.clockStepMs with a newer seq is taken as a reset.
 * - a gap of more than gapWindows windows restarts pending runs (a rule must hold on contiguous data).
 * - an impaired sample (the probe could not trust its own measurement of the window) is not
 *   evaluated: the level stays as it was (a starved probe's view says nothing either way), and every
 *   run in progress (pending bad runs, clear runs of active rules) restarts, so evidence for a
 *   change comes from windows after the impairment only. It still orders the view (late/duplicate).
 * - quality rules (yielding degraded) are dropped while the line is down and start no run during
 *   the view's grace (settings.lineGraceWindows): its first windows, those after a gap or a clock
 *   reset, and those right after a window in which it was down.
 * - baselines (bitrate, height, fps: trailing medians, trailing-median.ts) are learnt only while
 *   the view is ok with no pending or active rule, outside its grace.
 */
export function evaluateLine(state: LineState | undefined, sample: Sample, now: number, compiled: CompiledRules, stream?: StreamConfig): LineResult {
  const rules = compiled.rules;
  const n = rules.length;
  const st = state ?? createLineState(sample, n, now, compiled.settings);
  const t = sample.t;
  const windowStart = t - sample.windowMs;
  const graceMs = compiled.settings.lineGraceWindows * sample.windowMs;
  const gapMs = compiled.settings.gapWindows * sample.windowMs;

  if (t <= st.lastT) {
    const clockReset = st.lastT - t > compiled.settings.clockStepMs && sample.seq > st.lastSeq;
    if (!clockReset) {
      st.dropped++;
      return { state: st, ignored: t === st.lastT || sample.seq === st.lastSeq ? 'duplicate' : 'late' };
    }
    resetPending(st, n);
    st.graceUntil = windowStart + graceMs;
  } else if (sample.seq === st.lastSeq) {
    st.dropped++;
    return { state: st, ignored: 'duplicate' };
  } else if (t - st.lastT > compiled.settings.gapWindows * sample.windowMs) {
    // Also the view's first sample (lastT is -Infinity): a (re)started probe connecting.
    resetPending(st, n);
    st.graceUntil = windowStart + graceMs;
  }
  st.lastT = t;
  st.lastSeq = sample.seq;
  if (sample.impaired !== undefined) {
    resetRuns(st, n);
    st.trustedSince = NaN;
    return { state: st };
  }
  if (st.trustedSince !== st.trustedSince) st.trustedSince = now;
  st.lastSeenAt = now;
  st.windowMs = sample.windowMs;

  const b = streamBudgets(stream);
  const base = st.baselines;
  const downRules = compiled.downRules;
  let worst = 0;
  /** The worst level held by a rule that watches delivery, not content. */
  let worstDelivery = 0;
  let busy = false;

  for (let i = 0; i < downRules; i++) {
    const r = rules[i]!;
    if (!sample.connected && r.code !== M_DISCONNECTED) {
      // No media, so no stall ratio to judge: drop pending runs, hold active conditions.
      st.badStart[i] = NaN;
      st.clearStart[i] = NaN;
      if (st.active[i] === 1) busy = true;
    } else if (judge(st, i, r, metricValue(r.code, sample, base, b), sample, windowStart, gapMs, false, compiled.settings)) {
      busy = true;
    }
    if (st.active[i] === 1) {
      worst = LEVEL_RANK.down;
      if (!r.content) worstDelivery = LEVEL_RANK.down;
    }
  }

  // An outage is one condition, reported as down: quality is judged afresh after it, past the
  // grace (a stalled HLS line trips stall, low-fps and latency too, which would otherwise hold a
  // P2 for their clear time after the P1 cleared).
  const down = worst === LEVEL_RANK.down || !sample.connected;
  if (down) st.graceUntil = t + graceMs;
  const inGrace = t <= st.graceUntil;
  for (let i = downRules; i < n; i++) {
    const r = rules[i]!;
    if (down) {
      st.active[i] = 0;
      st.badStart[i] = NaN;
      st.clearStart[i] = NaN;
      st.value[i] = NaN;
      continue;
    }
    if (judge(st, i, r, metricValue(r.code, sample, base, b), sample, windowStart, gapMs, inGrace, compiled.settings)) busy = true;
    if (st.active[i] === 1) {
      if (LEVEL_RANK[r.yields] > worst) worst = LEVEL_RANK[r.yields];
      if (!r.content && LEVEL_RANK[r.yields] > worstDelivery) worstDelivery = LEVEL_RANK[r.yields];
    }
  }
  st.contentOnly = worst > 0 && worstDelivery < worst;

  if (!busy && worst === 0 && !down && !inGrace) learnBaselines(base, sample, compiled.settings.baselineWarmup);

  const level: Level = worst === 2 ? 'down' : worst === 1 ? 'degraded' : 'ok';
  if (level === st.level) return { state: st };

  const from = st.level;
  st.level = level;
  st.since = now;
  st.changes++;
  const reasons = level === 'ok' ? [] : activeReasons(st, rules);
  let onset = NaN;
  let onsetSample: Sample | undefined;
  if (level !== 'ok') {
    for (let i = 0; i < n; i++) {
      if (st.active[i] === 1 && rules[i]!.yields === level && !(st.badFirstT[i]! >= onset)) {
        onset = st.badFirstT[i]!;
        onsetSample = st.badSample[i];
      }
    }
  }
  st.onset = onset;
  st.onsetSample = onsetSample;
  return {
    state: st,
    change: { stream: st.stream, line: st.line, region: st.region, probe: st.probe, from, to: level, at: now, t, onset, reasons },
  };
}

/**
 * One rule on one sample's value `v` (NaN: missing): starts, holds or ends its bad run, trips it
 * after `for`, clears it after `clearFor`. `inGrace`: no bad run starts (an active rule still
 * clears). A pending run held over missing values (`whenMissing: hold`, e.g. content checks on a
 * decode budget) ends once the value has been missing for more than `gapMs`, as a run ends at a gap
 * in the samples: one bad value after checks were off for a while must not complete a stale run.
 * A quality rule that trips again soon after it cleared needs longer to clear (settings.relapseWindowMs).
 * Returns whether the rule is pending or active (no baseline learning then).
 */
function judge(st: LineState, i: number, r: CompiledRule, v: number, sample: Sample, windowStart: number, gapMs: number, inGrace: boolean, settings: DetectorSettings): boolean {
  const t = sample.t;
  st.value[i] = v;
  const missing = v !== v;
  if (st.active[i] === 0) {
    if (!inGrace && !missing && (r.above ? v > r.threshold : v < r.threshold)) {
      if (st.badStart[i] !== st.badStart[i]) {
        st.badStart[i] = windowStart;
        st.badFirstT[i] = onsetOf(r.code, sample);
        st.badSample[i] = sample;
      }
      st.badLastT[i] = t;
      if (t - st.badStart[i]! >= r.forMs) {
        st.active[i] = 1;
        st.clearStart[i] = NaN;
        // Quality rules only: a line that drops out and returns is a series of outages, each graded
        // on its own (a short one is a blip) and damped by the controller, not one held incident.
        const relapse = !r.down && t - st.lastClearT[i]! <= settings.relapseWindowMs;
        st.clearFactor[i] = relapse ? Math.min(st.clearFactor[i]! * 2, settings.relapseClearFactorMax) : 1;
      }
      return true;
    }
    if (inGrace || !missing || r.clearWhenMissing || t - st.badLastT[i]! > gapMs) {
      st.badStart[i] = NaN;
      return false;
    }
    return st.badStart[i] === st.badStart[i]; // a held pending run
  }
  const clear = missing ? r.clearWhenMissing : r.above ? v <= r.clearThreshold : v >= r.clearThreshold;
  if (clear) {
    if (st.clearStart[i] !== st.clearStart[i]) st.clearStart[i] = windowStart;
    if (t - st.clearStart[i]! >= r.clearForMs * st.clearFactor[i]!) {
      st.active[i] = 0;
      st.badStart[i] = NaN;
      st.clearStart[i] = NaN;
      st.lastClearT[i] = t;
    }
  } else if (!missing) {
    st.clearStart[i] = NaN; // still bad or inside the hysteresis band
  }
  return true;
}

function resetPending(st: LineState, n: number): void {
  for (let i = 0; i < n; i++) if (st.active[i] === 0) st.badStart[i] = NaN;
}

/** Restarts every run in progress: pending bad runs of idle rules, clear runs of active ones. */
function resetRuns(st: LineState, n: number): void {
  for (let i = 0; i < n; i++) {
    if (st.active[i] === 0) st.badStart[i] = NaN;
    else st.clearStart[i] = NaN;
  }
}

function learnBaselines(base: Baselines, s: Sample, warmup: number): void {
  learn(base.bitrate, s.bitrateBps, warmup);
  if (s.height !== undefined) learn(base.height, s.height, warmup);
  learn(base.fps, s.fps, warmup);
}

/** The rules currently active on a view, with the value that tripped/holds them. */
export function activeReasons(st: LineState, rules: readonly CompiledRule[]): Reason[] {
  const out: Reason[] = [];
  for (let i = 0; i < rules.length; i++) {
    if (st.active[i] !== 1) continue;
    const r = rules[i]!;
    const since = st.badFirstT[i]!;
    out.push({ rule: r.name, metric: r.metric, value: st.value[i]!, threshold: r.threshold, yields: r.yields, since, op: r.above ? '>' : '<', forMs: r.forMs, lastedMs: st.lastT - since });
  }
  return out;
}
