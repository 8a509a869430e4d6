import type { Request } from 'express';
import { HttpError } from './http-error.ts';

/** The query string as URLSearchParams: one value per name (the first), whatever express's query parser makes of it. */
export function queryParams(req: Request): URLSearchParams {
  const q = req.originalUrl.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : req.originalUrl.slice(q + 1));
}

/** Refuses a parameter not in `known` with a 400 that names it and the ones there are. */
export function onlyParams(params: URLSearchParams, known: readonly string[]): void {
  for (const name of params.keys()) {
    if (!known.includes(name)) throw new HttpError('bad_request', `unknown query parameter "${name}" (expected ${known.join(', ')})`);
  }
}

/** An integer query parameter in [min, max], or undefined when absent; a 400 names it, its range and what it got. */
export function intParam(params: URLSearchParams, name: string, range: { min: number; max?: number; unit?: string }): number | undefined {
  const v = params.get(name);
  if (v === null) return undefined;
  const n = Number(v);
  const { min, max = Number.MAX_SAFE_INTEGER, unit } = range;
  if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new HttpError('bad_request', `query parameter "${name}" must be an integer${range.max === undefined ? ` ≥ ${min}` : ` from ${min} to ${max}`}${unit ? ` (${unit})` : ''}, got "${v}"`);
  }
  return n;
}
