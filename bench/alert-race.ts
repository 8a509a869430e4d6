/**
 * Alert race: the same lab fault (primary publisher SIGKILLed through the lab's fault
 * API), timed from the lab's truth-log time to
 *   (a) streamguard's incident opened   (`incidents` event on /ws, change "opened"),
 *   (b) streamguard's failover done     (`actions` event on /ws, phase "done", type "switch"),
 *   (c) the first firing notification of a real Prometheus + Alertmanager pipeline scraping the
 *       hub's /metrics with the shipped rules (config/prometheus/alerts.yml), received by a local
 *       webhook receiver — for two pipelines at once, side by side on the same fault:
 *         default: the tools' defaults (scrape_interval 1m, evaluation_interval 1m, Alertmanager
 *                  group_wait 30s; read back from their status APIs and printed),
 *         tuned:   scrape_interval 1s, scrape_timeout 1s, evaluation_interval 1s, group_wait 0s.
 *
 *   npx tsx bench/alert-race.ts [faults=10] [budgetMinutes=60]
 *
 * Each fault gets fresh Prometheus + Alertmanager processes (Alertmanager first: started second, its first notification waits for the 1 min resend delay): once
 * an Alertmanager group has notified, a later firing of the same alert waits for group_interval
 * (5m) and the resolved notification too, so reusing them would time Alertmanager's group
 * bookkeeping, not detection. Fresh processes start at a random phase of their intervals relative
 * to the fault, as a fault does in production. Between faults the primary is restarted and the
 * bench waits for the failback and for no P0/P1 incident open. No new fault starts after
 * `budgetMinutes`; the number that ran is printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { parse, stringify } from 'yaml';
import { ConfigSchema } from '../src/config/schema.ts';
import { startHub, type HubHandle } from '../src/app/start.ts';
import { startLab, type Lab } from '../src/lab/index.ts';
import { freePort, PROM_DIR, waitFor } from '../test/prometheus/helpers.ts';
import { until } from '../test/helpers/until.ts';
import { onStopSignal } from './helpers/stop-signal.ts';

const FAULTS = Number(process.argv[2] ?? 10);
const BUDGET_MS = Number(process.argv[3] ?? 60) * 60_000;
const STREAM = 's1';
const began = Date.now();

type PipelineName = 'default' | 'tuned';
interface Pipeline {
  name: PipelineName;
  am: ChildProcess;
  prom: ChildProcess;
}
interface FaultTimes {
  fault: number;
  incidentMs?: number;
  failoverMs?: number;
  defaultMs?: number;
  tunedMs?: number;
}

const tmp = mkdtempSync(join(tmpdir(), 'sg-bench-alert-race-'));
const children = new Set<ChildProcess>();
let lab: Lab | undefined;
let hub: HubHandle | undefined;
let receiver: Server | undefined;
let ws: WebSocket | undefined;

/** Stops a child by its PID (SIGTERM, SIGKILL after 5 s) and waits for it. */
async function stopChild(c: ChildProcess): Promise<void> {
  children.delete(c);
  if (c.pid === undefined || c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise((r) => c.once('exit', r));
  process.kill(c.pid, 'SIGTERM');
  const t = setTimeout(() => c.exitCode === null && c.pid !== undefined && process.kill(c.pid, 'SIGKILL'), 5000);
  await gone;
  clearTimeout(t);
}

async function cleanup(): Promise<void> {
  await Promise.all([...children].map(stopChild));
  ws?.close();
  await hub?.stop();
  await lab?.stop();
  await new Promise((r) => (receiver ? receiver.close(r) : r(undefined)));
  rmSync(tmp, { recursive: true, force: true });
}
onStopSignal('alert-race', cleanup);

function spawnTool(bin: string, args: string[]): ChildProcess {
  const c = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  c.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  c.once('exit', (code) => children.has(c) && console.error(`${bin} exited ${code} unexpectedly:\n${log}`));
  children.add(c);
  return c;
}

// The webhook receiver: Alertmanager's POSTs, path /<pipeline>. First firing P0/P1 alert per fault.
const notified: Partial<Record<PipelineName, number>> = {};
receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = Date.now();
    const name = req.url!.slice(1) as PipelineName;
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { alerts: { status: string; labels: Record<string, string> }[] };
    if (notified[name] === undefined && body.alerts.some((a) => a.status === 'firing' && /^StreamguardP[01]IncidentOpen$/.test(a.labels.alertname ?? ''))) notified[name] = at;
    res.writeHead(200).end();
  });
});
await new Promise<void>((r) => receiver!.listen(0, '127.0.0.1', r));
const receiverPort = (receiver.address() as { port: number }).port;

