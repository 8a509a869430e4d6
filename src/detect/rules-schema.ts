import { z } from 'zod';

/**
 * Detection rules in plain config (like gatus conditions). A rule watches one metric derived from
 * each Sample; it trips when the value is on the bad side of `threshold` (`op`) for `for` ms and
 * clears when the value is on the good side of `clearThreshold` for `clearFor` ms (hysteresis).
 *
 * Metrics (computed per sample, see line-health.ts):
 * - disconnected          1 when the probe is not connected, else 0
 * - stallRatio            stallMs / windowMs (0..1)
 * - freezeMs              frozen-picture time in the window (decoded lines only; FROZEN_AFTER_MS)
 * - freezeRatio           (freezeMs − blackMs) / windowMs: share of the window showing a frozen
 *                         picture that is not black (a black picture is the `black` rule's)
 * - fpsRatio              fps / nominal fps (stream.nominalFps, else the fps learnt while healthy)
 * - latencyOverBudgetMs   latencyMs − latency budget (stream.latencyBudgetMs, else by stream kind)
 * - bitrateRatio          bitrateBps / the line's recent normal bitrate (trailing median of healthy windows)
 * - heightRatio           height / the line's recent normal height ("blurry picture"; trailing median)
 * - startupOverBudgetMs   startupMs − startup budget (stream.startupBudgetMs, else STREAM_KINDS)
 * - avSyncMs              content A/V sync, ITU-R BT.1359 sign: + audio leads, − audio lags
 * - blackRatio            blackMs / windowMs: share of the window showing a near-black picture
 * - silenceRatio          silenceMs / windowMs: share of the window with audio below −60 dBFS
 * - loudnessLufs          EBU R128 short-term loudness at the window's end (LUFS)
 * - truePeakDbtp          highest true peak in the window (dBTP)
 *
 * The last four are content checks (CONTENT_METRICS): a probe decodes them on a budget and leaves
 * them out when a line's content checks are off, so their rules hold (`whenMissing: hold`).
 *
 * Quality rules (those that yield `degraded`) are not evaluated while the line is down (a
 * disconnected window, or a `down` rule active): their runs and active conditions are dropped, as
 * an outage is one condition, reported as down. Nor are they during a view's grace
 * (`lineGraceWindows`): its first windows, and the windows right after it was down.
 */
export const METRICS = [
  'disconnected',
  'stallRatio',
  'freezeMs',
  'freezeRatio',
  'fpsRatio',
  'latencyOverBudgetMs',
  'bitrateRatio',
  'heightRatio',
  'startupOverBudgetMs',
  'avSyncMs',
  'blackRatio',
  'silenceRatio',
  'loudnessLufs',
  'truePeakDbtp',
] as const;
export type Metric = (typeof METRICS)[number];

/**
 * Metrics about the picture and sound the source sends, not about their delivery: the same bytes
 * reach every region, so a content fault in some regions only is not the line's (see the
 * controller's failover, src/control/policy.ts).
 */
export const CONTENT_METRICS: ReadonlySet<Metric> = new Set<Metric>(['blackRatio', 'silenceRatio', 'loudnessLufs', 'truePeakDbtp']);

const ruleName = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits or "-"');
const ms = z.number().int().nonnegative();

const RuleFields = {
  metric: z.enum(METRICS),
  /** The bad side: `>` trips when value > threshold, `<` when value < threshold. */
  op: z.enum(['>', '<']),
  threshold: z.number(),
  /** How long (ms of sample time) the value must stay bad before the rule trips; ≤ one window = at once. */
  for: ms,
  /** The value must be on the good side of this (≤ for `>`, ≥ for `<`) to count towards clearing. */
  clearThreshold: z.number(),
  /** How long (ms) the value must stay clear before the rule clears. */
  clearFor: ms,
  yields: z.enum(['degraded', 'down']),
  /**
   * A sample without this metric (no avSyncMs, no startupMs, no baseline yet, content checks off):
   * `hold` keeps timers as they are (a pending run for at most `gapWindows` windows without it);
   * `clear` counts it as clear evidence (one-off metrics such as startup time).
   */
  whenMissing: z.enum(['hold', 'clear']),
  enabled: z.boolean(),
};

