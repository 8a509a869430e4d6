import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Config } from '../config/schema.ts';
import { lineUrl } from '../model/stream.ts';
import { ChangeGate } from '../app/change-gate.ts';
import { formatStatusTable, statusState } from '../app/format.ts';
import { startHub, type HubHandle } from '../app/start.ts';
import { startControlServer, startLab, VendorDesk, type Fault, type Lab } from '../lab/index.ts';
import type { Sample } from '../model/sample.ts';
import { LOG_FORMAT_OPTION, parseOptions, type CommandSpec } from './args.ts';
import { loadConfigOrReport } from './config-file.ts';
import { untilSignal } from './lab.ts';
import { applyLogFormat } from './log-format.ts';
import { printIncidentChanges } from './run.ts';

/** This package's checkout or install: where the demo's own config lives, wherever it is run from. */
const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DEMO_CONFIG = resolve(PACKAGE_ROOT, 'config/demo.yaml');

export const demoSpec = {
  name: 'demo',
  synopsis: ['[--config FILE] [--data-dir DIR] [--no-scenario]'],
  summary:
    'What `npm start` runs: the lab of real streams, the hub with probes in three simulated regions, the web console, a vendor desk ' +
    'and a scripted fault scenario, so incidents open and resolve before your eyes. SIGINT/SIGTERM stop it.',
  options: {
    config: { type: 'string', value: 'FILE', help: `a config whose URLs the lab serves (default: ${DEMO_CONFIG})` },
    'data-dir': { type: 'string', value: 'DIR', help: "where the SQLite database lives (default: the config's hub.dataDir; the default config's is under the package)" },
    'no-scenario': { type: 'boolean', default: false, help: 'inject no faults; only your own (`streamguard fault`)' },
    'log-format': LOG_FORMAT_OPTION,
  },
} satisfies CommandSpec;

/** The lab's fixed ports that config/demo.yaml names (see its header). */
const DEMO_LAB_PORTS = { rtmp: 19350, httpFlv: 19351, hls: 19352, proxyBase: 19400 };
const DEMO_CONTROL_PORT = 8090;
const DEMO_DESK_PORT = 19360;
/** The status table is looked at this often, printed when a line's state changed, else once per heartbeat. */
const STATUS_EVERY_MS = 10_000;
const STATUS_HEARTBEAT_MS = 60_000;

/** A scripted fault the demo injects so an operator sees incidents open and resolve. */
interface Step {
  afterMs: number;
  say: string;
  fault: (config: Config) => Fault | undefined;
}

const first = (config: Config) => config.streams[0]?.id ?? '';
const last = (config: Config) => config.streams.at(-1)?.id ?? '';

const SCENARIO: Step[] = [
  {
    afterMs: 20_000,
    say: 'kill the primary publisher of the first stream: expect a P1 "down" incident, a failover to the backup and a vendor ticket',
    fault: (c) => ({ stream: first(c), line: 'primary', kind: 'kill' }),
  },
  { afterMs: 20_000, say: 'restart it: expect the incident to resolve, the ticket to be solved and a failback after the hold-off', fault: (c) => ({ stream: first(c), line: 'primary', kind: 'start' }) },
  { afterMs: 20_000, say: 'freeze the picture of the last stream for 10 s: expect a P2 "degraded" incident', fault: (c) => ({ stream: last(c), line: 'primary', kind: 'freeze', ms: 10_000 }) },
  {
    afterMs: 25_000,
    say: 'blackhole the sg region\'s path (HLS) to the first stream\'s backup for 15 s: expect a regional P1',
    fault: (c) => ({ stream: first(c), line: 'backup', kind: 'proxy', protocol: 'hls', mode: 'blackhole', durationMs: 15_000 }),
  },
  { afterMs: 35_000, say: 'scenario done; it starts again in a minute (inject your own with `streamguard fault`)', fault: () => undefined },
  { afterMs: 60_000, say: 'scenario again', fault: () => undefined },
];

/**
 * `streamguard demo` (what `npm start` runs): the lab's real streams, the hub with probes in three
 * simulated regions, and a scripted fault scenario, so an operator sees detection end to end.
 */