/** Alertmanager first, then Prometheus scraping the hub with the shipped config and rules. */
async function startPipeline(name: PipelineName, fault: number): Promise<Pipeline> {
  const dir = join(tmp, `${name}-${fault}`);
  mkdirSync(dir);
  const route: Record<string, unknown> = { receiver: 'bench', group_by: ['alertname'] };
  if (name === 'tuned') route.group_wait = '0s';
  writeFileSync(join(dir, 'am.yml'), stringify({ route, receivers: [{ name: 'bench', webhook_configs: [{ url: `http://127.0.0.1:${receiverPort}/${name}`, send_resolved: false }] }] }));
  const amPort = await freePort();
  const am = spawnTool('prometheus-alertmanager', [`--config.file=${join(dir, 'am.yml')}`, `--web.listen-address=127.0.0.1:${amPort}`, `--storage.path=${join(dir, 'am')}`, '--cluster.listen-address=']);
  await waitFor(`${name} alertmanager ready`, async () => ((await fetch(`http://127.0.0.1:${amPort}/-/ready`)).ok ? true : undefined));

  const shipped = parse(readFileSync(join(PROM_DIR, 'prometheus.yml'), 'utf8')) as Record<string, any>;
  const job = (shipped.scrape_configs as Record<string, any>[]).find((j) => j.job_name === 'streamguard')!;
  job.static_configs = [{ targets: [hub!.address] }];
  // The shipped file sets 5 s intervals: default = remove them (Prometheus' own defaults apply).
  shipped.global = name === 'tuned' ? { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' } : {};
  delete job.scrape_interval;
  delete job.scrape_timeout;
  shipped.rule_files = (shipped.rule_files as string[]).map((f) => join(PROM_DIR, f));
  shipped.alerting = { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${amPort}`] }] }] };
  writeFileSync(join(dir, 'prometheus.yml'), stringify(shipped));
  const promPort = await freePort();
  const prom = spawnTool('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--web.listen-address=127.0.0.1:${promPort}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`]);
  await waitFor(`${name} prometheus ready`, async () => ((await fetch(`http://127.0.0.1:${promPort}/-/ready`)).ok ? true : undefined));
  if (fault === 1) {
    // Check the effective timings: both tools fill in their defaults in the config they report.
    const promCfg = parse(((await (await fetch(`http://127.0.0.1:${promPort}/api/v1/status/config`)).json()) as { data: { yaml: string } }).data.yaml) as Record<string, any>;
    const amCfg = parse(((await (await fetch(`http://127.0.0.1:${amPort}/api/v2/status`)).json()) as { config: { original: string } }).config.original) as Record<string, any>;
    const g = promCfg.global;
    const r = amCfg.route;
    console.log(`${name}: prometheus scrape_interval ${g.scrape_interval}, scrape_timeout ${g.scrape_timeout}, evaluation_interval ${g.evaluation_interval}; alertmanager route as written: group_wait ${r.group_wait ?? "unset (default)"}`);
  }
  return { name, am, prom };
}

async function stopPipeline(p: Pipeline): Promise<void> {
  await stopChild(p.prom);
  await stopChild(p.am);
}

