/**
 * Reconnect delay: exponential with jitter so many probes do not reconnect in lockstep after
 * a shared outage, capped so a recovered stream is seen again within ~10 s.
 */
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  /** Fraction of the delay randomised either way (0.2 → ±20 %). */
  jitter: number;
}

export const defaultBackoff: BackoffOptions = { baseMs: 250, capMs: 10_000, jitter: 0.2 };

/** `attempt` counts failures since the last success, starting at 0. */
export function backoffDelay(attempt: number, opts: BackoffOptions = defaultBackoff, random: () => number = Math.random): number {
  const raw = Math.min(opts.capMs, opts.baseMs * 2 ** Math.max(0, attempt));
  const spread = raw * opts.jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(Math.min(opts.capMs, raw + spread)));
}
