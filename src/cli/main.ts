import { commandUsage, HelpRequested, UsageError } from './args.ts';
import { findCommand, topUsage } from './commands.ts';

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) throw new HelpRequested(topUsage());
  if (name === 'help') {
    const command = findCommand(rest[0]!);
    if (!command) throw new UsageError(`streamguard help: unknown command "${rest[0]}"\n${topUsage()}`);
    throw new HelpRequested(commandUsage(command.spec));
  }
  if (!name) throw new UsageError(topUsage());
  const command = findCommand(name);
  if (!command) throw new UsageError(`streamguard: unknown command "${name}"\n${topUsage()}`);
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof HelpRequested) {
      process.stdout.write(`${err.message}\n`);
      process.exitCode = 0;
    } else if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`streamguard: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
