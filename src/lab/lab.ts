import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { log } from '../common/log.ts';
import { liveChildPids } from '../common/children.ts';
import { FaultProxy } from './fault-proxy.ts';
import {
  LINES,
  PROXIED_PROTOCOLS,
  PUBLISH_PROTOCOLS,
  type Fault,
  type LineName,
  type PlayProtocol,
  type ProxiedProtocol,
  type ProxyFault,
  type PublishProtocol,
} from './fault-schema.ts';
import { HlsLedger } from './hls-ledger.ts';
import { restampProgramDateTime } from './hls-playlist.ts';
import { HlsServer, PLAYLIST_NAME } from './hls-server.ts';
import { CONTENT_LEAD_MS, Line, type ContentState } from './line.ts';
import { startMediaServers, type MediaServers } from './media-servers.ts';
import { freePort, LOOPBACK } from './ports.ts';
import { DEFAULT_ENCODING, TONE, type Encoding, type PublisherOutput, type Scene } from './publisher-args.ts';
import { TruthLog, type NewTruth, type TruthRecord } from './truth-log.ts';

export interface LabStreamOptions {
  id: string;
  /** Default: all of rtmp (which also serves HTTP-FLV), hls and rtsp. */
  protocols?: PublishProtocol[];
  /**
   * What each line's picture shows; default `test`. `dark`: a dark but live picture, on which
   * no black detector may fire (a line of its own, so one stream can hold both).
   */
  scenes?: Partial<Record<LineName, Scene>>;
}

export interface StartLabOptions {
  streams: LabStreamOptions[];
  /** Fixed ports; anything not given is a free loopback port picked at start. */
  ports?: { rtmp?: number; httpFlv?: number; hls?: number; rtspPublish?: number; rtspPlay?: number; proxyBase?: number };
}

export interface LabLineInfo {
  running: boolean;
  pid?: number;
  fps: number;
  encoding: Encoding;
  content: ContentState;
  /** Through the line's fault proxy, except RTSP (UDP media cannot be proxied: direct). */
  urls: Partial<Record<PlayProtocol, string>>;
  proxies: Partial<Record<ProxiedProtocol, string>>;
}

export interface LabDescription {
  streams: { id: string; protocols: PublishProtocol[]; lines: Record<LineName, LabLineInfo> }[];
  activeFaults: TruthRecord[];
  truth: TruthRecord[];
}

export interface Lab {
  url(stream: string, line: LineName, protocol: PlayProtocol): string;
  /** Applies a fault and resolves with its ground-truth record once it took effect. */
  applyFault(fault: Fault): Promise<TruthRecord>;
  /** Ends every fault and brings every line back to a healthy, publishing state. */
  clearFaults(): Promise<void>;
  truth(): TruthRecord[];
  /** now − publisher wall time of the end of the newest segment in the playlist served now. */
  hlsLatencyTruthMs(stream: string, line: LineName): number | undefined;
  describe(): LabDescription;
  stop(): Promise<void>;
}

/** Thrown for a fault naming something the lab does not have; the control server maps it to 404. */
export class LabLookupError extends Error {}

const STARTUP_TIMEOUT_MS = 20_000;
const HLS_LIST_SIZE = 6;
/** Segments kept on disk after leaving the playlist, so a delayed playlist stays playable. */
const HLS_DELETE_THRESHOLD = 30;
const RTP_PORT_COUNT = 200;
const STREAM_ID = /^[A-Za-z0-9_]+$/;

interface LabLine {
  line: Line;
  protocols: PublishProtocol[];
  proxies: Partial<Record<ProxiedProtocol, FaultProxy>>;
  ledger: HlsLedger;
}

/** The `lowres` fault's size. */
const LOW_RES = { width: 320, height: 180 };
/** The `lowbitrate` fault's video rate when the fault names none. */
const DEFAULT_LOW_KBPS = 150;

type FaultBase = { kind: Fault['kind']; stream: string; line: LineName };
type ContentFaultKind = 'black' | 'silence' | 'loud';
const CONTENT_FAULT_STATE: Record<ContentFaultKind, keyof ContentState> = { black: 'black', silence: 'muted', loud: 'loud' };
const CLEAN_CONTENT: ContentState = { black: false, muted: false, loud: false };

const proxyUpstream: Record<ProxiedProtocol, 'rtmp' | 'httpFlv' | 'hls'> = { rtmp: 'rtmp', 'http-flv': 'httpFlv', hls: 'hls' };

