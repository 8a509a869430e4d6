import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.ts';
import { faultSchema } from '../../src/lab/fault-schema.ts';
import { runCli } from '../helpers/cli.ts';

describe('streamguard --help', () => {
  it('lists every command and every fault kind of the lab, exit 0, for --help, -h and help', async () => {
    // The kinds as zod itself indexes the schema's discriminator, not as the CLI walks it.
    const kinds = [...faultSchema._zod.propValues.kind!].map(String);
    expect(kinds).toContain('avShift');
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const r = await runCli(argv);
      expect(r.stderr, argv[0]).toBe('');
      expect(r.code, argv[0]).toBe(0);
      expect(r.stdout).toMatch(/^usage: streamguard <command>/);
      for (const { spec } of COMMANDS) expect(r.stdout).toContain(`\n  ${spec.name} `);
      const listed = /^fault kinds.*: (.*)$/m.exec(r.stdout)?.[1]?.split(', ');
      expect(listed).toEqual(kinds);
    }
  });

  it('without a command, or with an unknown one, exits 2 with the usage on stderr', async () => {
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/^usage: streamguard <command>/);
    const unknown = await runCli(['probes']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^streamguard: unknown command "probes"\nusage:/);
  });
});

describe('streamguard <command> --help', () => {
  for (const { spec } of COMMANDS) {
    it(`${spec.name}: --help and -h print its usage with every option, exit 0`, async () => {
      const [long, short] = await Promise.all([runCli([spec.name, '--help']), runCli([spec.name, '-h'])]);
      for (const r of [long, short]) {
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(new RegExp(`^usage: streamguard ${spec.name}\\b`));
        for (const option of Object.keys(spec.options)) expect(r.stdout).toContain(`--${option}`);
      }
      expect(short.stdout).toBe(long.stdout);
    });
  }

  it('help <command> is the same text; a wrong option names itself and points to --help', async () => {
    const [viaHelp, viaOption, wrong] = await Promise.all([runCli(['help', 'fault']), runCli(['fault', '--help']), runCli(['run', '--conf', 'x'])]);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toBe(viaOption.stdout);
    expect(viaOption.stdout).toContain('avShift --ms -900..900');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^streamguard run: Unknown option '--conf'.*\(streamguard run --help for its options\)/s);
  });
});
