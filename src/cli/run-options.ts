import { LOG_FORMAT_OPTION, type CommandSpec } from './args.ts';

/**
 * `streamguard run`'s options and usage. Their own module so the container's entrypoint and health
 * check read a hub command line the way the hub does without loading the hub.
 */
export const runSpec = {
  name: 'run',
  synopsis: ['--config FILE [--data-dir DIR] [--listen HOST:PORT]'],
  summary:
    'Run the hub: in-process probes, detector, incidents, SQLite store, REST API and web console, remote probes on /probes. ' +
    'SIGHUP re-reads the config (probe tokens and assignments); SIGINT/SIGTERM stop it cleanly. Exit 1 on an invalid config or an unusable database.',
  options: {
    config: { type: 'string', short: 'c', value: 'FILE', help: 'the YAML config' },
    'data-dir': { type: 'string', value: 'DIR', help: "where the SQLite database lives (default: the config's hub.dataDir)" },
    listen: { type: 'string', value: 'HOST:PORT', help: "the API's address (default: the config's hub.listen)" },
    'log-format': LOG_FORMAT_OPTION,
  },
} satisfies CommandSpec;

export const RUN_OPTIONS = runSpec.options;