class LabImpl implements Lab {
  private readonly log = log.child({ component: 'lab' });
  private readonly truthLog = new TruthLog();
  /** The active record and auto-end timer per fault slot (line + fault family). */
  private readonly activeBySlot = new Map<string, TruthRecord>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly lines: Map<string, LabLine>,
    private readonly hls: HlsServer,
    private readonly servers: MediaServers,
    private readonly workDir: string,
    private readonly rtspPlayPort: number | undefined,
  ) {}

  url(stream: string, lineName: LineName, protocol: PlayProtocol): string {
    const { line, protocols, proxies } = this.lookup(stream, lineName);
    const key = line.key;
    if (protocol === 'rtsp') {
      if (!protocols.includes('rtsp') || this.rtspPlayPort === undefined) throw new LabLookupError(`${key} is not published over rtsp`);
      return `rtsp://${LOOPBACK}:${this.rtspPlayPort}/${key}`;
    }
    const port = proxies[protocol]?.port;
    if (port === undefined) throw new LabLookupError(`${key} is not published over ${protocol}`);
    switch (protocol) {
      case 'rtmp':
        return `rtmp://${LOOPBACK}:${port}/live/${key}`;
      case 'http-flv':
        return `http://${LOOPBACK}:${port}/live/${key}.flv`;
      case 'hls':
        return `http://${LOOPBACK}:${port}/hls/${key}/${PLAYLIST_NAME}`;
    }
  }

  truth(): TruthRecord[] {
    return this.truthLog.all();
  }

  hlsLatencyTruthMs(stream: string, lineName: LineName): number | undefined {
    const { line, ledger } = this.lookup(stream, lineName);
    const now = Date.now();
    const served = this.hls.served(line.key, now);
    const endWall = served && ledger.newestEndWallMs(served.playlist);
    return endWall === undefined ? undefined : Math.round(now - endWall);
  }

  describe(): LabDescription {
    const streams = new Map<string, LabDescription['streams'][number]>();
    for (const { line, protocols, proxies } of this.lines.values()) {
      const entry = streams.get(line.stream) ?? { id: line.stream, protocols, lines: {} as Record<LineName, LabLineInfo> };
      const playable: PlayProtocol[] = [...PROXIED_PROTOCOLS.filter((p) => proxies[p]), ...(protocols.includes('rtsp') ? ['rtsp' as const] : [])];
      entry.lines[line.name] = {
        running: line.running,
        ...(line.pid === undefined ? {} : { pid: line.pid }),
        fps: line.currentFps,
        encoding: line.currentEncoding,
        content: line.currentContent,
        urls: Object.fromEntries(playable.map((p) => [p, this.url(line.stream, line.name, p)])),
        proxies: Object.fromEntries(PROXIED_PROTOCOLS.flatMap((p) => (proxies[p] ? [[p, proxies[p].current.mode]] : []))),
      };
      streams.set(line.stream, entry);
    }
    return { streams: [...streams.values()], activeFaults: this.truthLog.active(), truth: this.truthLog.all() };
  }

  async applyFault(fault: Fault): Promise<TruthRecord> {
    const target = this.lookup(fault.stream, fault.line);
    const { line } = target;
    const base = { kind: fault.kind, stream: fault.stream, line: fault.line };
    switch (fault.kind) {
      case 'kill': {
        const at = await line.kill();
        this.endSlots(line.key, ['pause', 'freeze'], at);
        return this.open(`${line.key}:kill`, { ...base, params: {}, startedAt: at, note: 'SIGKILL' });
      }
      case 'start': {
        const at = await line.start();
        this.endSlots(line.key, ['kill'], at);
        return this.instant({ ...base, params: {}, startedAt: at });
      }
      case 'pause': {
        const at = line.pause();
        const record = this.open(`${line.key}:pause`, { ...base, params: { ms: fault.ms }, startedAt: at, note: 'SIGSTOP, then SIGCONT' });
        this.schedule(`${line.key}:pause`, fault.ms, () => this.close(`${line.key}:pause`, line.resume()));
        return record;
      }
      case 'freeze': {
        const at = await line.freeze(true);
        const record = this.open(`${line.key}:freeze`, { ...base, params: { ms: fault.ms }, startedAt: at });
        this.schedule(`${line.key}:freeze`, fault.ms, async () => {
          this.close(`${line.key}:freeze`, await line.freeze(false).catch(() => Date.now()));
        });
        return record;
      }
      case 'avShift': {
        const at = await line.setAvShift(fault.ms);
        return this.openOrEnd(`${line.key}:avShift`, fault.ms === 0, { ...base, params: { ms: fault.ms }, startedAt: at });
      }
      case 'fps':
        return this.applyEncodingFault(line, base, { fps: fault.fps }, fault.durationMs, 'publisher restarted with the new frame rate (a short gap in every protocol)');
      case 'lowres':
        return this.applyEncodingFault(line, base, LOW_RES, fault.durationMs, `publisher restarted at ${LOW_RES.width}x${LOW_RES.height} (a short gap in every protocol)`);
      case 'lowbitrate': {
        const videoKbps = fault.kbps ?? DEFAULT_LOW_KBPS;
        return this.applyEncodingFault(line, base, { videoKbps }, fault.durationMs, `publisher restarted with video capped at ${videoKbps} kbit/s (a short gap in every protocol)`);
      }
      case 'black':
      case 'silence':
      case 'loud':
        return this.applyContentFault(line, { ...base, kind: fault.kind }, fault.durationMs);
      case 'hlsDelay': {
        this.hls.setDelay(line.key, fault.ms);
        const at = Date.now();
        const slot = `${line.key}:hlsDelay`;
        const record = this.openOrEnd(slot, fault.ms === 0, {
          ...base,
          params: { ms: fault.ms, ...(fault.durationMs ? { durationMs: fault.durationMs } : {}) },
          startedAt: at,
        });
        if (fault.durationMs && fault.ms > 0) {
          this.schedule(slot, fault.durationMs, () => {
            this.hls.setDelay(line.key, 0);
            this.close(slot, Date.now());
          });
        }
        return record;
      }
      case 'proxy':
        return this.applyProxyFault(target, fault);
    }
  }

  async clearFaults(): Promise<void> {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    // Best effort per line: one line that cannot be restored must not keep the others faulty.
    await Promise.all([...this.lines.values()].map((entry) => this.restore(entry).catch((error: unknown) => {
      this.log.warn({ line: entry.line.key, err: error }, 'could not restore line');
    })));
    this.truthLog.endWhere(() => true, Date.now());
    this.activeBySlot.clear();
  }

  private async restore({ line, proxies, protocols }: LabLine): Promise<void> {
    line.resume();
    if (protocols.includes('hls')) this.hls.setDelay(line.key, 0);
    for (const proxy of Object.values(proxies)) await proxy.setMode({ mode: 'pass' });
    if (JSON.stringify(line.currentEncoding) !== JSON.stringify(DEFAULT_ENCODING)) await line.setEncoding(DEFAULT_ENCODING);
    if (!line.running) await line.start();
    else if (this.activeBySlot.has(`${line.key}:freeze`)) await line.freeze(false);
    if (line.avShift !== 0) await line.setAvShift(0);
    if (Object.values(line.currentContent).some(Boolean)) await line.setContent(CLEAN_CONTENT);
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    const proxies = [...this.lines.values()].flatMap((l) => Object.values(l.proxies));
    await Promise.all([
      ...[...this.lines.values()].map((l) => l.line.stop()),
      ...proxies.map((p) => p.close()),
      this.hls.stop(),
      this.servers.stop(),
    ]);
    this.truthLog.endWhere(() => true, Date.now());
    await rm(this.workDir, { recursive: true, force: true });
    this.log.info({ stillAlive: liveChildPids() }, 'lab stopped');
  }

  /**
   * A fault realised by restarting the publisher with another encoding. Asking for the default
   * value ends the fault; with durationMs the default comes back by itself.
   */
  private async applyEncodingFault(line: Line, base: FaultBase, change: Partial<Encoding>, durationMs: number | undefined, note: string): Promise<TruthRecord> {
    const slot = `${line.key}:${base.kind}`;
    const defaults = Object.fromEntries(Object.keys(change).map((key) => [key, DEFAULT_ENCODING[key as keyof Encoding]])) as Partial<Encoding>;
    const at = await line.setEncoding(change);
    // The new publisher shows the live picture: a freeze or pause of the old one is over.
    if (line.running) this.endSlots(line.key, ['pause', 'freeze'], at);
    const restores = JSON.stringify(change) === JSON.stringify(defaults);
    const record = this.openOrEnd(slot, restores, { ...base, params: { ...change, ...(durationMs ? { durationMs } : {}) }, startedAt: at, note });
    if (durationMs && !restores) this.schedule(slot, durationMs, async () => this.close(slot, await line.setEncoding(defaults)));
    return record;
  }

  /**
   * black, silence, loud: a runtime command to the running publisher (the stream goes on, so a
   * probe measures the content, not a reconnect). Active until durationMs or a clear.
   */
  private async applyContentFault(line: Line, base: FaultBase & { kind: ContentFaultKind }, durationMs: number | undefined): Promise<TruthRecord> {
    const slot = `${line.key}:${base.kind}`;
    const state = CONTENT_FAULT_STATE[base.kind];
    const at = await line.setContent({ [state]: true });
    const params = { ...(base.kind === 'loud' && { gainDb: TONE.loudGainDb }), ...(durationMs ? { durationMs } : {}) };
    const record = this.open(slot, { ...base, params, startedAt: at });
    // The end is scheduled in stream time too, durationMs after the start: the fault lasts exactly that.
    const endAt = at + (durationMs ?? 0);
    if (durationMs) this.schedule(slot, endAt - CONTENT_LEAD_MS - Date.now(), async () => this.close(slot, await line.setContent({ [state]: false }, endAt)));
    return record;
  }

  private async applyProxyFault(target: LabLine, fault: ProxyFault): Promise<TruthRecord> {
    const proxy = target.proxies[fault.protocol];
    if (!proxy) throw new LabLookupError(`${target.line.key} is not published over ${fault.protocol}`);
    const slot = `${target.line.key}:proxy:${fault.protocol}`;
    const { kind, stream, line, protocol, mode, ...params } = fault;
    const base = { kind, stream, line, protocol, params: { mode, ...params } };
    if (mode === 'clear') {
      await proxy.setMode({ mode: 'pass' });
      const at = Date.now();
      this.close(slot, at);
      return this.instant({ ...base, startedAt: at });
    }
    await proxy.setMode(
      mode === 'delay' ? { mode, ms: fault.ms, ...(fault.jitterMs ? { jitterMs: fault.jitterMs } : {}) } : mode === 'throttle' ? { mode, bytesPerSecond: fault.bytesPerSecond } : { mode },
    );
    const record = this.open(slot, { ...base, startedAt: Date.now() });
    const endAfter = fault.mode === 'stall' ? fault.ms : fault.durationMs;
    if (endAfter !== undefined) {
      this.schedule(slot, endAfter, async () => {
        await proxy.setMode({ mode: 'pass' });
        this.close(slot, Date.now());
      });
    }
    return record;
  }

  private lookup(stream: string, lineName: LineName): LabLine {
    const entry = this.lines.get(`${stream}-${lineName}`);
    if (!entry) throw new LabLookupError(`unknown stream ${stream}`);
    return entry;
  }

  /** Starts a record in a slot, ending (and un-timing) whatever the slot held before. */
  private open(slot: string, record: NewTruth): TruthRecord {
    this.close(slot, record.startedAt);
    const entry = this.truthLog.begin(record);
    this.activeBySlot.set(slot, entry);
    return { ...entry };
  }

  private openOrEnd(slot: string, endsFault: boolean, record: NewTruth): TruthRecord {
    if (!endsFault) return this.open(slot, record);
    this.close(slot, record.startedAt);
    return this.instant(record);
  }

  /** A record for an action that restores rather than injects (start, clear, shift back to 0). */
  private instant(record: NewTruth): TruthRecord {
    const entry = this.truthLog.begin(record);
    this.truthLog.end(entry, record.startedAt);
    return { ...entry };
  }

  private close(slot: string, at: number): void {
    clearTimeout(this.timers.get(slot));
    this.timers.delete(slot);
    const record = this.activeBySlot.get(slot);
    if (record) this.truthLog.end(record, at);
    this.activeBySlot.delete(slot);
  }

  private endSlots(lineKey: string, families: string[], at: number): void {
    for (const family of families) this.close(`${lineKey}:${family}`, at);
  }

  private schedule(slot: string, ms: number, action: () => void | Promise<void>): void {
    clearTimeout(this.timers.get(slot));
    const timer = setTimeout(() => {
      this.timers.delete(slot);
      Promise.resolve()
        .then(action)
        .catch((error: unknown) => this.log.warn({ slot, err: error }, 'ending a timed fault failed'));
    }, ms);
    this.timers.set(slot, timer);
  }
}

