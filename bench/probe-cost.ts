/**
 * Probe cost: CPU per probed stream and streams per core, packet mode and the decoding modes:
 * `decode` (freeze and A/V sync markers), `content full` (those plus the content checks, every
 * frame) and `content light` (the content checks alone, from keyframes and the sound).
 *
 *   npx tsx bench/probe-cost.ts [--flv 20] [--rtmp 20] [--hls 20] [--decode-n 4] [--full-n 4] [--light-n 4]
 *                               [--decode-protocol http-flv|rtmp|hls] [--warmup 8] [--duration 30] [--via-proxy]
 *
 * One lab stream (rtmp + hls; its primary and backup lines are its only two ffmpeg publishers)
 * and N probes per mode all pointed at the same URLs: node-media-server fans one publisher out
 * to every player, so the probes' cost is measured without paying for N publishers.
 *
 * Every mode runs side by side in ONE run, each in its own Node process (a "runner") so that
 * the Node share is attributable per mode; the lab runs in another process so its HLS server,
 * fault proxies and bookkeeping are never charged to a probe. Over the same steady interval
 * (after a warm-up) the parent reads:
 * - per runner, the ffprobe/ffmpeg children's CPU from /proc: utime+stime of the children alive
 *   at the end, minus what the children alive at the start had already used, plus the growth of
 *   the runner's cutime+cstime (children that exited and were reaped inside the interval);
 * - per runner, Node's own CPU from `process.cpuUsage()` deltas reported by the runner, minus
 *   an idle runner with no probes (what any Node process costs doing nothing);
 * - the lab's processes (lab Node, node-media-server, publishers), reported apart.
 * Per mode it prints child CPU % per stream, Node CPU % per stream, total, streams per core
 * (= 100 / total %), and how many samples in the interval said `connected: true`, so a figure
 * is never taken from broken probes. Percent = percent of one core.
 *
 * Probes connect straight to the media servers (as a probe in production connects to the
 * origin); `--via-proxy` uses `lab.url()`, i.e. through the lab's fault proxies, instead.
 * Exits 1 if a probe did not stay connected or a child process is left over.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { DecodeSetting } from '../probes/index.ts';
import type { Sample } from '../src/model/sample.ts';

const SELF = fileURLToPath(import.meta.url);
const DECODING_WORDS: Record<Exclude<Decoding, 'packets'>, string> = {
  decode: 'packets + freeze/sync, every frame',
  full: 'packets + freeze/sync + content, every frame',
  light: 'packets + content, keyframes and sound',
};
const LAB_STREAM = 'bench';

type ModeName = 'http-flv packets' | 'rtmp packets' | 'hls packets' | 'decode' | 'content full' | 'content light' | 'idle';
type UrlProtocol = 'rtmp' | 'http-flv' | 'hls';
/** What a mode's probes run besides the packet reader. */
type Decoding = 'packets' | 'decode' | 'full' | 'light';
const DECODINGS: readonly Decoding[] = ['packets', 'decode', 'full', 'light'];

interface ModeSpec {
  name: ModeName;
  protocol: UrlProtocol;
  n: number;
  decoding: Decoding;
}

/** The probe's decode setting for a mode (see probes/decode/decoder.ts). */
function decodeOf(decoding: Decoding): DecodeSetting {
  return decoding === 'packets' ? false : decoding === 'decode' ? true : { content: decoding };
}

/** Runner → parent. */
type RunnerMsg =
  | { type: 'ready' }
  | { type: 'mark'; cpuUs: number; samples: number; connected: number; fpsSum: number; brokenProbes: number }
  | { type: 'stopped'; leftover: number[] };

/** Lab → parent. */
type LabMsg = { type: 'ready'; urls: Record<UrlProtocol, string> } | { type: 'mark'; cpuUs: number } | { type: 'stopped'; leftover: number[] };

type ParentMsg = { type: 'mark' } | { type: 'stop' };

// ---------------------------------------------------------------------------------------------
// /proc accounting

const CLK_TCK = 100; // `getconf CLK_TCK`; checked at start

interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime, clock ticks */
  self: number;
  /** cutime + cstime of reaped children, clock ticks */
  reaped: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone
  }
  // comm may contain spaces and parentheses: the fields start after the last ')'.
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const f = text.slice(close + 2).split(' ');
  // f[0] = state (field 3), so field k is f[k - 3]
  const num = (field: number): number => Number(f[field - 3]);
  return { pid, ppid: num(4), comm, self: num(14) + num(15), reaped: num(16) + num(17) };
}

/** Every process on the machine (they are few in a container). */
function snapshot(): Map<number, ProcStat> {
  const out = new Map<number, ProcStat>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) out.set(s.pid, s);
  }
  return out;
}

function childrenOf(snap: Map<number, ProcStat>, ppid: number): ProcStat[] {
  return [...snap.values()].filter((s) => s.ppid === ppid);
}

/**
 * CPU ticks the children of `ppid` used between two snapshots, including children that
 * started or exited (and were reaped) in between.
 */
function childTicks(before: Map<number, ProcStat>, after: Map<number, ProcStat>, ppid: number): number {
  const reaped = (after.get(ppid)?.reaped ?? 0) - (before.get(ppid)?.reaped ?? 0);
  const aliveAfter = childrenOf(after, ppid).reduce((sum, s) => sum + s.self, 0);
  const aliveBefore = childrenOf(before, ppid).reduce((sum, s) => sum + s.self, 0);
  return reaped + aliveAfter - aliveBefore;
}

function selfTicks(before: Map<number, ProcStat>, after: Map<number, ProcStat>, pid: number): number {
  return (after.get(pid)?.self ?? 0) - (before.get(pid)?.self ?? 0);
}

// ---------------------------------------------------------------------------------------------
// IPC helpers

function send(msg: RunnerMsg | LabMsg): void {
  process.send?.(msg);
}