const results: FaultTimes[] = [];
try {
  lab = await startLab({ streams: [{ id: STREAM, protocols: ['rtmp'] }] });
  const line = (name: 'primary' | 'backup') => ({ url: lab!.url(STREAM, name, 'http-flv'), regionUrls: { b: lab!.url(STREAM, name, 'rtmp') } });
  const config = ConfigSchema.parse({
    hub: { listen: '127.0.0.1:0', dataDir: join(tmp, 'hub') },
    probe: { regions: ['a', 'b'] },
    streams: [{ id: STREAM, lines: { primary: line('primary'), backup: line('backup') } }],
    // Ten kill/start cycles in a few minutes are flapping by design: the damping (6 switches an
    // hour, growing hold-off) would hold the backup and end the run, so it is lifted here.
    control: { default: { holdOff: '4s', maxHoldOff: '4s', minDwell: '1s', maxSwitchesPerHour: 1000 } },
  });
  hub = await startHub(config);

  // The operator's view: a /ws client on incidents and actions.
  let current: FaultTimes | undefined;
  ws = new WebSocket(`${hub.url!.replace('http', 'ws')}/ws`);
  await new Promise<void>((resolve, reject) => {
    ws!.once('open', resolve);
    ws!.once('error', reject);
  });
  ws.on('message', (d) => {
    const at = Date.now();
    const m = JSON.parse(d.toString()) as { type: string; topic?: string; data?: any };
    if (m.type !== 'event' || !current) return;
    if (m.topic === 'incidents' && (m.data.change === 'opened' || m.data.change === 'reopened') && m.data.incident.stream === STREAM && m.data.incident.line === 'primary') current.incidentMs ??= at - current.fault;
    if (m.topic === 'actions' && m.data.phase === 'done' && m.data.action.type === 'switch' && m.data.action.to === 'backup') current.failoverMs ??= at - current.fault;
  });
  ws.send(JSON.stringify({ id: 1, type: 'subscribe', topics: ['incidents', 'actions'] }));

  const play = async () => ((await (await fetch(`${hub!.url}/api/v1/streams/${STREAM}/play?format=json`)).json()) as { line: string }).line;
  const quiet = () => hub!.hub.incidents.open().every((i) => i.severity !== 'P0' && i.severity !== 'P1');
  await until('both lines seen healthy', () => Object.keys(hub!.controller?.health(STREAM) ?? {}).length === 2, 30_000, 200);

  for (let i = 1; i <= FAULTS; i++) {
    if (Date.now() - began > BUDGET_MS) {
      console.log(`budget of ${BUDGET_MS / 60_000} min used: stopping after ${i - 1} faults`);
      break;
    }
    const ready = await until('primary active and no P0/P1 open', async () => (await play()) === 'primary' && quiet(), 120_000, 200).catch((e: Error) => console.error(`${e.message}: stopping after ${i - 1} faults`));
    if (!ready) break;
    delete notified.default;
    delete notified.tuned;
    const pipelines = await Promise.all([startPipeline('default', i), startPipeline('tuned', i)]);
    // Let the tuned pipeline scrape the healthy state once (the default one is at a random phase).
    await new Promise((r) => setTimeout(r, 2500));
    const kill = await lab.applyFault({ stream: STREAM, line: 'primary', kind: 'kill' });
    current = { fault: kill.startedAt };
    // Default timings: ≤ 60 s to the first scrape + ≤ 60 s to an evaluation + 30 s group_wait.
    await until('both notifications', () => notified.default !== undefined && notified.tuned !== undefined, 200_000, 100).catch((e: Error) => console.error(e.message));
    for (const p of ['default', 'tuned'] as const) if (notified[p] !== undefined) current[`${p}Ms`] = notified[p]! - kill.startedAt;
    results.push(current);
    console.log(JSON.stringify({ n: i, ...current, faultAt: new Date(current.fault).toISOString() }));
    current = undefined;
    await Promise.all(pipelines.map(stopPipeline));
    await lab.applyFault({ stream: STREAM, line: 'primary', kind: 'start' });
  }
} finally {
  await cleanup();
}

const stat = (k: keyof Omit<FaultTimes, 'fault'>) => {
  const v = results.map((r) => r[k]).filter((x): x is number => x !== undefined).sort((a, b) => a - b);
  const mid = v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
  return { n: v.length, medianMs: v.length ? Math.round(mid) : null, maxMs: v.at(-1) ?? null, minMs: v[0] ?? null };
};
console.log(JSON.stringify({ faults: results.length, incident: stat('incidentMs'), failover: stat('failoverMs'), prometheusTuned: stat('tunedMs'), prometheusDefault: stat('defaultMs') }, null, 2));
