import { formatConfigError, parseConfig } from '../config/load.ts';
import { readFileSync } from 'node:fs';
import { parseOptions, UsageError, type CommandSpec } from './args.ts';

export const checkSpec = {
  name: 'check',
  synopsis: ['--config FILE'],
  summary: 'Validate a config: exit 0 if it is valid, else 1 listing every error with its YAML path and line.',
  options: { config: { type: 'string', short: 'c', value: 'FILE', help: 'the YAML config to validate' } },
} satisfies CommandSpec;

/** `streamguard check --config FILE`: exit 0 if valid, else 1 with every error and its YAML path. */
export function checkCommand(argv: string[]): number {
  const opts = parseOptions(checkSpec, argv);
  if (!opts.config) throw new UsageError('streamguard check: --config FILE is required');
  let text: string;
  try {
    text = readFileSync(opts.config, 'utf8');
  } catch (err) {
    process.stderr.write(`${opts.config}: cannot read: ${(err as Error).message}\n`);
    return 1;
  }
  const { config, errors } = parseConfig(text);
  if (!config) {
    for (const e of errors) process.stderr.write(`${formatConfigError(opts.config, e)}\n`);
    process.stderr.write(`${opts.config}: ${errors.length} error(s)\n`);
    return 1;
  }
  const lines = config.streams.reduce((n, s) => n + Object.keys(s.lines).length, 0);
  process.stdout.write(`${opts.config}: ok (${config.streams.length} streams, ${lines} lines, regions ${config.regions.join(', ')})\n`);
  return 0;
}
