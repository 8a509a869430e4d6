import type { z } from 'zod';
import { HttpError } from './http-error.ts';

/** A parsed JSON body checked against `schema`; a 400 names the first bad field and what is wrong with it. */
export function validBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.map(String).join('.') || '(body)';
  throw new HttpError('bad_request', `${field}: ${issue?.message ?? 'invalid'}`);
}
