import { parseArgs, type ParseArgsConfig } from 'node:util';

type OptionConfig = NonNullable<ParseArgsConfig['options']>[string];

/** A command-line mistake: printed as-is with exit code 2, never a stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** `--help` or `-h` on a command: its usage is printed on stdout with exit code 0. */
export class HelpRequested extends Error {
  override name = 'HelpRequested';
}

/** One option of a command: node's parseArgs config plus what `--help` says about it. */
export type OptionSpec = OptionConfig & {
  /** The placeholder for a string option's value in the usage, e.g. FILE. */
  value?: string;
  help: string;
};

type OptionSpecs = Record<string, OptionSpec>;

/** A command's usage, declared next to its options so that `--help` describes what is parsed. */
export interface CommandSpec<O extends OptionSpecs = OptionSpecs> {
  name: string;
  /** Its forms of invocation, each without the leading `streamguard <name>`. */
  synopsis: string[];
  summary: string;
  options: O;
  /** Text after the options, e.g. the fault kinds and what each needs. */
  more?: string;
}

const WIDTH = 100;
const HELP: OptionSpec = { type: 'boolean', short: 'h', help: 'print this usage and exit' };

/** The full usage of one command, as `streamguard <name> --help` prints it. */
export function commandUsage(spec: CommandSpec): string {
  const rows = Object.entries({ ...spec.options, help: HELP }).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
    const fallback = o.default === undefined || o.default === false ? '' : ` (default: ${String(o.default)})`;
    return [flag, `${o.help}${fallback}`] as const;
  });
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 2;
  return [
    ...spec.synopsis.map((form, i) => `${i === 0 ? 'usage:' : '      '} streamguard ${spec.name}${form ? ` ${form}` : ''}`),
    '',
    wrap(spec.summary),
    '',
    'options:',
    ...rows.map(([flag, text]) => `  ${flag.padEnd(width)}${text}`),
    ...(spec.more ? ['', spec.more] : []),
  ].join('\n');
}

/** Word-wraps prose to a 100-column terminal, every line indented by `indent`. */
export function wrap(text: string, indent = ''): string {
  return text
    .split('\n')
    .map((paragraph) => {
      const lines = [''];
      for (const word of paragraph.split(' ')) {
        const line = lines.at(-1)!;
        if (line && indent.length + line.length + 1 + word.length > WIDTH) lines.push(word);
        else lines[lines.length - 1] = line ? `${line} ${word}` : word;
      }
      return lines.map((line) => `${indent}${line}`).join('\n');
    })
    .join('\n');
}

/**
 * Strict option parsing whose errors name the offending option. `--help`/`-h` anywhere before a
 * `--` wins over every other option (and any mistake in them): it throws HelpRequested.
 */
export function parseOptions<O extends OptionSpecs>(spec: CommandSpec<O>, argv: string[]) {
  const args = joinNegativeValues(argv, spec.options);
  const { tokens } = parseArgs({ args, options: { ...spec.options, help: HELP }, strict: false, allowPositionals: true, tokens: true });
  // A lenient pass finds the help option, also where it stands in for a missing value (`--config --help`).
  const asksHelp = tokens?.some((t) => t.kind === 'option' && (t.name === 'help' || (!t.inlineValue && (t.value === '--help' || t.value === '-h'))));
  if (asksHelp) throw new HelpRequested(commandUsage(spec));
  try {
    return parseArgs({ args, options: spec.options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError(`streamguard ${spec.name}: ${(err as Error).message} (streamguard ${spec.name} --help for its options)`);
  }
}

const NEGATIVE_NUMBER = /^-(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * node's parseArgs reads the `-300` of `--ms -300` as an option and refuses the pair as
 * ambiguous; a negative number after an option that takes a value is that value, so the pair
 * becomes `--ms=-300` (also for a short alias: `-m -300`).
 */
export function joinNegativeValues(argv: string[], options: Record<string, OptionConfig>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return [...out, ...argv.slice(i)];
    const name = valueOptionNamed(arg, options);
    const next = argv[i + 1];
    if (name !== undefined && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** The long name of the string option `arg` is (`--name` or `-n`, without an inline value). */
function valueOptionNamed(arg: string, options: Record<string, OptionConfig>): string | undefined {
  const name = arg.startsWith('--') ? arg.slice(2) : /^-[^-]$/.test(arg) ? Object.keys(options).find((k) => options[k]!.short === arg[1]) : undefined;
  return name !== undefined && options[name]?.type === 'string' ? name : undefined;
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

/** `--log-format`, shared by the commands that log (run, demo, probe); applied by log-format.ts. */
export const LOG_FORMAT_OPTION = {
  type: 'string',
  value: 'auto|pretty|json',
  help: 'log lines: human (pretty) or JSON; auto (default, or $STREAMGUARD_LOG_FORMAT) is pretty when stderr is a terminal',
} as const;
