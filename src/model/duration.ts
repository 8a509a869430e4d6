import { z } from 'zod';

/**
 * One duration syntax for every section of the config (hub, control, tickets): a whole number
 * of milliseconds, or a string such as "500ms", "30s", "5m", "6h", "30d". Parses to ms.
 * Its own file so section schemas can use it without importing the whole config schema.
 */
const DURATION_UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

const DURATION_MESSAGE = 'must be milliseconds or a duration like "30s", "5m", "6h", "30d"';
export const durationSchema = z.union([z.number(), z.string()], { error: DURATION_MESSAGE }).transform((v, ctx) => {
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 0) return v;
  } else {
    const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(v.trim());
    if (m) return Math.round(Number(m[1]) * DURATION_UNITS[m[2] as keyof typeof DURATION_UNITS]);
  }
  ctx.addIssue({ code: 'custom', message: `${DURATION_MESSAGE}, got ${JSON.stringify(v)}` });
  return z.NEVER;
});