function lineOutputs(
  key: string,
  protocols: readonly PublishProtocol[],
  ports: { rtmp: number; rtspPublish?: number },
  hlsDir: string,
): PublisherOutput[] {
  return protocols.map((protocol): PublisherOutput => {
    switch (protocol) {
      case 'rtmp':
        return { kind: 'flv', url: `rtmp://${LOOPBACK}:${ports.rtmp}/live/${key}` };
      case 'hls':
        return { kind: 'hls', playlistPath: path.join(hlsDir, PLAYLIST_NAME), listSize: HLS_LIST_SIZE, deleteThreshold: HLS_DELETE_THRESHOLD };
      case 'rtsp':
        return { kind: 'rtsp', url: `rtsp://${LOOPBACK}:${ports.rtspPublish}/${key}` };
    }
  });
}

/**
 * Starts the media servers, one publisher per (stream, line) and one fault proxy per
 * (stream, line, played protocol); resolves once every line is publishing.
 */
export async function startLab(options: StartLabOptions): Promise<Lab> {
  const began = Date.now();
  const ids = new Set<string>();
  for (const stream of options.streams) {
    if (!STREAM_ID.test(stream.id) || ids.has(stream.id)) throw new Error(`invalid or duplicate stream id: ${stream.id}`);
    ids.add(stream.id);
  }
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'streamguard-lab-'));
  const wantsRtsp = options.streams.some((s) => (s.protocols ?? PUBLISH_PROTOCOLS).includes('rtsp'));
  const given = options.ports ?? {};
  const ports = {
    rtmp: given.rtmp ?? (await freePort()),
    httpFlv: given.httpFlv ?? (await freePort()),
    rtspPublish: wantsRtsp ? (given.rtspPublish ?? (await freePort())) : undefined,
    rtspPlay: wantsRtsp ? (given.rtspPlay ?? (await freePort())) : undefined,
  };
  const servers = await startMediaServers({
    rtmpPort: ports.rtmp,
    httpFlvPort: ports.httpFlv,
    dataDir: path.join(workDir, 'nms'),
    ...(ports.rtspPublish !== undefined && ports.rtspPlay !== undefined
      ? {
          rtsp: {
            publishPort: ports.rtspPublish,
            playPort: ports.rtspPlay,
            // The RTSP server binds fixed UDP ports from this pool; a random even base keeps
            // parallel labs apart (it also skips ports found busy).
            rtpPortStart: 20_000 + 2 * Math.floor(Math.random() * 15_000),
            rtpPortCount: RTP_PORT_COUNT,
          },
        }
      : {}),
  });
  const hls = new HlsServer();
  const hlsPort = await hls.start(given.hls ?? 0);
  const upstream = { rtmp: ports.rtmp, httpFlv: ports.httpFlv, hls: hlsPort };

  const lines = new Map<string, LabLine>();
  // With proxyBase, proxies take consecutive ports in stream, line, protocol order, so a fixed
  // config (config/demo.yaml) can name the lab's URLs.
  let nextProxyPort = given.proxyBase;
  for (const stream of options.streams) {
    const protocols = [...new Set(stream.protocols ?? PUBLISH_PROTOCOLS)];
    for (const name of LINES) {
      const key = `${stream.id}-${name}`;
      const hlsDir = path.join(workDir, 'hls', key);
      await mkdir(hlsDir, { recursive: true });
      const line = new Line(stream.id, name, lineOutputs(key, protocols, ports, hlsDir), stream.scenes?.[name]);
      const proxies: LabLine['proxies'] = {};
      for (const protocol of PROXIED_PROTOCOLS) {
        const published = protocol === 'hls' ? protocols.includes('hls') : protocols.includes('rtmp');
        if (!published) continue;
        const proxy = new FaultProxy(upstream[proxyUpstream[protocol]]);
        await proxy.start(nextProxyPort === undefined ? 0 : nextProxyPort++);
        proxies[protocol] = proxy;
      }
      const entry: LabLine = { line, protocols, proxies, ledger: new HlsLedger() };
      if (protocols.includes('hls')) {
        hls.addChannel(
          key,
          hlsDir,
          (snapshot) => {
            if (line.clock) entry.ledger.observe(snapshot.playlist, line.clock);
          },
          (snapshot) => {
            const durations = new Map(snapshot.playlist.segments.map((seg) => [seg.sequence, seg.durationMs]));
            return restampProgramDateTime(snapshot.text, (seq) => entry.ledger.startWallMs(seq, durations.get(seq) ?? 0));
          },
        );
      }
      lines.set(key, entry);
    }
  }
  const lab = new LabImpl(lines, hls, servers, workDir, ports.rtspPlay);
  try {
    await Promise.all([...lines.values()].map(async ({ line }) => line.start()));
    const hlsPublished = [...lines.values()].filter((l) => l.protocols.includes('hls')).map((l) => l.line.key);
    await withTimeout(
      Promise.all([
        ...[...lines.values()].map(({ line }) => line.ready()),
        // The first segment is written about a second after media starts; wait so that
        // an HLS URL handed out is playable at once.
        until(() => hlsPublished.every((key) => hls.served(key) !== undefined)),
      ]),
      STARTUP_TIMEOUT_MS,
    );
  } catch (error) {
    await lab.stop();
    throw error;
  }
  log.info({ component: 'lab', ms: Date.now() - began, streams: [...ids], ports: { ...ports, hls: hlsPort } }, 'lab up');
  return lab;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 50));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`lab did not start within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
