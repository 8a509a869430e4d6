/**
 * Probes in several regions as real processes: the hub (`streamguard run`) and three remote probe workers
 * (`streamguard probe --hub ws://…/probes --region R`), one per region, against the lab's real
 * streams (started here). Each probe connects to the hub through its own TCP fault proxy (the
 * lab's FaultProxy class), so one probe's hub connection can be cut alone.
 *
 *   probe cn-east ─┐ (clock 4 s fast)     rtmp  ─┐
 *   probe cn-south ┼─ FaultProxy ─ hub     rtmp  ─┼─ lab proxies ─ node-media-server ─ ffmpeg
 *   probe sg ──────┘                       http-flv ┘
 *
 * The tests run in order and share the processes (starting them is most of the cost).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Incident } from '../../src/model/incident.ts';
import { startLab, type Lab, type PlayProtocol, type TruthRecord } from '../../src/lab/index.ts';
import { FaultProxy } from '../../src/lab/fault-proxy.ts';
import type { Sample } from '../../src/model/sample.ts';
import type { TimelineEntry } from '../../src/model/incident.ts';
import { CLI } from '../helpers/cli.ts';
import { until } from '../helpers/until.ts';

const REGIONS: { region: string; protocol: PlayProtocol }[] = [
  { region: 'cn-east', protocol: 'rtmp' },
  { region: 'cn-south', protocol: 'rtmp' },
  { region: 'sg', protocol: 'http-flv' },
];
const STREAMS = ['s1', 's2'] as const;
const LINES = ['primary', 'backup'] as const;
const SKEW_MS = 4000; // cn-east's clock runs 4 s fast: the uplink must put its samples back on the hub's clock
const TOKENS: Record<string, string> = { 'cn-east': 'tok-east-8f2a91c0d4', 'cn-south': 'tok-south-77b1e0aa93', sg: 'tok-sg-19c3f5e2b70d' };

interface Proc {
  name: string;
  child: ChildProcess;
  out: string;
  err: string;
  exited: Promise<number | null>;
}

let lab: Lab;
let hub: Proc;
let hubUrl: string;
const probes = new Map<string, Proc>();
const hubProxies = new Map<string, FaultProxy>();
const dir = mkdtempSync(join(tmpdir(), 'sg-regions-'));
const measured: Record<string, number | string> = {};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function start(name: string, args: string[], env: Record<string, string>): Proc {
  // Own process group: a kill -9 of the worker leaves its ffprobe children, reaped by group in afterAll.
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, STREAMGUARD_LOG_LEVEL: 'info', ...env } });
  const p: Proc = { name, child, out: '', err: '', exited: new Promise((resolve) => child.on('close', (code) => resolve(code))) };
  child.stdout!.on('data', (d: Buffer) => (p.out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (p.err += d.toString()));
  return p;
}

function killGroup(p: Proc, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-p.child.pid!, signal);
  } catch {
    // gone
  }
}

async function get<T>(path: string): Promise<T> {
  const res = await fetch(`${hubUrl}${path}`);
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const incidents = async () => (await get<{ incidents: Incident[] }>('/api/v1/incidents?status=all')).incidents;
const timeline = async (id: string) => (await get<{ timeline: TimelineEntry[] }>(`/api/v1/incidents/${encodeURIComponent(id)}`)).timeline;
const samples = async (stream: string, q: Record<string, string | number>) =>
  (await get<{ samples: Sample[] }>(`/api/v1/streams/${stream}/samples?${new URLSearchParams(Object.entries(q).map(([k, v]) => [k, String(v)]))}`)).samples;

function truth(rec: TruthRecord): TruthRecord {
  return lab.truth().find((r) => r.id === rec.id) ?? rec;
}

function startProbe(region: string, extra: Record<string, string> = {}): Proc {
  const p = start(`probe-${region}`, ['probe', '--hub', `ws://127.0.0.1:${hubProxies.get(region)!.port}/probes`, '--region', region], { STREAMGUARD_PROBE_TOKEN: TOKENS[region]!, ...extra });
  probes.set(region, p);
  return p;
}

beforeAll(async () => {
  lab = await startLab({ streams: STREAMS.map((id) => ({ id, protocols: ['rtmp'] })) });
  const config = join(dir, 'hub.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      hub: { listen: '127.0.0.1:0', dataDir: join(dir, 'data') },
      probe: { embedded: false, windowMs: 1000 },
      regions: REGIONS.map((r) => r.region),
      uplink: { heartbeatMs: 1000, probes: REGIONS.map(({ region }) => ({ id: `probe-${region}`, region, tokenEnv: `TOKEN_${region.replace('-', '_').toUpperCase()}` })) },
      streams: STREAMS.map((id) => ({
        id,
        lines: Object.fromEntries(
          LINES.map((line) => [line, { url: lab.url(id, line, 'rtmp'), regionUrls: Object.fromEntries(REGIONS.map(({ region, protocol }) => [region, lab.url(id, line, protocol)])) }]),
        ),
      })),
    }),
  );
  hub = start('hub', ['run', '--config', config], Object.fromEntries(REGIONS.map(({ region }) => [`TOKEN_${region.replace('-', '_').toUpperCase()}`, TOKENS[region]!])));
  hubUrl = await until('the hub to listen', () => /listening on (http:\/\/\S+)/.exec(hub.out)?.[1], 30_000, 100);
  const hubPort = Number(new URL(hubUrl).port);
  for (const { region } of REGIONS) {
    const proxy = new FaultProxy(hubPort);
    await proxy.start();
    hubProxies.set(region, proxy);
    startProbe(region, region === 'cn-east' ? { STREAMGUARD_PROBE_CLOCK_SKEW_MS: String(SKEW_MS) } : {});
  }
  const started = Date.now();
  await until(
    'every region to report every line connected',
    async () => {
      for (const stream of STREAMS) {
        const got = await samples(stream, { from: started - 10_000 });
        for (const { region } of REGIONS) for (const line of LINES) if (!got.some((s) => s.region === region && s.line === line && s.connected)) return false;
      }
      return true;
    },
    40_000,
    1000,
  );
  measured['3 probe processes × 4 lines up after (ms)'] = Date.now() - started;
}, 120_000);

afterAll(async () => {
  for (const p of probes.values()) killGroup(p, 'SIGTERM');
  await Promise.race([Promise.all([...probes.values()].map((p) => p.exited)), sleep(5000)]);
  for (const p of probes.values()) killGroup(p);
  if (hub) {
    killGroup(hub, 'SIGTERM');
    await Promise.race([hub.exited, sleep(5000)]);
    killGroup(hub);
  }
  for (const proxy of hubProxies.values()) await proxy.close();
  await lab?.stop();
  rmSync(dir, { recursive: true, force: true });
  console.log(`uplink regions measurements:\n${Object.entries(measured).map(([k, v]) => `  ${k}: ${v}`).join('\n')}`);
}, 60_000);

describe('remote probes in three regions (real processes)', () => {
  it('a wrong token is refused with a clear reason, logged by both sides; the probe exits 3', async () => {
    const bad = start('probe-bad', ['probe', '--hub', `${hubUrl.replace('http', 'ws')}/probes`, '--region', 'sg'], { STREAMGUARD_PROBE_TOKEN: 'not-the-token' });
    expect(await bad.exited).toBe(3);
    expect(bad.err).toMatch(/the hub refused this probe \(close 4401\): unauthorized: unknown or missing probe token/);
    expect(hub.err).toMatch(/probe refused: unknown or missing token \(closing 4401\)/);
    expect(hub.err).not.toContain('not-the-token');
  });

  it('cut cn-east from the hub for 20 s while s1/primary dies: the gap arrives exactly once after reconnect, with the region evidence at the right times', async () => {
    const cutAt = Date.now();
    await hubProxies.get('cn-east')!.setMode({ mode: 'blackhole' });
    await sleep(5000);
    const kill = truth(await lab.applyFault({ stream: 's1', line: 'primary', kind: 'kill' }));
    await sleep(Math.max(0, cutAt + 20_000 - Date.now()));
    const healedAt = Date.now();
    await hubProxies.get('cn-east')!.setMode({ mode: 'pass' });

    // While it was cut the hub called the probe blind (P2), not the streams down.
    const all = await incidents();
    const blind = all.find((i) => i.key === 'probe/probe-cn-east/blind');
    expect(blind).toMatchObject({ severity: 'P2', scope: 'probe' });
    expect(blind!.openedAt - cutAt).toBeLessThan(6000);

    // After reconnect: cn-east's evidence joins s1/primary/down with its own onset, on the hub clock.
    const inc = await until(
      'cn-east evidence on s1/primary/down',
      async () => (await incidents()).find((i) => i.key === 's1/primary/down' && i.regions['cn-east'] !== undefined && i.openedAt >= cutAt),
      40_000,
      500,
    );
    measured['cut: reconnect + replay → cn-east on the incident, after healing (ms)'] = Date.now() - healedAt;
    expect(inc.severity).toBe('P1');
    expect(Object.keys(inc.regions).sort()).toEqual(['cn-east', 'cn-south', 'sg']);
    const east = inc.regions['cn-east']!;
    const south = inc.regions['cn-south']!;
    // Onset per region = t of its first bad sample (window end, hub clock after offset correction):
    // cn-east's is as close to the kill as the live regions', though it reached the hub ≥ 15 s later.
    measured['cut: cn-east onset − kill (ms)'] = east.firstSeen - kill.startedAt;
    measured['cut: cn-south onset − kill (ms)'] = south.firstSeen - kill.startedAt;
    measured['cut: cn-east evidence reached the hub after the kill (ms)'] = east.firstSeenAt - kill.startedAt;
    expect(east.firstSeen - kill.startedAt).toBeGreaterThanOrEqual(-200);
    expect(east.firstSeen - kill.startedAt).toBeLessThan(2500);
    expect(Math.abs(east.firstSeen - south.firstSeen)).toBeLessThan(2000);
    expect(east.firstSeenAt).toBeGreaterThan(healedAt);
    const tl = await timeline(inc.id);
    const seen = tl.filter((e) => e.type === 'region-seen').map((e) => e.data as { region: string; firstSeen: number });
    expect(seen.map((e) => e.region).sort()).toEqual(['cn-east', 'cn-south', 'sg']);
    expect(seen.find((e) => e.region === 'cn-east')!.firstSeen).toBe(east.firstSeen);
    expect(tl.some((e) => e.type === 'onset-samples' && (e.data as { region: string }).region === 'cn-east')).toBe(true);

    // Every window of the gap, exactly once: per line, consecutive sample times 0 < Δ ≤ 1.5 windows
    // through the whole cut, seqs unique, and the sample count matches the elapsed time. The replay
    // is waited for as a condition (on a loaded machine it takes a while), not a fixed sleep.
    const from = cutAt - 3000;
    const to = healedAt + 3000;
    const views = async () => {
      const out: { view: string; mine: Sample[] }[] = [];
      for (const stream of STREAMS) {
        const got = await samples(stream, { region: 'cn-east', from, to });
        for (const line of LINES) out.push({ view: `${stream}/${line}`, mine: got.filter((s) => s.line === line).sort((a, b) => a.t - b.t) });
      }
      return out;
    };
    const largestGap = (mine: Sample[]) => Math.max(...mine.slice(1).map((s, i) => s.t - mine[i]!.t));
    const complete = (mine: Sample[]) => mine.length > 1 && largestGap(mine) <= 1500 && mine[0]!.t - from < 2500 && to - mine.at(-1)!.t < 2500;
    let last: { view: string; mine: Sample[] }[] = [];
    await until('cn-east samples to cover the cut on every line', async () => (last = await views()).every((v) => complete(v.mine)), 30_000, 500).catch((err: unknown) => {
      // What the next reader needs to tell a slow replay from a lost one.
      const timeline = last.map((v) => `${v.view}: ${v.mine.map((s) => `${s.t - from}${s.connected ? '' : 'd'}`).join(' ')}`).join('\n');
      const logs = (p: Proc) => p.err.split('\n').filter((l) => /refused|reconnect|lost|backlog|connected|silent|error/i.test(l)).slice(-30).join('\n');
      throw new Error(`${(err as Error).message}\ncut at +3000, healed at +${healedAt - from} (ms from \`from\`):\n${timeline}\nprobe-cn-east:\n${logs(probes.get('cn-east')!)}\nhub:\n${logs(hub)}`);
    });
    for (const { view, mine } of last) {
      if (process.env.UPLINK_DEBUG) console.log(view, from, mine.map((s) => `${s.t - from}:${s.windowMs}:${s.connected ? 'up' : 'down'}`).join(' '));
      expect(new Set(mine.map((s) => s.seq)).size).toBe(mine.length);
      expect(Math.min(...mine.slice(1).map((s, i) => s.t - mine[i]!.t))).toBeGreaterThan(0);
      expect(largestGap(mine), `${view}: largest gap between cn-east samples`).toBeLessThanOrEqual(1500);
      // At least one window per second (a change to down is flushed at once as a short window,
      // so a flapping line has more).
      expect(mine.length).toBeGreaterThanOrEqual(Math.floor((to - from) / 1000) - 3);
    }
    const h = await get<{ uplink: { stats: Record<string, number> } }>('/healthz');
    measured['cut: duplicates the hub dropped'] = h.uplink.stats.samplesDuplicate!;
    // The probe was blind and is heard again: its incident is resolved.
    await until('the blind probe incident to resolve', async () => (await incidents()).find((i) => i.id === blind!.id)?.status === 'resolved', 10_000, 250);

    await lab.applyFault({ stream: 's1', line: 'primary', kind: 'start' });
  }, 120_000);

  it("one region's path throttled (sg over http-flv): its stall shows in its samples and the incident is regional, not global", async () => {
    const t0 = Date.now();
    await lab.applyFault({ stream: 's2', line: 'backup', kind: 'proxy', protocol: 'http-flv', mode: 'throttle', bytesPerSecond: 8_000 });
    // Cleared however the test ends: a throttle left behind would fail the tests after it.
    onTestFinished(async () => void (await lab.applyFault({ stream: 's2', line: 'backup', kind: 'proxy', protocol: 'http-flv', mode: 'clear' })));
    const inc = await until('a regional incident on s2/backup', async () => (await incidents()).find((i) => i.key.startsWith('s2/backup/') && i.openedAt >= t0 && i.status !== 'resolved'), 25_000, 500);
    measured['throttle sg path → incident opened (ms)'] = inc.openedAt - t0;
    measured['throttle sg path → incident'] = `${inc.key} ${inc.severity} ${inc.scope}`;
    await sleep(3000);
    if (process.env.UPLINK_DEBUG) console.log(JSON.stringify((await incidents()).filter((i) => i.openedAt >= t0).map((i) => [i.key, i.severity, i.scope, i.status, Object.keys(i.regions), i.openedAt - t0, (i.resolvedAt ?? 0) - t0])));
    // Degraded (stall) may open first and be superseded by down (no media): every incident of the
    // line is regional with sg's evidence only, and one is open at P1 (down) or P2 (degraded).
    const mine = (await incidents()).filter((i) => i.key.startsWith('s2/backup/') && i.openedAt >= t0);
    for (const i of mine) {
      expect(i.scope).toBe('regional');
      expect(Object.keys(i.regions)).toEqual(['sg']);
    }
    expect(mine.some((i) => i.status !== 'resolved' && (i.severity === 'P1' || i.severity === 'P2'))).toBe(true);
    const got = await samples('s2', { line: 'backup', from: t0, to: Date.now() });
    const sg = got.filter((s) => s.region === 'sg');
    const others = got.filter((s) => s.region !== 'sg');
    const stall = (xs: Sample[]) => xs.reduce((n, s) => n + s.stallMs, 0) / Math.max(1, xs.reduce((n, s) => n + s.windowMs, 0));
    measured['throttle: sg stall ratio'] = stall(sg).toFixed(2);
    measured['throttle: other regions stall ratio'] = stall(others).toFixed(2);
    expect(stall(sg)).toBeGreaterThan(0.3);
    expect(stall(others)).toBeLessThan(0.05);
    // The throttled stream's: a real publisher hiccup on another stream, seen by every region, is rightly a line incident.
    expect((await incidents()).filter((i) => i.stream === 's2' && i.openedAt >= t0 && i.status !== 'resolved' && i.scope !== 'regional')).toEqual([]);
  }, 60_000);

  it('kill -9 a probe: probe-down (P2) within 3 heartbeats, and its streams are not called down', async () => {
    const p = probes.get('cn-south')!;
    await sleep(1500);
    const before = await incidents();
    const killedAt = Date.now();
    process.kill(p.child.pid!, 'SIGKILL');
    const blind = await until('probe/probe-cn-south/blind', async () => (await incidents()).find((i) => i.key === 'probe/probe-cn-south/blind' && i.openedAt >= killedAt - 1000), 10_000, 100);
    measured['kill -9 probe → probe-down incident (ms)'] = blind.openedAt - killedAt;
    expect(blind).toMatchObject({ severity: 'P2', scope: 'probe', status: 'open' });
    // Silent for 3 heartbeats of time and more than 3 of the hub's beat ticks (src/uplink/server.ts):
    // up to 4 ticks after the last message, plus up to 1 s until the tick that sees it, then the
    // next 1 s detector tick (+ 0.5 s slack). Measured 5,288 and 5,797 ms against a 4.5 s bound.
    expect(blind.openedAt - killedAt).toBeLessThanOrEqual(4 * 1000 + 1000 + 1000 + 500);
    killGroup(p);
    await sleep(4000);
    const after = await incidents();
    const streamIncidents = after.filter((i) => i.stream !== undefined && i.status !== 'resolved' && !before.some((b) => b.id === i.id && b.status !== 'resolved'));
    expect(streamIncidents).toEqual([]);
    for (const i of after.filter((x) => x.stream !== undefined && x.status !== 'resolved')) expect(i.regions['cn-south']?.firstSeenAt ?? 0).toBeLessThan(killedAt);
  }, 30_000);
});
