import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A command-line mistake: printed as-is with exit code 2, never a stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Strict option parsing whose errors name the offending option. */
export function parseOptions<O extends Options>(command: string, argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError(`streamguard ${command}: ${(err as Error).message}`);
  }
}

/** Parses a numeric option, naming it when the value is not a number in range. */
export function numberOption(command: string, name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`streamguard ${command}: --${name} must be a number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}