function nextMessage<T extends { type: string }>(child: ChildProcess, type: T['type'], timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`no '${type}' from pid ${child.pid} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (m: unknown): void => {
      if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type) {
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(m as T);
      }
    };
    child.on('message', onMessage);
  });
}

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

// ---------------------------------------------------------------------------------------------
// Lab process

async function runLab(viaProxy: boolean): Promise<void> {
  const { startLab } = await import('../src/lab/index.ts');
  const { freePort } = await import('../src/lab/ports.ts');
  const ports = { rtmp: await freePort(), httpFlv: await freePort(), hls: await freePort() };
  const lab = await startLab({ streams: [{ id: LAB_STREAM, protocols: ['rtmp', 'hls'] }], ports });
  const upstream: Record<UrlProtocol, number> = { rtmp: ports.rtmp, 'http-flv': ports.httpFlv, hls: ports.hls };
  const url = (p: UrlProtocol): string => {
    const viaLab = lab.url(LAB_STREAM, 'primary', p);
    if (viaProxy) return viaLab;
    // Same path, the media server's own port instead of the line's fault proxy.
    return viaLab.replace(/^(\w+:\/\/[^/:]+):\d+\//, `$1:${upstream[p]}/`);
  };
  const { liveChildPids: livePids } = await import('../src/common/children.ts');
  process.on('message', (m: ParentMsg) => {
    if (m.type === 'mark') send({ type: 'mark', cpuUs: cpuUs() });
    if (m.type === 'stop') {
      void lab.stop().then(() => {
        process.send?.({ type: 'stopped', leftover: livePids() } satisfies LabMsg, () => process.exit(0));
      });
    }
  });
  send({ type: 'ready', urls: { rtmp: url('rtmp'), 'http-flv': url('http-flv'), hls: url('hls') } });
}

// ---------------------------------------------------------------------------------------------
// Runner process: N probes of one mode

async function runProbes(mode: ModeName, n: number, url: string, decode: DecodeSetting): Promise<void> {
  const { probeUrl } = await import('../probes/index.ts');
  const { liveChildPids } = await import('../src/common/children.ts');
  let measuring = false;
  let samples = 0;
  let connected = 0;
  let fpsSum = 0;
  const broken = new Set<string>();
  const onSample = (s: Sample): void => {
    if (!measuring) return;
    samples++;
    if (s.connected) {
      connected++;
      fpsSum += s.fps;
    } else {
      broken.add(s.stream);
    }
  };
  const handles = Array.from({ length: n }, (_, i) =>
    probeUrl(url, { probe: 'bench', region: 'local', stream: `${mode.replace(/\W+/g, '-')}-${i}`, line: 'primary', decode, onSample }),
  );
  let marks = 0;
  process.on('message', (m: ParentMsg) => {
    if (m.type === 'mark') {
      const cpu = cpuUs();
      if (marks++ === 0) measuring = true;
      else measuring = false;
      send({ type: 'mark', cpuUs: cpu, samples, connected, fpsSum, brokenProbes: broken.size });
    }
    if (m.type === 'stop') {
      void Promise.all(handles.map((h) => h.stop())).then(() => {
        process.send?.({ type: 'stopped', leftover: liveChildPids() } satisfies RunnerMsg, () => process.exit(0));
      });
    }
  });
  send({ type: 'ready' });
}

// ---------------------------------------------------------------------------------------------
// Parent: orchestration and report

function spawnSelf(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', SELF, ...args], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, STREAMGUARD_LOG_LEVEL: process.env.STREAMGUARD_LOG_LEVEL ?? 'warn' },
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pct = (ticks: number, seconds: number): number => (100 * ticks) / CLK_TCK / seconds;
const f1 = (x: number): string => x.toFixed(x < 1 ? 2 : 1);

/** Like `pgrep -f`: processes (not us) whose command line contains any of the patterns. */
function pgrepCmdline(patterns: string[]): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue;
    }
    if (/ffprobe|ffmpeg/.test(cmd) && patterns.some((p) => cmd.includes(p))) out.push(Number(name));
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      role: { type: 'string' },
      mode: { type: 'string' },
      n: { type: 'string' },
      url: { type: 'string' },
      decoding: { type: 'string', default: 'packets' },
      flv: { type: 'string', default: '20' },
      rtmp: { type: 'string', default: '20' },
      hls: { type: 'string', default: '20' },
      'decode-n': { type: 'string', default: '4' },
      'full-n': { type: 'string', default: '4' },
      'light-n': { type: 'string', default: '4' },
      'decode-protocol': { type: 'string', default: 'http-flv' },
      warmup: { type: 'string', default: '8' },
      duration: { type: 'string', default: '30' },
      'via-proxy': { type: 'boolean', default: false },
    },
    strict: true,
  });

  if (values.role === 'lab') return runLab(values['via-proxy']);
  if (values.role === 'runner') {
    const decoding = DECODINGS.find((d) => d === values.decoding);
    if (!decoding) throw new Error(`--decoding must be one of ${DECODINGS.join(', ')}`);
    return runProbes(values.mode as ModeName, Number(values.n), values.url ?? '', decodeOf(decoding));
  }

  const int = (name: string, v: string | undefined, min: number): number => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${v}`);
    return x;
  };
  const decodeProtocol = values['decode-protocol'] as UrlProtocol;
  if (!['rtmp', 'http-flv', 'hls'].includes(decodeProtocol)) throw new Error(`--decode-protocol must be rtmp, http-flv or hls`);
  const modes: ModeSpec[] = [
    { name: 'http-flv packets', protocol: 'http-flv', n: int('flv', values.flv, 0), decoding: 'packets' },
    { name: 'rtmp packets', protocol: 'rtmp', n: int('rtmp', values.rtmp, 0), decoding: 'packets' },
    { name: 'hls packets', protocol: 'hls', n: int('hls', values.hls, 0), decoding: 'packets' },
    { name: 'decode', protocol: decodeProtocol, n: int('decode-n', values['decode-n'], 0), decoding: 'decode' },
    { name: 'content full', protocol: decodeProtocol, n: int('full-n', values['full-n'], 0), decoding: 'full' },
    { name: 'content light', protocol: decodeProtocol, n: int('light-n', values['light-n'], 0), decoding: 'light' },
  ].filter((m): m is ModeSpec => m.n > 0);
  const warmupS = int('warmup', values.warmup, 0);
  const durationS = int('duration', values.duration, 5);

  const began = Date.now();
  const cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  console.log(`# probe cost: ${os.availableParallelism()} cores (${cpuModel}), Node ${process.version}`);
  console.log(`# modes: ${modes.map((m) => `${m.name} ×${m.n}${m.decoding !== 'packets' ? ` (${m.protocol})` : ''}`).join(', ')}; warm-up ${warmupS} s, interval ${durationS} s`);

  const lab = spawnSelf(['--role', 'lab', ...(values['via-proxy'] ? ['--via-proxy'] : [])]);
  const runners: { spec: ModeSpec; proc: ChildProcess }[] = [];
  const idleSpec: ModeSpec = { name: 'idle', protocol: 'http-flv', n: 0, decoding: 'packets' };
  let exitCode = 0;
  let labUrls: Record<UrlProtocol, string> | undefined;
  try {
    const labReady = await nextMessage<Extract<LabMsg, { type: 'ready' }>>(lab, 'ready', 60_000);
    labUrls = labReady.urls;
    console.log(`# lab up in ${((Date.now() - began) / 1000).toFixed(1)} s: ${Object.values(labReady.urls).join('  ')}`);

    for (const spec of [...modes, idleSpec]) {
      const url = labReady.urls[spec.protocol];
      const proc = spawnSelf(['--role', 'runner', '--mode', spec.name, '--n', String(spec.n), '--url', url, '--decoding', spec.decoding]);
      runners.push({ spec, proc });
    }
    await Promise.all(runners.map((r) => nextMessage(r.proc, 'ready', 30_000)));
    await sleep(warmupS * 1000);

    const mark = async (): Promise<{ snap: Map<number, ProcStat>; t: number; lab: number; runners: Extract<RunnerMsg, { type: 'mark' }>[] }> => {
      const labP = nextMessage<Extract<LabMsg, { type: 'mark' }>>(lab, 'mark', 5000);
      const runP = runners.map((r) => nextMessage<Extract<RunnerMsg, { type: 'mark' }>>(r.proc, 'mark', 5000));
      const snap = snapshot();
      const t = performance.now();
      lab.send({ type: 'mark' } satisfies ParentMsg);
      for (const r of runners) r.proc.send({ type: 'mark' } satisfies ParentMsg);
      return { snap, t, lab: (await labP).cpuUs, runners: await Promise.all(runP) };
    };
    const m0 = await mark();
    await sleep(durationS * 1000);
    const m1 = await mark();
    const seconds = (m1.t - m0.t) / 1000;

    // idle runner: what a Node process with the probe code loaded and no probes costs
    const idleIdx = runners.findIndex((r) => r.spec.name === 'idle');
    const idleNodePct = (100 * ((m1.runners[idleIdx]?.cpuUs ?? 0) - (m0.runners[idleIdx]?.cpuUs ?? 0))) / 1e6 / seconds;

    const rows: string[] = [];
    let failed = false;
    rows.push('| mode | N | child CPU %/stream | Node CPU %/stream | total %/stream | streams per core | connected samples | mean fps |');
    rows.push('|---|---:|---:|---:|---:|---:|---:|---:|');
    runners.forEach((r, i) => {
      if (r.spec.name === 'idle' || r.proc.pid === undefined) return;
      const a = m0.runners[i];
      const b = m1.runners[i];
      if (!a || !b) return;
      const n = r.spec.n;
      const child = pct(childTicks(m0.snap, m1.snap, r.proc.pid), seconds) / n;
      const node = Math.max(0, (100 * (b.cpuUs - a.cpuUs)) / 1e6 / seconds - idleNodePct) / n;
      const total = child + node;
      const samples = b.samples - a.samples;
      const connected = b.connected - a.connected;
      const expected = Math.floor(seconds) * n;
      const ok = samples >= expected * 0.95 && connected === samples && b.brokenProbes === 0;
      if (!ok) failed = true;
      const name = r.spec.decoding === 'packets' ? r.spec.name : `${r.spec.name} (${r.spec.protocol}, ${DECODING_WORDS[r.spec.decoding]})`;
      rows.push(
        `| ${name} | ${n} | ${f1(child)} | ${f1(node)} | ${f1(total)} | ${Math.floor(100 / total)} | ` +
          `${connected}/${samples}${ok ? '' : ' ⚠'} | ${(connected ? (b.fpsSum - a.fpsSum) / connected : 0).toFixed(1)} |`,
      );
    });

    // the lab, reported apart
    const labPid = lab.pid ?? -1;
    const labChildren = childrenOf(m1.snap, labPid);
    const nms = labChildren.find((c) => c.comm.startsWith('node'));
    const publishers = labChildren.filter((c) => c.comm.includes('ffmpeg'));
    const labRows = [
      `| lab Node (HLS server, ${values['via-proxy'] ? 'fault proxies in use' : 'fault proxies idle'}) | ${f1((100 * (m1.lab - m0.lab)) / 1e6 / seconds)} |`,
      `| node-media-server (RTMP/HTTP-FLV fan-out to ${modes.filter((m) => m.protocol !== 'hls').reduce((s, m) => s + m.n, 0)} players) | ${nms ? f1(pct(selfTicks(m0.snap, m1.snap, nms.pid) + childTicks(m0.snap, m1.snap, nms.pid), seconds)) : '?'} |`,
      `| ${publishers.length} ffmpeg publishers (primary + backup line) | ${f1(pct(publishers.reduce((s, p) => s + selfTicks(m0.snap, m1.snap, p.pid), 0), seconds))} |`,
      `| idle Node runner (subtracted from every mode's Node share) | ${f1(idleNodePct)} |`,
    ];

    console.log(`\nInterval ${seconds.toFixed(1)} s; CPU in % of one core; streams per core = 100 / total.\n`);
    console.log(rows.join('\n'));
    console.log('\nLab and baseline, not charged to the probes (% of one core, whole process):\n');
    console.log('| process | CPU % |\n|---|---:|');
    console.log(labRows.join('\n'));
    if (failed) {
      console.log('\n⚠ a mode lost samples or connection inside the interval: its figure is not trustworthy');
      exitCode = 1;
    }
  } finally {
    const stops = runners.map(async (r) => {
      if (!r.proc.connected) return [];
      const stopped = nextMessage<Extract<RunnerMsg, { type: 'stopped' }>>(r.proc, 'stopped', 15_000);
      r.proc.send({ type: 'stop' } satisfies ParentMsg);
      return (await stopped).leftover;
    });
    const leftoverProbes = (await Promise.allSettled(stops)).flatMap((s) => (s.status === 'fulfilled' ? s.value : []));
    let leftoverLab: number[] = [];
    if (lab.connected) {
      const stopped = nextMessage<Extract<LabMsg, { type: 'stopped' }>>(lab, 'stopped', 30_000);
      lab.send({ type: 'stop' } satisfies ParentMsg);
      leftoverLab = await stopped.then((m) => m.leftover).catch(() => [-1]);
    }
    await Promise.all([lab, ...runners.map((r) => r.proc)].map((p) => (p.exitCode !== null || p.signalCode !== null ? undefined : new Promise((r) => p.once('exit', r)))));
    // Ours are recognisable by the lab's ports in their command line (other work may run
    // ffprobe on this machine at the same time).
    const ours = labUrls ? pgrepCmdline(Object.values(labUrls).map((u) => /:\d+\//.exec(u)?.[0] ?? u)) : [];
    const stray = pgrepCmdline(['ffprobe', 'ffmpeg']);
    console.log(
      `\n# stopped in ${((Date.now() - began) / 1000).toFixed(1)} s total; probe children left: ${leftoverProbes.length}, ` +
        `lab children left: ${leftoverLab.length}, ours still running: ${ours.length}` +
        ` (ffprobe/ffmpeg on the machine, anyone's: ${stray.length})`,
    );
    if (leftoverProbes.length || leftoverLab.length || ours.length) exitCode = 1;
    process.exitCode = exitCode;
  }
}

const tck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
if (tck !== CLK_TCK) throw new Error(`getconf CLK_TCK is ${tck}, this script assumes ${CLK_TCK}`);
await main();
