import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ActionType } from './config-schema.ts';
import { accepts, withRetries, type Actuator, type ActuatorResult, type ControlAction, type ExecuteOptions } from './types.ts';

/**
 * HTTP webhook actuator: POST the action as JSON.
 *
 * Headers: `content-type: application/json`, `idempotency-key: <action id>`,
 * `x-streamguard-timestamp: <unix seconds>`, `x-streamguard-attempt: <n>` and, with a secret,
 * `x-streamguard-signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
 * A receiver recomputes the HMAC over the raw body (verifySignature) and rejects stale timestamps.
 *
 * Each attempt has `timeoutMs`. Network errors, timeouts, 408, 429 and 5xx are retried up to
 * `retries` times after backoff × 2^(n−1) (capped); any other non-2xx gives up at once.
 */

export const SIGNATURE_HEADER = 'x-streamguard-signature';
export const TIMESTAMP_HEADER = 'x-streamguard-timestamp';
export const IDEMPOTENCY_HEADER = 'idempotency-key';

export interface WebhookOptions {
  name: string;
  url: string;
  /** HMAC-SHA256 secret; unsigned when absent. */
  secret?: string;
  timeoutMs?: number;
  retries?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  actions?: readonly ActionType[];
  streams?: readonly string[];
  headers?: Record<string, string>;
  /** Unix seconds for the timestamp header (tests). */
  now?: () => number;
}

export function signPayload(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Checks a signature header against the raw body; false when it differs or the timestamp is older than `toleranceS`. */
export function verifySignature(secret: string, body: string, timestamp: string | undefined, signature: string | undefined, toleranceS = 300, nowS = Date.now() / 1000): boolean {
  if (!timestamp || !signature || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(nowS - Number(timestamp)) > toleranceS) return false;
  const want = Buffer.from(signPayload(secret, timestamp, body));
  const got = Buffer.from(signature);
  return want.length === got.length && timingSafeEqual(want, got);
}

const RETRYABLE = (status: number) => status === 408 || status === 429 || status >= 500;

export class WebhookActuator implements Actuator {
  readonly kind = 'webhook';
  readonly name: string;
  private readonly o: Required<Pick<WebhookOptions, 'timeoutMs' | 'retries' | 'backoffMs' | 'maxBackoffMs'>> & WebhookOptions;

  constructor(opts: WebhookOptions) {
    this.name = opts.name;
    this.o = { timeoutMs: 5000, retries: 3, backoffMs: 500, maxBackoffMs: 10_000, ...opts };
  }

  accepts(action: ControlAction): boolean {
    return accepts({ ...(this.o.actions && { actions: this.o.actions }), ...(this.o.streams && { streams: this.o.streams }) }, action);
  }

  execute(action: ControlAction, opts: ExecuteOptions = {}): Promise<ActuatorResult> {
    const body = JSON.stringify(action);
    return withRetries(this.name, this.o, opts.signal, async (attempt) => {
      const timestamp = String(Math.floor(this.o.now ? this.o.now() : Date.now() / 1000));
      const headers: Record<string, string> = {
        'user-agent': 'streamguard',
        ...this.o.headers,
        'content-type': 'application/json',
        // Header values are bytes: a non-ASCII id (not produced by the controller) goes percent-encoded.
        [IDEMPOTENCY_HEADER]: /^[\x20-\x7e]*$/.test(action.id) ? action.id : encodeURIComponent(action.id),
        [TIMESTAMP_HEADER]: timestamp,
        'x-streamguard-attempt': String(attempt),
      };
      if (this.o.secret) headers[SIGNATURE_HEADER] = signPayload(this.o.secret, timestamp, body);
      try {
        const signals = [AbortSignal.timeout(this.o.timeoutMs), ...(opts.signal ? [opts.signal] : [])];
        const res = await fetch(this.o.url, { method: 'POST', headers, body, signal: AbortSignal.any(signals), redirect: 'error' });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return { retryable: false, detail: { status: res.status } };
        return { error: `HTTP ${res.status}`, retryable: RETRYABLE(res.status), detail: { status: res.status } };
      } catch (err) {
        const e = err as Error & { cause?: { code?: string } };
        return { error: e.name === 'TimeoutError' ? `timed out after ${this.o.timeoutMs} ms` : (e.cause?.code ?? e.message), retryable: true };
      }
    });
  }
}
