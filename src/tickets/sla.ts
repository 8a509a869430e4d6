import type { Severity } from '../model/severity.ts';

/**
 * Vendor response SLA and the escalation chain, pure: (state, policy, now) → (state, steps due).
 * No I/O and no clock of its own; the service persists the state (JSON) and acts on the steps.
 *
 *   started ──(now ≥ deadline = startedAt + sla[severity])──▶ step 0 due
 *           ──(now ≥ deadline + after₀ + after₁)──────────────▶ step 1 due …
 *   acknowledged / resolved / severity without an SLA ──▶ nothing more is due
 *   paused (a maintenance silence) ──▶ nothing is due; resumed ──▶ every time due moves by the pause
 *
 * A severity change moves the deadline (it stays counted from startedAt); steps already fired
 * are never fired again. Steps that do not apply to the severity are skipped with their delay.
 * Time paused does not count: a silence that ends does not make every step due at once.
 */

export interface SlaStepPolicy {
  name: string;
  channel: string;
  /** Delay after the previous applicable step (for the first: after the deadline), ms. */
  after: number;
  severities?: readonly Severity[] | undefined;
}

export interface SlaPolicy {
  /** Response target per severity, ms; a severity without one is never escalated. */
  sla: Partial<Record<Severity, number>>;
  chain: readonly SlaStepPolicy[];
}

export interface SlaState {
  incidentId: string;
  severity: Severity;
  /** When the vendor was first asked (the ticket enqueued), hub ms. */
  startedAt: number;
  /** Increments on every restart (reopen): escalation idempotency keys include it. */
  generation: number;
  /** Indexes into policy.chain already fired, in firing order. */
  fired: number[];
  ackedAt?: number;
  ackedBy?: string;
  resolvedAt?: number;
  /** Since when the clock is paused, hub ms. */
  pausedAt?: number;
  /** Time paused before `pausedAt`, ms (absent: none; states stored before pauses existed). */
  pausedMs?: number;
}

export interface EscalationDue {
  index: number;
  name: string;
  channel: string;
  /** When it was due (deadline + delays), hub ms. */
  at: number;
  /** now − deadline: how late the vendor is. */
  overdueMs: number;
}

export function startSla(incidentId: string, severity: Severity, now: number, previous?: SlaState): SlaState {
  return { incidentId, severity, startedAt: now, generation: previous ? previous.generation + 1 : 0, fired: [] };
}

export function deadline(state: SlaState, policy: SlaPolicy): number | undefined {
  const target = policy.sla[state.severity];
  return target === undefined ? undefined : state.startedAt + (state.pausedMs ?? 0) + target;
}

/** The chain steps that apply to the state's severity, with the time each falls due. */
export function schedule(state: SlaState, policy: SlaPolicy): EscalationDue[] {
  const d = deadline(state, policy);
  if (d === undefined) return [];
  const out: EscalationDue[] = [];
  let at = d;
  policy.chain.forEach((step, index) => {
    if (step.severities && !step.severities.includes(state.severity)) return;
    at += step.after;
    out.push({ index, name: step.name, channel: step.channel, at, overdueMs: at - d });
  });
  return out;
}

export function isActive(state: SlaState): boolean {
  return state.ackedAt === undefined && state.resolvedAt === undefined;
}

/** Stops the clock (same state when it is already stopped or over). */
export function pauseSla(state: SlaState, now: number): SlaState {
  return state.pausedAt !== undefined || !isActive(state) ? state : { ...state, pausedAt: now };
}

/** Starts the clock again where it stopped (same state when it is not paused). */
export function resumeSla(state: SlaState, now: number): SlaState {
  if (state.pausedAt === undefined) return state;
  const { pausedAt, ...running } = state;
  return { ...running, pausedMs: (state.pausedMs ?? 0) + Math.max(0, now - pausedAt) };
}

/** Steps due at `now` and not fired yet, in chain order; the returned state has them marked fired. */
export function advanceSla(state: SlaState, policy: SlaPolicy, now: number): { state: SlaState; due: EscalationDue[] } {
  if (!isActive(state) || state.pausedAt !== undefined) return { state, due: [] };
  const d = deadline(state, policy);
  const due = schedule(state, policy)
    .filter((s) => s.at <= now && !state.fired.includes(s.index))
    .map((s) => ({ ...s, overdueMs: now - d! }));
  if (due.length === 0) return { state, due };
  return { state: { ...state, fired: [...state.fired, ...due.map((s) => s.index)] }, due };
}

/** When something next falls due (for timers and status), or undefined. */
export function nextDueAt(state: SlaState, policy: SlaPolicy): number | undefined {
  if (!isActive(state) || state.pausedAt !== undefined) return undefined;
  return schedule(state, policy).find((s) => !state.fired.includes(s.index))?.at;
}

export function acknowledgeSla(state: SlaState, by: string, now: number): { state: SlaState; timeToAckMs: number; already: boolean } {
  if (state.ackedAt !== undefined) return { state, timeToAckMs: state.ackedAt - state.startedAt, already: true };
  return { state: { ...state, ackedAt: now, ackedBy: by }, timeToAckMs: now - state.startedAt, already: false };
}

/**
 * The incident's severity changed. The clock keeps counting from startedAt, except when the
 * vendor was never under a target before (P2 raised to P0): then it starts now (earlier pauses
 * forgotten; a paused clock stays paused, from now).
 */
export function severitySla(state: SlaState, severity: Severity, now: number, policy: SlaPolicy): SlaState {
  if (severity === state.severity) return state;
  const restart = policy.sla[state.severity] === undefined && policy.sla[severity] !== undefined;
  if (!restart) return { ...state, severity };
  const { pausedAt, pausedMs: _forgotten, ...rest } = state;
  return { ...rest, severity, startedAt: now, ...(pausedAt !== undefined && { pausedAt: now }) };
}

export function resolveSla(state: SlaState, now: number): SlaState {
  return state.resolvedAt !== undefined ? state : { ...state, resolvedAt: now };
}
