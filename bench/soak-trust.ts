/**
 * Trust soak: does streamguard stay quiet when nothing is wrong, and does it see real faults?
 *
 * The demo's setup (config/demo.yaml: 2 streams × 2 lines × 3 regions) with the lab's real ffmpeg
 * streams and vendor desk in this process, the hub (`streamguard run`) and one remote probe worker
 * per region (`streamguard probe --hub`) as their own processes, run for --minutes in one scenario:
 *   (a) nothing; (b) CPU burners; (c) jitter on one region's path; (d) a real fault every few minutes.
 * Then it scores what the hub did, read only from its public interfaces — REST incidents and their
 * timelines, the audit log (switch decisions), the /ws event stream (cross-check) — and the vendor
 * desk's received tickets, against the lab's truth log:
 *   false incidents by severity (episodes no scripted fault explains), false switches, false
 *   tickets, missed faults, detection delay p50/p95 (incident opened − fault start in the truth log).
 *
 * Each region plays its own protocol (cn-east HTTP-FLV, cn-south RTMP, sg HLS), and the lab runs one
 * fault proxy per (stream, line, protocol), so every (line, region) path has its own proxy: the
 * jitter of (c) is that region's protocol proxy on every line, and no other region's path sees it.
 *
 *   npx tsx bench/soak-trust.ts --scenario b --minutes 30 [--json]      (--help for every option)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { log } from '../src/common/log.ts';
import { widestScope } from '../src/model/incident.ts';
import { liveChildPids, startLab, VendorDesk, type DeskTicket, type Lab, type LineName } from '../src/lab/index.ts';
import { CpuBurners } from '../test/helpers/cpu-burners.ts';
import { HubRest } from '../test/helpers/hub-rest.ts';
import { startStreamguard, type StreamguardProcess } from '../test/helpers/streamguard-process.ts';
import { until } from '../test/helpers/until.ts';
import { FaultScript } from './helpers/fault-script.ts';
import { HubEvents, type HubEvent } from './helpers/hub-events.ts';
import { regionStats } from './helpers/region-stats.ts';
import { planSoak, writeSoakHubConfig } from './helpers/soak-config.ts';
import { parseSoakOptions, SOAK_USAGE, SoakUsageError, type SoakOptions } from './helpers/soak-options.ts';
import { formatSoakTable, GOALS, goalFailures } from './helpers/soak-report.ts';
import { scoreSoak, type TicketRow } from './helpers/soak-score.ts';
import { onStopSignal } from './helpers/stop-signal.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const WARMUP_TIMEOUT_MS = 120_000;
const TICK_MS = 1000;
/** The audit query returns the newest 1000 rows: read it often enough that none scrolls away. */
const AUDIT_POLL_MS = 30_000;
/** Lets the hub write what the last second decided before it is read. */
const SETTLE_MS = 3000;
/** A fault is started only if it, and this long after it, fit in the measured window. */
const FAULT_TAIL_MS = 15_000;
/** How long a due fault waits for its line to have no open incident. */
const QUIET_WAIT_MS = 20_000;

let opts: SoakOptions | undefined;
try {
  opts = parseSoakOptions(process.argv.slice(2), os.cpus().length);
} catch (err) {
  if (!(err instanceof SoakUsageError)) throw err;
  process.stderr.write(`soak-trust: ${err.message} (--help for the options)\n`);
  process.exit(2);
}
if (!opts) {
  process.stdout.write(`${SOAK_USAGE}\n`);
  process.exit(0);
}
const o = opts;
// The lab's info lines would bury the progress lines; its warnings stay.
log.level = process.env.STREAMGUARD_LOG_LEVEL ?? 'warn';
const plan = planSoak();
const jitterRegion = o.jitterRegion ?? plan.regions[0]!;
if (!plan.regions.includes(jitterRegion)) {
  process.stderr.write(`soak-trust: --jitter-region: unknown region "${jitterRegion}" (regions: ${plan.regions.join(', ')})\n`);
  process.exit(2);
}
const jitterProtocol = plan.regionProtocol[jitterRegion]!;
if (o.scenario === 'c' && jitterProtocol === 'rtsp') {
  process.stderr.write(`soak-trust: --jitter-region ${jitterRegion} plays RTSP, whose UDP media the lab cannot proxy: pick another region\n`);
  process.exit(2);
}

