import { ProbeErrorSchema, type Sample } from '../model/sample.ts';

/**
 * Hand-written check of an untrusted Sample, equivalent to SampleSchema (src/model/sample.ts) but
 * ≈ 10× cheaper than zod's safeParse on the uplink's hot path (one call per sample). It returns a
 * fresh object with only the known fields (unknown keys dropped, like zod), or every bad field
 * with its reason. test/ingest/check-sample.test.ts holds it to the schema.
 */

type Rule = (v: unknown) => string | undefined;

const ERRORS: ReadonlySet<string> = new Set(ProbeErrorSchema.options);

const text: Rule = (v) => (typeof v !== 'string' ? `expected string, received ${kind(v)}` : v.length === 0 ? 'expected a non-empty string' : undefined);
const number: Rule = (v) => (typeof v !== 'number' || !Number.isFinite(v) ? `expected number, received ${kind(v)}` : undefined);
const nonNegative: Rule = (v) => number(v) ?? ((v as number) < 0 ? 'expected a number >= 0' : undefined);
const nonNegativeInt: Rule = (v) => nonNegative(v) ?? (Number.isSafeInteger(v) ? undefined : 'expected an integer');
const positiveInt: Rule = (v) => nonNegativeInt(v) ?? (v === 0 ? 'expected a number > 0' : undefined);
const boolean: Rule = (v) => (typeof v !== 'boolean' ? `expected boolean, received ${kind(v)}` : undefined);
const probeError: Rule = (v) => (typeof v === 'string' && ERRORS.has(v) ? undefined : `expected one of ${[...ERRORS].join('|')}`);

const REQUIRED: readonly (readonly [keyof Sample, Rule])[] = [
  ['probe', text], ['region', text], ['stream', text], ['line', text],
  ['seq', nonNegativeInt], ['t', nonNegativeInt], ['windowMs', positiveInt], ['connected', boolean],
  ['fps', nonNegative], ['bitrateBps', nonNegative], ['maxGapMs', nonNegative], ['stallMs', nonNegative], ['freezeMs', nonNegative],
];
const OPTIONAL: readonly (readonly [keyof Sample, Rule])[] = [
  ['startupMs', nonNegative], ['latencyMs', number], ['width', positiveInt], ['height', positiveInt],
  ['avSkewMs', number], ['avSyncMs', number], ['error', probeError],
];

export type SampleCheck = { sample: Sample; error?: undefined } | { sample?: undefined; error: string };

export function checkSample(input: unknown): SampleCheck {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { error: `invalid sample: (sample): expected object, received ${kind(input)}` };
  const o = input as Record<string, unknown>;
  let issues: string[] | undefined;
  for (const [key, rule] of REQUIRED) {
    const v = o[key];
    const bad = v === undefined ? 'required' : rule(v);
    if (bad !== undefined) (issues ??= []).push(`${key}: ${bad}`);
  }
  for (const [key, rule] of OPTIONAL) {
    const v = o[key];
    if (v === undefined) continue;
    const bad = rule(v);
    if (bad !== undefined) (issues ??= []).push(`${key}: ${bad}`);
  }
  if (issues) return { error: `invalid sample: ${issues.join('; ')}` };
  // Built as one literal in one field order, so every accepted sample has the same shape for the
  // code that reads it next (detector, metrics, store); optional fields follow when present.
  const v = o as unknown as Sample;
  const sample: Sample = {
    probe: v.probe, region: v.region, stream: v.stream, line: v.line, seq: v.seq, t: v.t, windowMs: v.windowMs, connected: v.connected,
    fps: v.fps, bitrateBps: v.bitrateBps, maxGapMs: v.maxGapMs, stallMs: v.stallMs, freezeMs: v.freezeMs,
  };
  for (const [key] of OPTIONAL) if (o[key] !== undefined) (sample as unknown as Record<string, unknown>)[key] = o[key];
  return { sample };
}

function kind(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}