export const RuleSchema = z.strictObject(RuleFields).superRefine((rule, ctx) => {
  const ok = rule.op === '>' ? rule.clearThreshold <= rule.threshold : rule.clearThreshold >= rule.threshold;
  if (!ok) {
    ctx.addIssue({
      code: 'custom',
      path: ['clearThreshold'],
      message: `must be on the healthy side of threshold ${rule.threshold} (${rule.op === '>' ? '≤' : '≥'})`,
    });
  }
});
export type Rule = z.infer<typeof RuleSchema>;
export type Rules = Record<string, Rule>;

/** An override of one rule: any subset of fields; a new rule name needs every field but whenMissing/enabled. */
export const RuleOverrideSchema = z.strictObject({
  metric: RuleFields.metric.optional(),
  op: RuleFields.op.optional(),
  threshold: RuleFields.threshold.optional(),
  for: RuleFields.for.optional(),
  clearThreshold: RuleFields.clearThreshold.optional(),
  clearFor: RuleFields.clearFor.optional(),
  yields: RuleFields.yields.optional(),
  whenMissing: RuleFields.whenMissing.optional(),
  enabled: RuleFields.enabled.optional(),
});
export type RuleOverride = z.infer<typeof RuleOverrideSchema>;

/**
 * Defaults an operator should not need to touch (1 s windows assumed for the ms figures).
 * Freeze: at once, as the probe has held it already — a picture counts as frozen only after
 * FROZEN_AFTER_MS unchanged, and the probe sends its window then; `for` adds to that hold.
 * ITU-R BT.1359: acceptability audio lead 90 ms / lag 185 ms (trip); detectability 45 / 125 ms (clear).
 * Black and silence: 2 s of windows at least 90 % black (silent) make the line unusable. Shorter
 * fails over sooner but switches on a fade to black or a pause in speech; longer leaves viewers
 * on a black picture (or dead air) for longer. Cleared after 2 s of picture (sound), like `down`.
 * Loudness: EBU R128 / streaming practice — short-term above −14 LUFS for 10 s is too loud, a true
 * peak above −1 dBTP over two windows running clips (one transient overshoot is not a fault),
 * short-term below −36 LUFS for 10 s is too quiet (a pause in speech lowers it for a few seconds).
 */
export const DEFAULT_RULES = Object.freeze({
  disconnected: { metric: 'disconnected', op: '>', threshold: 0.5, for: 0, clearThreshold: 0.5, clearFor: 2000, yields: 'down', whenMissing: 'hold', enabled: true },
  'no-media': { metric: 'stallRatio', op: '>', threshold: 0.95, for: 2000, clearThreshold: 0.5, clearFor: 2000, yields: 'down', whenMissing: 'hold', enabled: true },
  stall: { metric: 'stallRatio', op: '>', threshold: 0.1, for: 2000, clearThreshold: 0.02, clearFor: 5000, yields: 'degraded', whenMissing: 'hold', enabled: true },
  freeze: { metric: 'freezeRatio', op: '>', threshold: 0.5, for: 0, clearThreshold: 0.1, clearFor: 3000, yields: 'degraded', whenMissing: 'hold', enabled: true },
  'low-fps': { metric: 'fpsRatio', op: '<', threshold: 0.8, for: 3000, clearThreshold: 0.9, clearFor: 5000, yields: 'degraded', whenMissing: 'hold', enabled: true },
  latency: { metric: 'latencyOverBudgetMs', op: '>', threshold: 0, for: 3000, clearThreshold: -250, clearFor: 5000, yields: 'degraded', whenMissing: 'hold', enabled: true },
  'bitrate-collapse': { metric: 'bitrateRatio', op: '<', threshold: 0.3, for: 5000, clearThreshold: 0.6, clearFor: 5000, yields: 'degraded', whenMissing: 'hold', enabled: true },
  'resolution-drop': { metric: 'heightRatio', op: '<', threshold: 0.7, for: 3000, clearThreshold: 0.9, clearFor: 5000, yields: 'degraded', whenMissing: 'hold', enabled: true },
  'slow-startup': { metric: 'startupOverBudgetMs', op: '>', threshold: 0, for: 0, clearThreshold: 0, clearFor: 15000, yields: 'degraded', whenMissing: 'clear', enabled: true },
  'av-sync-lead': { metric: 'avSyncMs', op: '>', threshold: 90, for: 3000, clearThreshold: 45, clearFor: 5000, yields: 'degraded', whenMissing: 'hold', enabled: true },
  'av-sync-lag': { metric: 'avSyncMs', op: '<', threshold: -185, for: 3000, clearThreshold: -125, clearFor: 5000, yields: 'degraded', whenMissing: 'hold', enabled: true },
  black: { metric: 'blackRatio', op: '>', threshold: 0.9, for: 2000, clearThreshold: 0.1, clearFor: 2000, yields: 'down', whenMissing: 'hold', enabled: true },
  silence: { metric: 'silenceRatio', op: '>', threshold: 0.9, for: 2000, clearThreshold: 0.1, clearFor: 2000, yields: 'down', whenMissing: 'hold', enabled: true },
  'too-loud': { metric: 'loudnessLufs', op: '>', threshold: -14, for: 10_000, clearThreshold: -16, clearFor: 5000, yields: 'degraded', whenMissing: 'hold', enabled: true },
  'true-peak': { metric: 'truePeakDbtp', op: '>', threshold: -1, for: 2000, clearThreshold: -2, clearFor: 5000, yields: 'degraded', whenMissing: 'hold', enabled: true },
  // Below quiet-but-present sound (a −40 dBFS tone reads ≈ −38 LUFS; a quiet scene, speech at a
  // distance) and above silence (−60 dBFS, the `silence` rule): a level a viewer turns up for.
  'too-quiet': { metric: 'loudnessLufs', op: '<', threshold: -45, for: 20_000, clearThreshold: -42, clearFor: 5000, yields: 'degraded', whenMissing: 'hold', enabled: true },
} satisfies Rules);