const tmp = mkdtempSync(join(os.tmpdir(), 'sg-soak-trust-'));
const desk = new VendorDesk();
const burners = new CpuBurners(o.burnCores);
let lab: Lab | undefined;
let hub: StreamguardProcess | undefined;
const probes: StreamguardProcess[] = [];
let events: HubEvents | undefined;
let faultScript: FaultScript | undefined;
let measureFrom = 0;

const clock = (t = Date.now()) => (measureFrom === 0 ? new Date(t).toISOString().slice(11, 19) : `+${((t - measureFrom) / 1000).toFixed(0).padStart(4)} s`);
const say = (text: string) => process.stderr.write(`${clock()} ${text}\n`);

let cleaning: Promise<void> | undefined;
/** Stops everything this run started, by PID, in order: burners, probes, hub, lab, desk. Idempotent. */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    events?.close();
    await burners.stop();
    await faultScript?.stop().catch(() => undefined);
    await Promise.all(probes.map((p) => p.stop()));
    await hub?.stop();
    await lab?.stop();
    await desk.stop().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
    const left = liveChildPids();
    if (left.length > 0) process.stderr.write(`soak-trust: children still running after cleanup: ${left.join(', ')}\n`);
  })();
  return cleaning;
}
// The registry SIGKILLs the burners and the lab's children on a signal; this stops the rest in order.
onStopSignal('soak-trust', cleanup);

function commitId(): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: REPO, encoding: 'utf8' }).trim();
  try {
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--untracked-files=no') ? '+uncommitted' : ''}`;
  } catch {
    return 'unknown';
  }
}

function describeEvent(e: HubEvent): string | undefined {
  if (e.topic === 'incidents' && ['opened', 'reopened', 'raised', 'resolved'].includes(e.change)) {
    const i = e.incident;
    return `incident ${e.change}: ${i.severity} ${i.key} (${e.change === 'resolved' ? widestScope(i) : i.scope}; regions ${Object.keys(i.regions).join(',') || '-'})`;
  }
  if (e.topic === 'actions' && e.phase === 'decided' && e.action.type === 'switch') return `switch ${e.action.stream} ${e.action.from} → ${e.action.to}: ${e.action.why ?? ''}`;
  return undefined;
}

/** Fails the run at once when the hub or a probe process dies: the rest of the figures would be noise. */
function assertAlive(): void {
  for (const p of [hub!, ...probes]) {
    if (p.child.proc.exitCode !== null || p.child.proc.signalCode !== null) {
      throw new Error(`${p.name} exited (${p.child.proc.exitCode ?? p.child.proc.signalCode}); its last log:\n${p.stderrTail()}`);
    }
  }
}

/** Applies (or, with clear, removes) the jitter on every line's proxy of the jittered region's protocol. */
async function setJitter(clear: boolean): Promise<void> {
  if (jitterProtocol === 'rtsp') return;
  for (const stream of plan.streams) {
    for (const line of ['primary', 'backup'] as LineName[]) {
      await lab!.applyFault(
        clear
          ? { stream, line, kind: 'proxy', protocol: jitterProtocol, mode: 'clear' }
          : { stream, line, kind: 'proxy', protocol: jitterProtocol, mode: 'delay', ms: o.delayMs, ...(o.jitterMs > 0 && { jitterMs: o.jitterMs }) },
      );
    }
  }
}

function scenarioText(): string {
  switch (o.scenario) {
    case 'a':
      return 'a: nothing injected';
    case 'b':
      return `b: CPU burners take ${o.burnCores} of ${os.cpus().length} cores for the first half of every ${o.burnPeriodMs / 1000} s`;
    case 'c':
      return `c: ${jitterRegion}'s path (${jitterProtocol} proxy of every line) holds each chunk ${o.delayMs} ± ${o.jitterMs} ms`;
    case 'd':
      return `d: a real fault every ${o.faultEveryMs / 1000} s, each for ${o.faultHoldMs / 1000} s`;
  }
}

