import { pino } from 'pino';

/**
 * One structured logger; components take a child with their own bindings.
 * Logs go to stderr so stdout stays clean for machine output (`probe --json`).
 */
export const log = pino(
  {
    level: process.env.STREAMGUARD_LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info'),
    base: undefined,
  },
  pino.destination(2),
);
export type Logger = typeof log;
