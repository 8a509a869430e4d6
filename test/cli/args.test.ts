import { describe, expect, it } from 'vitest';
import { commandUsage, HelpRequested, joinNegativeValues, parseOptions, UsageError } from '../../src/cli/args.ts';
import { COMMANDS } from '../../src/cli/commands.ts';
import { faultSpec } from '../../src/cli/fault.ts';
import { labSpec } from '../../src/cli/lab.ts';

describe('negative numbers as option values', () => {
  const options = { ms: { type: 'string', short: 'm' }, json: { type: 'boolean' } } as const;

  it('joins an option that takes a value with the negative number after it', () => {
    expect(joinNegativeValues(['--ms', '-300'], options)).toEqual(['--ms=-300']);
    expect(joinNegativeValues(['-m', '-300'], options)).toEqual(['--ms=-300']);
    for (const n of ['-0', '-1.5', '-.5', '-2e3', '-1E-2']) expect(joinNegativeValues(['--ms', n], options)).toEqual([`--ms=${n}`]);
  });

  it('leaves everything else as it is', () => {
    expect(joinNegativeValues(['--json', '-300'], options)).toEqual(['--json', '-300']);
    expect(joinNegativeValues(['--ms=-300', '-5'], options)).toEqual(['--ms=-300', '-5']);
    expect(joinNegativeValues(['--ms', '-x'], options)).toEqual(['--ms', '-x']);
    expect(joinNegativeValues(['--ms', '-3a'], options)).toEqual(['--ms', '-3a']);
    expect(joinNegativeValues(['--ms', '300'], options)).toEqual(['--ms', '300']);
    expect(joinNegativeValues(['--', '--ms', '-300'], options)).toEqual(['--', '--ms', '-300']);
    expect(joinNegativeValues(['--nope', '-300'], options)).toEqual(['--nope', '-300']);
  });

  it("parses the README's avShift fault through the fault command's own option table", () => {
    const opts = parseOptions(faultSpec, ['--stream', 'call1', '--line', 'primary', '--kind', 'avShift', '--ms', '-300']);
    expect(opts).toMatchObject({ stream: 'call1', line: 'primary', kind: 'avShift', ms: '-300' });
    expect(parseOptions(faultSpec, ['--kind', 'avShift', '--ms=-300']).ms).toBe('-300');
  });

  it('still refuses an option as a value, naming it', () => {
    expect(() => parseOptions(faultSpec, ['--stream', '--kind', 'kill'])).toThrow(UsageError);
    expect(() => parseOptions(faultSpec, ['--stream', '--kind', 'kill'])).toThrow(/streamguard fault: Option '--stream' argument is ambiguous/);
  });
});

describe('--help', () => {
  it('wins over every other option, even a wrong one', () => {
    for (const argv of [['--help'], ['-h'], ['--bogus', '--help'], ['--streams', '--help'], ['--streams', 'a', '-h']]) {
      expect(() => parseOptions(labSpec, argv), argv.join(' ')).toThrow(HelpRequested);
    }
    expect(() => parseOptions(labSpec, ['--streams=--help'])).not.toThrow();
    expect(() => parseOptions(labSpec, ['--', '--help'])).toThrow(UsageError);
  });

  it("is the command's usage: its forms and every option it parses", () => {
    try {
      parseOptions(labSpec, ['--help']);
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toBe(commandUsage(labSpec));
    }
    expect(commandUsage(labSpec)).toMatch(/^usage: streamguard lab \[--streams a,b\]/);
    expect(commandUsage(labSpec)).toContain('--control-port N');
    expect(commandUsage(labSpec)).toContain('(default: 8090)');
    expect(commandUsage(labSpec)).toContain('-h, --help');
  });

  it('names no option a command does not parse (forms, option list and notes)', () => {
    for (const { spec } of COMMANDS) {
      const named = new Set(commandUsage(spec).match(/(?<![\w-])--[a-z][\w-]*/g));
      const parsed = new Set([...Object.keys(spec.options), 'help'].map((name) => `--${name}`));
      expect([...named].filter((flag) => !parsed.has(flag)), spec.name).toEqual([]);
      expect(spec.options, spec.name).not.toHaveProperty('help');
      expect(Object.values(spec.options).map((o) => o.short), spec.name).not.toContain('h');
    }
  });
});
