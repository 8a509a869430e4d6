import { z } from 'zod';

/** P0 total outage … P3 minor (docs/architecture.md "Severity"). Lower number = more severe. */
export const SEVERITIES = ['P0', 'P1', 'P2', 'P3'] as const;
export const SeveritySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof SeveritySchema>;
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { P0: 0, P1: 1, P2: 2, P3: 3 };

/** Health of one (stream, line, region, probe) view. */
export const LEVELS = ['ok', 'degraded', 'down'] as const;
export const LevelSchema = z.enum(LEVELS);
export type Level = z.infer<typeof LevelSchema>;
export const LEVEL_RANK: Readonly<Record<Level, number>> = { ok: 0, degraded: 1, down: 2 };