let exitCode = 1;
try {
  const commit = commitId();
  const deskUrl = `http://127.0.0.1:${await desk.start(0)}`;
  lab = await startLab({ streams: plan.streams.map((id) => ({ id, protocols: plan.publish })) });
  const { file, probeTokens } = writeSoakHubConfig(tmp, lab, deskUrl);
  hub = startStreamguard('hub', ['run', '--config', file], Object.fromEntries(Object.values(probeTokens).map(({ env, token }) => [env, token])));
  const hubUrl = await until('the hub to listen', () => {
    assertAlive();
    return /listening on (http:\/\/\S+)/.exec(hub!.stdout())?.[1];
  }, 60_000, 100);
  for (const region of plan.regions) {
    probes.push(startStreamguard(`probe ${region}`, ['probe', '--hub', `${hubUrl.replace(/^http/, 'ws')}/probes`, '--region', region], { STREAMGUARD_PROBE_TOKEN: probeTokens[region]!.token }));
  }
  const rest = new HubRest(hubUrl);
  events = new HubEvents((e) => {
    const text = describeEvent(e);
    if (text) say(text);
  });
  await events.connect(hubUrl);

  const views = plan.streams.flatMap((s) => ['primary', 'backup'].flatMap((l) => plan.regions.map((r) => `${s}/${l}/${r}`)));
  // Warm-up ends once every view has been healthy at least once: all probes connected to every line.
  // (Not "all healthy at once": on a loaded machine some view is often degraded for a moment.)
  say(`waiting for each of the ${views.length} views (stream/line/region) to be seen healthy`);
  const seenOk = new Set<string>();
  await until('every view seen healthy', async () => {
    assertAlive();
    for (const [view, level] of await rest.viewLevels()) if (level === 'ok') seenOk.add(view);
    return views.every((v) => seenOk.has(v));
  }, WARMUP_TIMEOUT_MS, 500).catch((err: Error) => {
    throw new Error(`${err.message}: never healthy: ${views.filter((v) => !seenOk.has(v)).join(', ')}`);
  });

  measureFrom = Date.now();
  const measureTo = measureFrom + o.minutes * 60_000;
  const loadAvg = { start: os.loadavg()[0]!, max: os.loadavg()[0]! };
  say(`measuring ${o.minutes} min, scenario ${scenarioText()}; hub ${hubUrl}, commit ${commit}`);

  if (o.scenario === 'c') {
    await setJitter(false);
    say(`jitter on: ${jitterRegion} (${jitterProtocol}) ${o.delayMs} ± ${o.jitterMs} ms`);
  }
  if (o.scenario === 'd') faultScript = new FaultScript(lab, { streams: plan.streams, decoded: plan.decoded, protocols: Object.values(plan.regionProtocol) }, o.faultHoldMs);
  let faultDueAt = measureFrom + Math.min(30_000, o.faultEveryMs / 2);
  let nextFault = 0;
  let lastAuditPoll = 0;
  while (Date.now() < measureTo) {
    assertAlive();
    const now = Date.now();
    loadAvg.max = Math.max(loadAvg.max, os.loadavg()[0]!);
    if (o.scenario === 'b') {
      const burn = (now - measureFrom) % o.burnPeriodMs < o.burnPeriodMs / 2;
      if (burn && !burners.burning) {
        burners.start();
        say(`burners on (${o.burnCores} cores)`);
      } else if (!burn && burners.burning) {
        await burners.stop();
        say(`burners off (they used ${burners.windows.at(-1)!.usedCores} cores)`);
      }
    }
    if (faultScript && now >= faultDueAt && now + o.faultHoldMs + FAULT_TAIL_MS <= measureTo) {
      // A fault on a line with an incident already open could open nothing new: wait a while for it to clear.
      const { stream, line } = faultScript.target(nextFault);
      const open = await rest.openOn(stream, line);
      if (open.length === 0 || now - faultDueAt >= QUIET_WAIT_MS) {
        say(`fault: ${await faultScript.inject(nextFault)}${open.length > 0 ? ` (open on the line after ${QUIET_WAIT_MS / 1000} s of waiting: ${open.join(', ')})` : ''}`);
        nextFault++;
        faultDueAt = Date.now() + o.faultEveryMs;
      }
    }
    if (now - lastAuditPoll >= AUDIT_POLL_MS) {
      await rest.pollSwitches();
      lastAuditPoll = now;
    }
    await new Promise((r) => setTimeout(r, Math.min(TICK_MS, Math.max(0, measureTo - Date.now()))));
  }
  await burners.stop();
  if (o.scenario === 'c') await setJitter(true);
  await faultScript?.stop();
  loadAvg.max = Math.max(loadAvg.max, os.loadavg()[0]!);
  say('measured window over: reading the hub and the desk');
  await new Promise((r) => setTimeout(r, SETTLE_MS));

  await rest.pollSwitches();
  const { episodes, incidents, truncated } = await rest.episodes();
  const deskTickets = ((await (await fetch(`${deskUrl}/api/v2/tickets.json`)).json()) as { tickets: DeskTicket[] }).tickets;
  const tickets: TicketRow[] = deskTickets.map((t) => ({ id: t.id, createdAt: t.createdAt, subject: t.subject, ...(t.externalId !== undefined && { incidentId: t.externalId }), ...(t.priority !== undefined && { priority: t.priority }) }));
  const measured = await rest.samples(plan.streams, measureFrom, measureTo);
  const regions = regionStats(measured.samples);
  const faults = faultScript?.faults() ?? [];
  const score = scoreSoak({ from: measureFrom, to: measureTo, episodes, faults, switches: rest.switches(), tickets, toleranceMs: o.toleranceMs });
  const failures = goalFailures(o.scenario, score);
  const ws = events.counts(measureFrom, measureTo);
  const warmupEpisodes = episodes.filter((e) => e.startAt < measureFrom);
  const scored = episodes.filter((e) => e.startAt >= measureFrom && e.startAt <= measureTo).length;

  const head = [
    `soak-trust scenario ${scenarioText()}`,
    `commit ${commit}; measured ${o.minutes} min, ${new Date(measureFrom).toISOString()} – ${new Date(measureTo).toISOString()}; tolerance ${o.toleranceMs / 1000} s`,
    `load average (1 min) ${loadAvg.start.toFixed(2)} at start, max ${loadAvg.max.toFixed(2)}; ${os.cpus().length} cores`,
    ...(burners.windows.length > 0 ? [`burn windows: ${burners.windows.map((w) => `${new Date(w.from).toISOString().slice(11, 19)}–${new Date(w.to).toISOString().slice(11, 19)} (${w.usedCores} cores used)`).join(', ')}`] : []),
    ...regions.map((r) => {
      const impaired = Object.entries(r.impaired).map(([k, v]) => `${k} ${(v * 100).toFixed(1)} %`).join(', ');
      return `probe ${r.region}${r.region === jitterRegion && o.scenario === 'c' ? ' (jittered)' : ''}: ${r.samples} samples, connected ${(r.connected * 100).toFixed(1)} %, max gap p95 ${r.maxGapP95Ms ?? '-'} ms, stall p95 ${r.stallP95Ms ?? '-'} ms, impaired ${impaired || 'none'}`;
    }),
    `read: ${incidents} incidents (${scored} episodes in the window, ${warmupEpisodes.length} during warm-up, not scored)${truncated ? ', LIST TRUNCATED at 1000' : ''}${measured.truncated ? ', samples TRUNCATED at 50,000 per stream' : ''}; /ws saw ${ws.opens} opens and ${ws.switches} switches (REST/audit: ${scored} and ${score.switches})${events.dropped ? `; /ws dropped ${events.dropped} events` : ''}`,
  ];
  if (o.json) {
    process.stdout.write(
      `${JSON.stringify({
        scenario: o.scenario,
        scenarioText: scenarioText(),
        commit,
        options: o,
        measuredFrom: measureFrom,
        measuredTo: measureTo,
        loadAvg,
        burnWindows: burners.windows,
        regions,
        samplesTruncated: measured.truncated,
        goal: GOALS[o.scenario],
        goalMet: failures.length === 0,
        goalFailures: failures,
        falseIncidents: score.falseIncidents,
        falseIncidentList: score.falseEpisodes,
        trueIncidents: score.trueEpisodes,
        falseSwitches: score.falseSwitches.length,
        falseSwitchList: score.falseSwitches,
        switches: score.switches,
        falseTickets: score.falseTickets.length,
        falseTicketList: score.falseTickets,
        tickets: score.tickets,
        faults: score.faults,
        missedFaults: score.missed.length,
        maskedFaults: score.masked.length,
        detection: score.detection,
        read: { incidents, episodesScored: scored, warmupEpisodes: warmupEpisodes.length, truncated, wsOpens: ws.opens, wsSwitches: ws.switches, wsDropped: events.dropped },
      })}\n`,
    );
  } else {
    process.stdout.write(formatSoakTable(head, score, failures, GOALS[o.scenario]));
  }
  exitCode = failures.length === 0 ? 0 : 1;
} catch (err) {
  // Once a signal started the cleanup, the run fails as its processes go: that is not news.
  if (!cleaning) process.stderr.write(`soak-trust: the run failed: ${(err as Error).message}\n`);
  exitCode = 3;
} finally {
  await cleanup();
}
process.exit(exitCode);
