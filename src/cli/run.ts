import { INCIDENT_TOPICS } from '../model/topics.ts';
import { formatIncidentLine } from '../app/format.ts';
import { describeChanges } from '../app/reload.ts';
import { formatConfigError } from '../config/load.ts';
import { HubConfigError, startHub, type HubHandle } from '../app/start.ts';
import { log } from '../common/log.ts';
import { StoreOpenError } from '../store/open-error.ts';
import { parseOptions, UsageError } from './args.ts';
import { loadConfigOrReport } from './config-file.ts';
import { runSpec } from './run-options.ts';
import { applyLogFormat } from './log-format.ts';

export { runSpec } from './run-options.ts';

export { startHub, type HubHandle, type StartHubOptions } from '../app/start.ts';

/** One line on stdout per incident change (opened, raised, resolved, ...). */
export function printIncidentChanges(handle: HubHandle): void {
  // Evidence updates (a region first seen) would flood the terminal; the API carries them. A
  // change of scope (regional → line …) is printed: it is how far the incident reaches.
  for (const topic of INCIDENT_TOPICS) {
    handle.bus.on(topic, (change) => {
      if (topic === 'incident.updated' && !change.entries.some((e) => e.type === 'scope-changed')) return;
      const line = formatIncidentLine(topic, change);
      if (line) process.stdout.write(`${line}\n`);
    });
  }
}


/**
 * `streamguard run --config FILE [--data-dir DIR] [--listen HOST:PORT]`: hub + REST API + in-process
 * probes until SIGINT/SIGTERM. Exit 1 on an invalid config or an unusable database.
 */
export async function runCommand(argv: string[]): Promise<number> {
  const opts = parseOptions(runSpec, argv);
  applyLogFormat('run', opts['log-format']);
  if (!opts.config) throw new UsageError('streamguard run: --config FILE is required');
  if (opts.listen !== undefined && !/^[^:\s]+:\d{1,5}$/.test(opts.listen)) throw new UsageError(`streamguard run: --listen must be HOST:PORT, got "${opts.listen}"`);

  const config = loadConfigOrReport(opts.config);
  if (!config) return 1;

  let handle: HubHandle;
  try {
    handle = await startHub(config, {
      ...(opts['data-dir'] !== undefined && { dataDir: opts['data-dir'] }),
      ...(opts.listen !== undefined && { listen: opts.listen }),
    });
  } catch (err) {
    if (err instanceof StoreOpenError || err instanceof HubConfigError) {
      process.stderr.write(`streamguard run: ${err.message}\n`);
      return 1;
    }
    const code = (err as { code?: string }).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      process.stderr.write(`streamguard run: cannot listen on ${opts.listen ?? config.hub.listen}: ${(err as Error).message}\n`);
      return 1;
    }
    throw err;
  }

  printIncidentChanges(handle);
  // SIGHUP: re-read the config and take it whole (src/app/reload.ts), or refuse it with every
  // error at its YAML path, as `streamguard check` prints them, and keep the running one.
  const onHup = () => {
    const file = opts.config!;
    const r = handle.reloadFile(file);
    if (r.ok) {
      process.stdout.write(`streamguard run: SIGHUP: reloaded ${file}: ${describeChanges(r.changes)}\n`);
      return;
    }
    for (const e of r.errors) process.stderr.write(`${formatConfigError(file, e)}\n`);
    process.stderr.write(`streamguard run: SIGHUP: ${file} is invalid; keeping the running config (${r.errors.length} error(s))\n`);
  };
  process.on('SIGHUP', onHup);
  const lines = config.streams.reduce((n, s) => n + Object.keys(s.lines).length, 0);
  const restored = handle.hub.incidents.open().length;
  process.stdout.write(
    `streamguard hub listening on ${handle.url ?? '(no API)'}  data ${handle.storeLocation}  ${config.probe.embedded ? `probing ${config.streams.length} streams / ${lines} lines from ${config.probe.regions.join(', ')}` : `${config.streams.length} streams / ${lines} lines, no embedded probes`}` +
      `${handle.uplink ? `  remote probes ${handle.url!.replace(/^http/, 'ws')}/probes (${config.uplink.probes.length} token(s))` : ''}` +
      `${restored > 0 ? `  restored ${restored} open incident(s)` : ''}\n`,
  );

  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      if (++signals > 1) {
        process.stderr.write(`streamguard run: ${sig} again, exiting without a clean stop\n`);
        process.exit(1);
      }
      process.stdout.write(`streamguard run: ${sig}, stopping (probes, flush, store)\n`);
      handle.stop().then(
        () => resolve(0),
        (err: unknown) => {
          log.error({ err }, 'clean stop failed');
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
