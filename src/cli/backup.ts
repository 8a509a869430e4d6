import { resolve } from 'node:path';
import { DB_FILE } from '../app/start.ts';
import { BackupError, backupStore } from '../store/backup.ts';
import { parseOptions, UsageError, type CommandSpec } from './args.ts';
import { loadConfigOrReport } from './config-file.ts';

export const backupSpec = {
  name: 'backup',
  synopsis: ['--to DIR --data-dir DIR', '--to DIR --config FILE'],
  summary:
    "Copy the hub's SQLite files (streamguard.db, streamguard.inbox.db, streamguard.samples.db) into DIR with SQLite's online backup API: " +
    'a consistent copy, made while the hub runs and writes. DIR must be new or empty, and not the data dir. To restore, start a hub with ' +
    'DIR as its data dir (--data-dir DIR), or copy the files into an empty data dir while no hub runs on it. Exit 1 if a file could not be ' +
    'copied (nothing is left half-written under its own name).',
  options: {
    to: { type: 'string', value: 'DIR', help: 'the backup directory (created if missing)' },
    'data-dir': { type: 'string', value: 'DIR', help: "the hub's data dir" },
    config: { type: 'string', short: 'c', value: 'FILE', help: "or the hub's config: its hub.dataDir" },
  },
} satisfies CommandSpec;

/** `streamguard backup --to DIR [--data-dir DIR | --config FILE]`: prints each file written; exit 0. */
export async function backupCommand(argv: string[]): Promise<number> {
  const opts = parseOptions(backupSpec, argv);
  if (!opts.to) throw new UsageError('streamguard backup: --to DIR is required (streamguard backup --help)');
  if ((opts['data-dir'] === undefined) === (opts.config === undefined)) {
    throw new UsageError("streamguard backup: give the hub's data dir with --data-dir DIR or its config with --config FILE (one of them)");
  }
  let dataDir = opts['data-dir'];
  if (dataDir === undefined) {
    const config = loadConfigOrReport(opts.config!);
    if (!config) return 1;
    if (config.store.postgres) {
      process.stderr.write(`streamguard backup: ${opts.config}: store.postgres puts the store on PostgreSQL (URL in $${config.store.postgres.urlEnv}): back it up with PostgreSQL's tools (pg_dump -Fc); this command copies SQLite files\n`);
      return 1;
    }
    dataDir = config.hub.dataDir;
  }
  // Resolved as `streamguard run` resolves it, from the working directory.
  dataDir = resolve(dataDir);
  const to = resolve(opts.to);
  try {
    const files = await backupStore(resolve(dataDir, DB_FILE), to);
    process.stdout.write(`streamguard backup: ${dataDir} → ${to}\n`);
    for (const f of files) process.stdout.write(`  wrote ${f.to} (${f.bytes} bytes, from ${f.from})\n`);
    process.stdout.write(`restore: streamguard run --config FILE --data-dir ${to}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof BackupError)) throw err;
    process.stderr.write(`streamguard backup: ${err.message}\n`);
    return 1;
  }
}
