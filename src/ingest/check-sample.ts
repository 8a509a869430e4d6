import { ProbeErrorSchema, ProbeImpairmentSchema, SAMPLE_LIMITS as L, type Sample } from '../model/sample.ts';

/**
 * Hand-written check of an untrusted Sample, equivalent to SampleSchema (src/model/sample.ts) but
 * ≈ 10× cheaper than zod's safeParse on the uplink's hot path (one call per sample). It returns a
 * fresh object with only the known fields (unknown keys dropped, like zod), or every bad field
 * with its reason, and whether the sample is `malformed` (a field missing or of the wrong type)
 * or `out_of_range` (well-formed, outside SAMPLE_LIMITS). test/ingest/check-sample.test.ts holds
 * it to the schema.
 */

/** A field's problem; `range` when the value has the right type but lies outside its bounds. */
type Issue = { message: string; range?: true };
type Rule = (v: unknown) => Issue | undefined;

const ERRORS: ReadonlySet<string> = new Set(ProbeErrorSchema.options);
const IMPAIRMENTS: ReadonlySet<string> = new Set(ProbeImpairmentSchema.options);

const bad = (message: string): Issue => ({ message });
const outside = (message: string): Issue => ({ message, range: true });
const text: Rule = (v) => (typeof v !== 'string' ? bad(`expected string, received ${kind(v)}`) : v.length === 0 ? bad('expected a non-empty string') : undefined);
const number: Rule = (v) => (typeof v !== 'number' || !Number.isFinite(v) ? bad(`expected number, received ${kind(v)}`) : undefined);
const nonNegative: Rule = (v) => number(v) ?? ((v as number) < 0 ? outside('expected a number >= 0') : undefined);
const nonNegativeInt: Rule = (v) => nonNegative(v) ?? (Number.isSafeInteger(v) ? undefined : bad('expected an integer'));
const positiveInt: Rule = (v) => nonNegativeInt(v) ?? (v === 0 ? outside('expected a number > 0') : undefined);
const boolean: Rule = (v) => (typeof v !== 'boolean' ? bad(`expected boolean, received ${kind(v)}`) : undefined);
const oneOf = (values: ReadonlySet<string>): Rule => (v) => (typeof v === 'string' && values.has(v) ? undefined : bad(`expected one of ${[...values].join('|')}`));

const REQUIRED: readonly (readonly [keyof Sample, Rule])[] = [
  ['probe', text], ['region', text], ['stream', text], ['line', text],
  ['seq', nonNegativeInt], ['t', nonNegativeInt], ['windowMs', positiveInt], ['connected', boolean],
  ['fps', nonNegative], ['bitrateBps', nonNegative], ['maxGapMs', nonNegative], ['stallMs', nonNegative], ['freezeMs', nonNegative],
];
const OPTIONAL: readonly (readonly [keyof Sample, Rule])[] = [
  ['startupMs', nonNegative], ['latencyMs', nonNegative], ['width', positiveInt], ['height', positiveInt],
  ['avSkewMs', number], ['avSyncMs', number], ['error', oneOf(ERRORS)],
  ['blackMs', nonNegative], ['silenceMs', nonNegative], ['loudnessLufs', number], ['truePeakDbtp', number],
  ['impaired', oneOf(IMPAIRMENTS)],
];

/** The bounds of SAMPLE_LIMITS beyond the signs the rules above check; stallMs and freezeMs depend on windowMs. */
const RANGES: readonly (readonly [keyof Sample, number, number])[] = [
  ['t', 0, L.maxT], ['windowMs', 0, L.maxWindowMs], ['fps', 0, L.maxFps], ['bitrateBps', 0, L.maxBitrateBps],
  ['startupMs', 0, L.maxDelayMs], ['latencyMs', 0, L.maxDelayMs], ['maxGapMs', 0, L.maxDelayMs],
  ['width', 0, L.maxDimension], ['height', 0, L.maxDimension],
  ['avSkewMs', -L.maxDelayMs, L.maxDelayMs], ['avSyncMs', -L.maxDelayMs, L.maxDelayMs],
  ['loudnessLufs', L.minLevelDb, L.maxLevelDb], ['truePeakDbtp', L.minLevelDb, L.maxLevelDb],
];

export type SampleRefusal = 'malformed' | 'out_of_range';
export type SampleCheck = { sample: Sample; error?: undefined; reason?: undefined } | { sample?: undefined; error: string; reason: SampleRefusal };

