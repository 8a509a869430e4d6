import type { ActionType } from './config-schema.ts';
import type { Severity } from '../model/severity.ts';

/**
 * One command of the controller, as every actuator receives it (the webhook's JSON body).
 * `id` is the idempotency key: the same action is never executed twice by the controller, and
 * a receiver that sees an id again (a retry whose first answer got lost) must not act twice.
 */
export interface ControlAction {
  id: string;
  type: ActionType;
  stream: string;
  /** Hub time of the decision (unix ms). */
  at: number;
  /** `policy:<name>` or `operator:<who>`. */
  actor: string;
  policy: string;
  reason: string;
  why: string;
  dryRun: boolean;
  incidentId?: string;
  incidentKey?: string;
  /** Fault onset (unix ms, probe clock) behind the action. */
  onset?: number;
  /** switch */
  from?: string;
  to?: string;
  /** URL of the `to` line (its default URL; regional URLs are in `urls`). */
  url?: string;
  urls?: Record<string, string>;
  /** feature */
  feature?: string;
  enabled?: boolean;
  /** escalate */
  severity?: Severity;
}

export interface ActuatorResult {
  actuator: string;
  ok: boolean;
  attempts: number;
  tookMs: number;
  /** Last HTTP status (webhook). */
  status?: number;
  /** Last exit code (command); null when killed by a signal. */
  exitCode?: number | null;
  error?: string;
}

export interface ExecuteOptions {
  /** Aborts waiting between retries and the attempt in flight (controller stop). */
  signal?: AbortSignal;
}

/** Something that carries out control actions. One interface, one file per kind. */
export interface Actuator {
  readonly name: string;
  readonly kind: string;
  /** Whether this actuator handles the action (type and stream filters). */
  accepts(action: ControlAction): boolean;
  /** Never throws: failures are in the result. */
  execute(action: ControlAction, opts?: ExecuteOptions): Promise<ActuatorResult>;
}

export interface ActuatorFilter {
  actions?: readonly ActionType[];
  streams?: readonly string[];
}

export function accepts(filter: ActuatorFilter, action: ControlAction): boolean {
  const types = filter.actions ?? ['switch', 'feature'];
  if (!types.includes(action.type)) return false;
  return !filter.streams || filter.streams.includes(action.stream);
}

/** Resolves after `ms`, or rejects when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Delay before retry `n` (1-based): backoff × 2^(n−1), capped. */
export function backoffDelay(n: number, backoffMs: number, maxBackoffMs: number): number {
  return Math.min(backoffMs * 2 ** (n - 1), maxBackoffMs);
}

/** One try of an actuator: its outcome, whether a failure is worth retrying, and result fields. */
export interface AttemptOutcome {
  error?: string;
  retryable: boolean;
  detail?: Pick<ActuatorResult, 'status' | 'exitCode'>;
}

export interface RetryPolicy {
  retries: number;
  backoffMs: number;
  maxBackoffMs: number;
}

/**
 * The retry stage every actuator shares: tries `attempt` until it succeeds, a failure is not
 * retryable, the retries are spent or `signal` aborts, with doubling backoff between tries.
 */
export async function withRetries(name: string, policy: RetryPolicy, signal: AbortSignal | undefined, attempt: (n: number) => Promise<AttemptOutcome>): Promise<ActuatorResult> {
  const started = performance.now();
  let attempts = 0;
  for (;;) {
    attempts++;
    const out = await attempt(attempts);
    const result = (ok: boolean, error?: string): ActuatorResult => ({
      actuator: name,
      ok,
      attempts,
      tookMs: Math.round(performance.now() - started),
      ...out.detail,
      ...(error !== undefined && { error }),
    });
    if (out.error === undefined) return result(true);
    if (signal?.aborted) return result(false, 'aborted');
    if (!out.retryable || attempts > policy.retries) return result(false, attempts > 1 ? `${out.error} (gave up after ${attempts} attempts)` : out.error);
    try {
      await sleep(backoffDelay(attempts, policy.backoffMs, policy.maxBackoffMs), signal);
    } catch {
      return result(false, 'aborted');
    }
  }
}
