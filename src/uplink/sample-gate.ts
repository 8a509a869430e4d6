import { checkSample } from '../ingest/check-sample.ts';
import type { Sample } from '../model/sample.ts';
import type { UplinkTarget } from '../model/probe-protocol.ts';

/**
 * Why the uplink refused a remote probe's sample: a fixed set, so it can label a metric.
 *   malformed     a field missing or of the wrong type
 *   out_of_range  a value outside the physical ranges of SAMPLE_LIMITS
 *   not_itself    the sample names another probe or region than the token's
 *   unassigned    a stream or line the probe was not assigned
 *   clock         a time too far ahead of the hub's clock, or older than the raw history keeps
 */
export const SAMPLE_REFUSALS = ['malformed', 'out_of_range', 'not_itself', 'unassigned', 'clock'] as const;
export type SampleRefusal = (typeof SAMPLE_REFUSALS)[number];

/** How far ahead of the hub's clock a sample may be, once the probe's measured clock offset is allowed for. */
export const MAX_AHEAD_MS = 5 * 60_000;

/** The streams → lines of an assignment, for the check of every sample (no key strings built per sample). */
export type AssignedLines = ReadonlyMap<string, ReadonlySet<string>>;

export function assignedLines(targets: readonly UplinkTarget[]): AssignedLines {
  const lines = new Map<string, Set<string>>();
  for (const t of targets) {
    let set = lines.get(t.stream);
    if (!set) lines.set(t.stream, (set = new Set()));
    set.add(t.line);
  }
  return lines;
}

export interface SampleGateContext {
  probe: string;
  region: string;
  assigned: AssignedLines;
  /** The hub's clock now. */
  now: number;
  /** Probe clock − hub clock as the hub measured it (0 before the first measurement). */
  offsetMs: number;
  /** The oldest sample worth keeping: the raw history's retention. */
  maxAgeMs: number;
}

export type GateResult = { sample: Sample; reason?: undefined } | { sample?: undefined; reason: SampleRefusal; error: string };

/**
 * Everything a remote sample must pass before it reaches the hub: a well-formed sample within
 * physical ranges, from this probe, for a line it was assigned, at a time the hub can believe.
 * The probe moves its times onto the hub's clock once it has measured the offset; before that
 * they are on its own clock, so a time is believed if either reading is within bounds.
 */
export function gateSample(input: unknown, ctx: SampleGateContext): GateResult {
  const checked = checkSample(input);
  if (checked.error !== undefined) return { reason: checked.reason, error: checked.error };
  const s = checked.sample;
  if (s.probe !== ctx.probe || s.region !== ctx.region) return { reason: 'not_itself', error: `a probe reports only as itself: probe must be "${ctx.probe}" and region "${ctx.region}"` };
  if (!ctx.assigned.get(s.stream)?.has(s.line)) return { reason: 'unassigned', error: `stream "${s.stream}" line "${s.line}" is not in this probe's assignment` };
  if (!inWindow(s.t, ctx) && !inWindow(s.t - ctx.offsetMs, ctx)) {
    const aheadS = Math.round((s.t - ctx.now) / 1000);
    return { reason: 'clock', error: `t ${s.t} is ${aheadS >= 0 ? `${aheadS} s ahead of` : `${-aheadS} s behind`} the hub's clock (probe clock offset ${Math.round(ctx.offsetMs)} ms; allowed: ${MAX_AHEAD_MS / 1000} s ahead, ${ctx.maxAgeMs / 1000} s behind)` };
  }
  return { sample: s };
}

/** Module-level, not a closure per sample: tsx names every closure it creates (a defineProperty each). */
function inWindow(t: number, ctx: SampleGateContext): boolean {
  return t <= ctx.now + MAX_AHEAD_MS && t >= ctx.now - ctx.maxAgeMs;
}
