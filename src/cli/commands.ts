import { wrap, type CommandSpec } from './args.ts';
import { backupCommand, backupSpec } from './backup.ts';
import { checkCommand, checkSpec } from './check.ts';
import { demoCommand, demoSpec } from './demo.ts';
import { drillCommand, drillSpec } from './drill.ts';
import { faultCommand, faultSpec } from './fault.ts';
import { faultKinds } from './fault-kinds.ts';
import { labCommand, labSpec } from './lab.ts';
import { probeCommand, probeSpec } from './probe.ts';
import { runCommand, runSpec } from './run.ts';

export interface Command {
  spec: CommandSpec;
  run(argv: string[]): number | Promise<number>;
}

/** Every `streamguard` command, in the order the top-level help lists them. */
export const COMMANDS: readonly Command[] = [
  { spec: checkSpec, run: checkCommand },
  { spec: probeSpec, run: probeCommand },
  { spec: runSpec, run: runCommand },
  { spec: demoSpec, run: demoCommand },
  { spec: drillSpec, run: drillCommand },
  { spec: labSpec, run: labCommand },
  { spec: faultSpec, run: faultCommand },
  { spec: backupSpec, run: backupCommand },
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.spec.name === name);
}

/** `streamguard --help`: every command's forms and summary, and the lab's fault kinds. */
export function topUsage(): string {
  return [
    'usage: streamguard <command> [options]',
    '       streamguard <command> --help     (or: streamguard help <command>) the command\'s own usage and options',
    '',
    'commands:',
    ...COMMANDS.flatMap(({ spec }) => [...spec.synopsis.map((form) => `  ${spec.name}${form ? ` ${form}` : ''}`), wrap(spec.summary, '      ')]),
    '',
    `fault kinds (streamguard fault --help for what each takes): ${faultKinds().join(', ')}`,
  ].join('\n');
}