export function checkSample(input: unknown): SampleCheck {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { error: `invalid sample: (sample): expected object, received ${kind(input)}`, reason: 'malformed' };
  const o = input as Record<string, unknown>;
  // The common case first, without collecting anything: a sample with a problem is checked again
  // below, field by field, for the whole list of what is wrong with it.
  if (firstIssue(o) === undefined) return { sample: known(o) };
  let issues: string[] | undefined;
  let malformed = false;
  const note = (key: string, issue: Issue | undefined) => {
    if (issue === undefined) return;
    (issues ??= []).push(`${key}: ${issue.message}`);
    if (!issue.range) malformed = true;
  };
  for (const [key, rule] of REQUIRED) note(key, requiredIssue(o[key], rule));
  for (const [key, rule] of OPTIONAL) note(key, optionalIssue(o[key], rule));
  if (malformed) return { error: `invalid sample: ${issues!.join('; ')}`, reason: 'malformed' };
  for (const [key, min, max] of RANGES) note(key, rangeIssue(o[key] as number | undefined, min, max));
  if (!issues) for (const key of WINDOW_BOUND) note(key, windowIssue(o, key));
  return { error: `invalid sample: ${issues!.join('; ')}`, reason: 'out_of_range' };
}

const WINDOW_BOUND = ['stallMs', 'freezeMs', 'blackMs', 'silenceMs'] as const;

const requiredIssue = (v: unknown, rule: Rule): Issue | undefined => (v === undefined ? bad('required') : rule(v));
const optionalIssue = (v: unknown, rule: Rule): Issue | undefined => (v === undefined ? undefined : rule(v));

/** Outside [min, max]; a negative value of a field with min 0 was refused by its rule already: said once. */
function rangeIssue(n: number | undefined, min: number, max: number): Issue | undefined {
  if (n === undefined || !(n > max || (n < min && min < 0))) return undefined;
  return outside(`expected a number ${n < min ? `>= ${min}` : `<= ${max}`}`);
}

/** stallMs, freezeMs, blackMs and silenceMs measure time within one window (with some slack). */
function windowIssue(o: Record<string, unknown>, key: (typeof WINDOW_BOUND)[number]): Issue | undefined {
  const window = (o['windowMs'] as number) * L.windowSlack;
  return ((o[key] as number | undefined) ?? 0) > window ? outside(`expected a number <= ${window} (windowMs × ${L.windowSlack})`) : undefined;
}

/** The first problem, in the order the full check reports them; undefined for a good sample. */
function firstIssue(o: Record<string, unknown>): Issue | undefined {
  for (let i = 0; i < REQUIRED.length; i++) {
    const issue = requiredIssue(o[REQUIRED[i]![0]], REQUIRED[i]![1]);
    if (issue) return issue;
  }
  for (let i = 0; i < OPTIONAL.length; i++) {
    const issue = optionalIssue(o[OPTIONAL[i]![0]], OPTIONAL[i]![1]);
    if (issue) return issue;
  }
  for (let i = 0; i < RANGES.length; i++) {
    const [key, min, max] = RANGES[i]!;
    const issue = rangeIssue(o[key] as number | undefined, min, max);
    if (issue) return issue;
  }
  for (let i = 0; i < WINDOW_BOUND.length; i++) {
    const issue = windowIssue(o, WINDOW_BOUND[i]!);
    if (issue) return issue;
  }
  return undefined;
}

/**
 * A checked sample with its known fields only (unknown keys dropped, like zod), built as one literal
 * in one field order, so every accepted sample has the same shape for the code that reads it next
 * (detector, metrics, store); optional fields follow when present.
 */
function known(o: Record<string, unknown>): Sample {
  const v = o as unknown as Sample;
  const sample: Sample = {
    probe: v.probe, region: v.region, stream: v.stream, line: v.line, seq: v.seq, t: v.t, windowMs: v.windowMs, connected: v.connected,
    fps: v.fps, bitrateBps: v.bitrateBps, maxGapMs: v.maxGapMs, stallMs: v.stallMs, freezeMs: v.freezeMs,
  };
  for (let i = 0; i < OPTIONAL.length; i++) {
    const key = OPTIONAL[i]![0];
    if (o[key] !== undefined) (sample as unknown as Record<string, unknown>)[key] = o[key];
  }
  return sample;
}

function kind(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}
