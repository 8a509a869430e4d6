import type { Request } from 'express';
import { z } from 'zod';
import { HttpError } from './http-error.ts';
import { queryParams } from './query.ts';

/**
 * The query string checked against a zod object of its parameters (each a string, the first value
 * of its name): a 400 names the parameter, what it must be and what it got; a parameter the schema
 * does not know is a 400 naming the ones it does.
 */
export function validQuery<S extends z.ZodObject>(schema: S, req: Request): z.infer<S> {
  const params = queryParams(req);
  const known = Object.keys(schema.shape);
  const raw: Record<string, string> = {};
  for (const name of params.keys()) {
    if (!known.includes(name)) throw new HttpError('bad_request', `unknown query parameter "${name}" (expected ${known.join(', ')})`);
    raw[name] ??= params.get(name)!;
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const name = String(issue.path[0] ?? '');
  throw new HttpError('bad_request', `query parameter "${name}" ${issue.message}${name in raw ? `, got "${raw[name]}"` : ''}`);
}

/** An integer parameter in [min, max]: its message says the range (and the unit). */
export function intQuery(range: { min: number; max?: number; unit?: string }): z.ZodType<number, string> {
  const { min, max = Number.MAX_SAFE_INTEGER, unit } = range;
  const must = `must be an integer${range.max === undefined ? ` ≥ ${min}` : ` from ${min} to ${max}`}${unit ? ` (${unit})` : ''}`;
  return z
    .string()
    .refine((v) => v.trim() !== '' && Number.isInteger(Number(v)) && Number(v) >= min && Number(v) <= max, { error: must })
    .transform(Number);
}

/** A comma-separated list of some of `values` (`severity=P0,P1`). */
export function listQuery<const V extends string>(values: readonly V[]): z.ZodType<V[], string> {
  return z
    .string()
    .refine((v) => v.split(',').every((x) => (values as readonly string[]).includes(x)), { error: `must be one or more of ${values.join(', ')}, comma-separated` })
    .transform((v) => [...new Set(v.split(','))] as V[]);
}