export async function demoCommand(argv: string[]): Promise<number> {
  const opts = parseOptions(demoSpec, argv);
  applyLogFormat('demo', opts['log-format']);
  const configFile = opts.config ?? DEMO_CONFIG;
  const config = loadConfigOrReport(configFile);
  if (!config) return 1;
  // The default config's relative data dir means one in the package (as `npm start` in a checkout
  // has it), not one in whatever directory the demo is started from.
  const dataDir = opts['data-dir'] ?? (opts.config === undefined ? resolve(PACKAGE_ROOT, config.hub.dataDir) : undefined);

  const lab = await startLab({ streams: config.streams.map((s) => ({ id: s.id, protocols: ['rtmp', 'hls'] })), ports: DEMO_LAB_PORTS });
  let hub: HubHandle | undefined;
  let control: Awaited<ReturnType<typeof startControlServer>> | undefined;
  const desk = new VendorDesk();
  try {
    const unserved = urlsNotServed(config, lab);
    if (unserved.length > 0) {
      process.stderr.write(`${configFile}: URL(s) the lab does not serve:\n${unserved.map((u) => `  ${u}`).join('\n')}\n`);
      return 1;
    }
    control = await startControlServer(lab, DEMO_CONTROL_PORT);
    await desk.start(DEMO_DESK_PORT);
    desk.watch((t, change) => say(`vendor desk: ticket #${t.id} ${change} [${t.priority ?? '-'}, ${t.status}] ${t.subject}`));
    hub = await startHub(config, dataDir === undefined ? {} : { dataDir });
    printIncidentChanges(hub);
    hub.controller?.onAction((a, phase) => {
      if (phase === 'decided' && a.type === 'switch') say(`control: stream ${a.stream} switched ${a.from} → ${a.to} (${a.reason}: ${a.why})`);
      if (phase === 'decided' && a.type === 'escalate') say(`control: stream ${a.stream} escalated (${a.why})`);
    });
    const latest = new Map<string, Sample>();
    hub.bus.on('sample', (s) => latest.set(`${s.stream}/${s.line}/${s.region}`, s));
    process.stdout.write(
      [
        `streamguard demo: hub ${hub.url}  (incidents: ${hub.url}/api/v1/incidents)`,
        `web console ${hub.url}/  (open it in a browser: the grid turns red and the active line moves when a fault hits)`,
        `lab control ${control.url}/lab  (inject: streamguard fault --lab ${control.url} --stream ${first(config)} --line primary --kind kill)`,
        `play URL ${hub.url}/api/v1/streams/${first(config)}/play?format=json   vendor desk http://127.0.0.1:${DEMO_DESK_PORT}/api/v2/tickets.json`,
        `probing ${config.streams.length} streams × 2 lines from ${config.probe.regions.join(', ')}; times are UTC; Ctrl-C stops`,
        '',
      ].join('\n'),
    );
    const controller = hub.controller;
    const statusGate = new ChangeGate(STATUS_HEARTBEAT_MS);
    const status = setInterval(() => {
      const rows = [...latest.values()].map((sample) => ({ sample, active: controller?.state(sample.stream)?.line.active === sample.line }));
      if (rows.length > 0 && statusGate.pass(statusState(rows))) process.stdout.write(formatStatusTable(rows));
    }, STATUS_EVERY_MS);
    const scenario = opts['no-scenario'] ? undefined : runScenario(lab, config);
    await untilSignal();
    clearInterval(status);
    scenario?.stop();
    return 0;
  } finally {
    await hub?.stop();
    await control?.close();
    await desk.stop().catch(() => undefined);
    await lab.stop();
  }
}

function urlsNotServed(config: Config, lab: Lab): string[] {
  const served = new Set(lab.describe().streams.flatMap((s) => Object.values(s.lines).flatMap((l) => Object.values(l.urls))));
  return config.streams.flatMap((s) =>
    Object.entries(s.lines).flatMap(([line, l]) =>
      ['', ...config.probe.regions].map((region) => lineUrl(l, region)).filter((url, i, all) => all.indexOf(url) === i && !served.has(url)).map((url) => `streams ${s.id}, line ${line}: ${url}`),
    ),
  );
}

function say(text: string): void {
  process.stdout.write(`${new Date().toISOString()} ${text}\n`);
}

function runScenario(lab: Lab, config: Config): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let index = 0;
  const next = () => {
    const step = SCENARIO[index % SCENARIO.length]!;
    timer = setTimeout(() => {
      index++;
      const fault = step.fault(config);
      say(`scenario: ${step.say}`);
      if (fault) {
        lab.applyFault(fault).catch((err: unknown) => process.stdout.write(`scenario: fault refused: ${(err as Error).message}\n`));
      }
      next();
    }, step.afterMs);
  };
  next();
  return { stop: () => clearTimeout(timer) };
}