/** Merges per-rule-name partial overrides onto DEFAULT_RULES. Throws on an invalid result; use RulesConfigSchema inside the config schema. */
export function mergeRules(overrides?: Record<string, RuleOverride>): Rules {
  const parsed = RulesConfigSchema.safeParse(overrides ?? {});
  if (!parsed.success) throw new Error(`invalid detection rules: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

function mergeInto(overrides: Record<string, RuleOverride>, defaults: Readonly<Rules>): Rules {
  const out: Rules = {};
  for (const [name, rule] of Object.entries(defaults)) out[name] = { ...rule };
  for (const [name, o] of Object.entries(overrides)) out[name] = { whenMissing: 'hold', enabled: true, ...out[name], ...o } as Rule;
  return out;
}

/**
 * The `rules:` section of the config: `{ <rule name>: partial rule }`, merged onto DEFAULT_RULES.
 * Errors carry the path `<rule name>.<field>` so config check can point at the YAML line.
 */
export const RulesConfigSchema = z
  .record(ruleName, RuleOverrideSchema)
  .default({})
  .superRefine((overrides, ctx) => {
    const merged = mergeInto(overrides, DEFAULT_RULES);
    for (const name of Object.keys(overrides)) {
      const result = RuleSchema.safeParse(merged[name]);
      if (!result.success) {
        for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', path: [name, ...issue.path], message: issue.message });
      }
    }
  })
  .transform((overrides) => mergeInto(overrides, DEFAULT_RULES));

/** Default live-latency budgets by stream kind when the stream sets no latencyBudgetMs (ITU-T G.114: 400 ms for conversation). */
export const DEFAULT_LATENCY_BUDGET_MS = { call: 400, 'co-host': 1500, 'show-live': 5000 } as const;

/** Grading and probe-watch settings. */
export const DetectorSettingsSchema = z.strictObject({
  /** An incident that clears within this time of opening is a blip: lowered to P3 when it clears. */
  blipMs: ms.default(10_000),
  /** Probe heartbeat interval; default: the windowMs of the probe's samples. */
  heartbeatMs: z.number().int().positive().optional(),
  /** A probe silent for this many heartbeat intervals is blind. */
  silentIntervals: z.number().positive().default(3),
  /** "Every stream fails at once": at least this many distinct streams (0 disables the check) … */
  allFailMinStreams: z.number().int().nonnegative().default(3),
  /** … all went down within this time (hub clock) … */
  allFailWithinMs: ms.default(5_000),
  /** … while at least this share of them is seen not down by another region. */
  allFailOthersFineShare: z.number().min(0).max(1).default(0.5),
  /**
   * The same pattern when no trusted probe of another region (heard, not impaired) confirms any of
   * those streams down — the probe is alone, or the others are silent or impaired: `blind` takes it
   * for the probe's own fault (one vantage point cannot tell a dead origin from its own starved
   * host or cut path), `outage` grades it as the streams' outage (a single-probe deployment that
   * would rather page on a real total outage).
   */
  allFailUnconfirmed: z.enum(['blind', 'outage']).default('blind'),
  /**
   * A probe whose samples say it could not trust its measurement (Sample.impaired) over this many
   * windows (clean windows in between not ending it) gets `probe/<probe>/impaired` (P3) …
   */
  impairedOpenWindows: z.number().positive().default(3),
  /** … which clears after this many windows of clean samples from it. */
  impairedClearWindows: z.number().positive().default(5),
  /**
   * The hub's own tick firing later than its period by more than this means the hub was frozen
   * (GC pause, VM steal, SIGSTOP): that lateness is not probes' silence (src/app/hub.ts). The
   * silence threshold (silentIntervals × heartbeat) must exceed the tick period (1 s) + one
   * heartbeat + this, so that what a stall leaves unexcused never looks like a silent probe.
   */
  hubStallMs: z.number().int().positive().default(500),
  /**
   * Start-up grace, in windows of the stream's first sample: until every configured line of a
   * stream has reported (or this grace has passed since the stream's first sample), "every line
   * is down" is not graded P0, so a hub start with one line down and the other still connecting
   * is a P1, not a false P0. 0 grades P0 on the lines with data at once.
   */
  startupGraceWindows: z.number().nonnegative().default(3),
  /**
   * Per-view grace, in windows: quality rules (those that yield `degraded`) start no bad run in a
   * view's first windows (also the first after a gap of more than `gapWindows`, or after a probe
   * clock reset: a restarted probe), nor in the windows that follow a window in which the view was
   * down, and baselines are not learnt from them. They are the probe's connect and a reconnect's
   * transients, not the stream's quality: a startup measured while the probe opens every line at
   * once, a server replaying its cache, the first HLS segments, the stall that ends an outage.
   * `down` rules are not affected. 0 judges every window.
   */
  lineGraceWindows: z.number().int().nonnegative().default(5),
  /** Healthy samples needed before bitrate/height/fps baselines are used. */
  baselineWarmup: z.number().int().positive().default(5),
  /**
   * A line's recent normal (bitrate, height, fps) is the median of its last healthy windows
   * (trailing-median.ts): the median of each bucket of this many healthy windows …
   */
  baselineBucketWindows: z.number().int().positive().max(600).default(30),
  /** … over the last this many buckets (30 × 6 = 3 minutes of healthy 1 s windows). */
  baselineBuckets: z.number().int().positive().max(60).default(6),
  /** A gap longer than this many windows between a key's samples restarts pending (not yet tripped) runs. */
  gapWindows: z.number().positive().default(3),
  /** A probe clock stepping back more than this (with a newer seq) is a clock reset, not a late sample. */
  clockStepMs: ms.default(30_000),
  /**
   * A quality rule (yielding `degraded`) of a view that trips again within this time (probe clock)
   * of clearing is flapping: each such relapse doubles the clear time it needs the next time
   * (clearFor × 2, × 4 … up to × relapseClearFactorMax), so a condition that comes and goes (a
   * jittered path's stall) holds one incident instead of resolving and reopening every few seconds,
   * with the vendor's ticket solved and reopened each time. A trip after a longer clean stretch
   * needs clearFor again. Down rules keep their clear time: each drop-out is an outage of its own
   * (a short one a blip), and damping a flapping line is the controller's job (flap damping).
   */
  relapseWindowMs: ms.default(60_000),
  relapseClearFactorMax: z.number().int().min(1).max(64).default(16),
});
export type DetectorSettings = z.infer<typeof DetectorSettingsSchema>;
export const DEFAULT_DETECTOR_SETTINGS: DetectorSettings = DetectorSettingsSchema.parse({});
