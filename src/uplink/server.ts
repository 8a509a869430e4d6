import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Config } from '../config/schema.ts';
import type { IngestCallOptions, IngestResult } from '../ingest/ingest.ts';
import type { Logger } from '../common/log.ts';
import type { Commit } from '../common/reload.ts';
import type { SampleHistory } from '../store/ports.ts';
import { AckRounds } from './ack-rounds.ts';
import { assignmentFor, bearer, sameAssignment, TokenTable, type ProbeIdentity } from './assignments.ts';
import { assignedLines, gateSample, type AssignedLines, type SampleRefusal } from './sample-gate.ts';
import {
  clockSample,
  CLOSE,
  Defaults,
  PROTOCOL_VERSION,
  ProbeMessageSchema,
  type Assignment,
  type ErrorMessage,
  type HubMessage,
  type ProbeMessage,
} from '../model/probe-protocol.ts';

/**
 * The hub end of the probe uplink (docs/probe-protocol.md), on the API's HTTP(S) server at
 * `/probes` (the hub's upgrade dispatcher hands it the upgrades of UPLINK_PATH):
 *
 *   upgrade ─▶ token → probe identity (else close 4401) ─▶ hello (region must match, else 4403)
 *           ─▶ welcome + assign ─▶ samples ─▶ dedup on seq ─▶ gate (sample-gate.ts) ─▶ hub.ingest
 *           ─▶ group commit: one hub.flush() per event-loop turn (or per 250 samples: src/uplink/ack-rounds.ts), awaited ─▶ cumulative ack per probe
 *
 * Never throws on probe input: malformed, forbidden or oversized messages are refused with a
 * reason (an `error` message, or close 1009 for oversized frames) and counted; a connection that
 * keeps sending garbage is closed (1008) after Defaults.maxBadMessages.
 */

/** What the uplink needs of the hub. */
export interface UplinkHub {
  clock(): number;
  /** Queues one sample from a probe (the uplink has checked it: `trusted`). */
  ingest(sample: unknown, opts?: IngestCallOptions): IngestResult;
  /** A probe's keep-alive. */
  heartbeat(probe: string, region: string, intervalMs?: number): void;
  /** Writes every queued sample; resolves once they are durable, rejects when the store fails: then nothing is acked. */
  flush(): Promise<number>;
}

export interface UplinkServerOptions {
  hub: UplinkHub;
  /** Where a reconnecting probe's last stored seq is read (dedup of resends across hub restarts). */
  history: Pick<SampleHistory, 'lastSeq'>;
  config: Config;
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
}

export interface UplinkStats {
  connects: number;
  unauthorized: number;
  forbidden: number;
  malformed: number;
  oversized: number;
  messages: number;
  samplesAccepted: number;
  samplesDuplicate: number;
  samplesRejected: number;
  acks: number;
  flushFailures: number;
  heartbeatTimeouts: number;
}

export interface UplinkProbeStatus {
  probe: string;
  region: string;
  connected: boolean;
  remote?: string;
  connectedAt?: number;
  lastHeardAgoMs?: number;
  /** Probe clock − hub clock, from the hub's pings (min-RTT of the recent ones). */
  clockOffsetMs?: number;
  rttMs?: number;
  lastSeq: number | null;
  assignment?: number;
  /** Samples refused since the hub started, by reason (see sample-gate.ts). */
  samplesRefused?: Partial<Record<SampleRefusal, number>>;
}

interface Conn {
  ws: WebSocket;
  who: ProbeIdentity;
  remote: string;
  connectedAt: number;
  lastHeard: number;
  /** Heartbeat tick of the last message: silence is counted in ticks too, so a hub that was starved of CPU does not drop probes whose messages wait unread. */
  lastHeardBeat: number;
  helloed: boolean;
  bad: number;
  helloTimer: NodeJS.Timeout | undefined;
  /** Messages that arrived while the hello was answered (it reads the store), handled after it in order. */
  held: { data: RawData; isBinary: boolean }[] | undefined;
  assignment: Assignment | undefined;
  /** The assignment's streams → lines: what this probe's samples may name. */
  assigned: AssignedLines;
  /** Recent clock samples from hub pings. */
  clock: { offsetMs: number; rttMs: number }[];
  pingId: number;
}

interface PendingAck {
  seq: number;
  rejected: { seq: number; error: string }[];
}

const PROBE_TYPES = new Set(['hello', 'samples', 'ping', 'pong']);
const CLOCK_SAMPLES = 16;

export class UplinkServer {
  readonly stats: UplinkStats = {
    connects: 0,
    unauthorized: 0,
    forbidden: 0,
    malformed: 0,
    oversized: 0,
    messages: 0,
    samplesAccepted: 0,
    samplesDuplicate: 0,
    samplesRejected: 0,
    acks: 0,
    flushFailures: 0,
    heartbeatTimeouts: 0,
  };
  private readonly hub: UplinkHub;
  private readonly history: Pick<SampleHistory, 'lastSeq'>;
  private readonly log: Logger | undefined;
  private readonly env: NodeJS.ProcessEnv;
  private readonly wss: WebSocketServer;
  private config: Config;
  private tokens: TokenTable;
  /** Live connection per probe id (a newer one replaces an older one). */
  private readonly conns = new Map<string, Conn>();
  /** Highest seq handled per probe since the hub started (dedup; may not be written yet). */
  private readonly lastSeq = new Map<string, number>();
  /** Highest seq per probe known durable (told to a reconnecting probe in `welcome`). */
  private readonly durableSeq = new Map<string, number>();
  /** Samples refused per probe id (from the token, not the sample), by reason. */
  private readonly refused = new Map<string, Map<SampleRefusal, number>>();
  /** Acks waiting for the next durable write, per probe id. */
  private readonly pendingAcks = new Map<string, PendingAck>();
  /** Samples handled since the last commit. */
  private unflushed = 0;
  /** The flush-and-ack rounds: one at a time, so a probe's acks go out in seq order. */
  private readonly acks = new AckRounds(() => this.ackDurable());
  private beat: NodeJS.Timeout;
  private version = 0;
  private beats = 0;
  private closed = false;

  constructor(opts: UplinkServerOptions) {
    this.hub = opts.hub;
    this.history = opts.history;
    this.log = opts.logger;
    this.env = opts.env ?? process.env;
    this.config = opts.config;
    this.tokens = new TokenTable(opts.config, this.env);
    this.logMissing(this.tokens);
    this.wss = new WebSocketServer({ noServer: true, maxPayload: opts.config.uplink.maxMessageBytes, perMessageDeflate: false });
    this.beat = this.startBeat();
  }

  private startBeat(): NodeJS.Timeout {
    const beat = setInterval(() => this.heartbeat(), this.heartbeatMs);
    beat.unref?.();
    return beat;
  }

  private get heartbeatMs(): number {
    return this.config.uplink.heartbeatMs;
  }

  /**
   * A config reload: reads the probe tokens without touching what runs. The commit applies tokens
   * (revoked ones are disconnected; one whose variable is not set is logged, as at start: that
   * probe cannot connect) and assignments (pushed when changed); a new heartbeat period and
   * message size limit apply to the connections made from then on.
   */
  prepareReload(config: Config): Commit {
    const tokens = new TokenTable(config, this.env);
    return () => this.apply(config, tokens);
  }

  private apply(config: Config, tokens: TokenTable): void {
    const beatChanged = config.uplink.heartbeatMs !== this.heartbeatMs;
    this.config = config;
    this.tokens = tokens;
    this.logMissing(tokens);
    this.wss.options.maxPayload = config.uplink.maxMessageBytes;
    if (beatChanged && !this.closed) {
      clearInterval(this.beat);
      this.beat = this.startBeat();
    }
    let reassigned = 0;
    for (const conn of [...this.conns.values()]) {
      const who = this.tokens.identity(conn.who.id);
      if (!who || who.region !== conn.who.region) {
        this.log?.warn({ probe: conn.who.id }, 'probe token revoked by config reload; disconnecting it');
        conn.ws.close(CLOSE.unauthorized, 'unauthorized: probe token revoked by a config reload');
        continue;
      }
      if (this.assign(conn)) reassigned++;
    }
    this.log?.debug({ probes: this.tokens.size, reassigned }, `uplink config reloaded: ${reassigned} probe(s) reassigned`);
  }

  status(): { probes: UplinkProbeStatus[]; stats: UplinkStats; missingTokens: { id: string; tokenEnv: string }[] } {
    const now = this.hub.clock();
    const probes: UplinkProbeStatus[] = this.config.uplink.probes.map((p) => {
      const conn = this.conns.get(p.id);
      const s: UplinkProbeStatus = { probe: p.id, region: p.region, connected: !!conn?.helloed, lastSeq: this.durableSeq.get(p.id) ?? null };
      if (conn?.helloed) {
        s.remote = conn.remote;
        s.connectedAt = conn.connectedAt;
        s.lastHeardAgoMs = Math.max(0, now - conn.lastHeard);
        const best = bestClock(conn.clock);
        if (best) {
          s.clockOffsetMs = Math.round(best.offsetMs);
          s.rttMs = Math.round(best.rttMs * 10) / 10;
        }
        if (conn.assignment) s.assignment = conn.assignment.version;
      }
      const refused = this.refused.get(p.id);
      if (refused) s.samplesRefused = Object.fromEntries(refused);
      return s;
    });
    return { probes, stats: { ...this.stats }, missingTokens: [...this.tokens.missing] };
  }

  /** Acks what is durable (after the write in flight) and closes every probe connection (1001). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.beat);
    this.acks.stop();
    await this.acks.settled;
    await this.ackDurable();
    for (const conn of this.conns.values()) conn.ws.close(CLOSE.goingAway, 'hub shutting down');
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }

  private logMissing(t: TokenTable): void {
    for (const m of t.missing) this.log?.error({ probe: m.id, tokenEnv: m.tokenEnv }, `uplink: environment variable ${m.tokenEnv} is not set: probe "${m.id}" cannot connect`);
  }

  /** An upgrade of UPLINK_PATH: the probe's token is checked once the socket is open (close 4401), as the protocol says. */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req));
  };

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    ws.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        this.stats.oversized++;
        this.log?.warn({ remote, limit: this.config.uplink.maxMessageBytes }, 'probe message over the size limit: connection closed (1009)');
      } else {
        this.log?.warn({ remote, err: err.message, code: err.code }, 'probe connection error');
      }
    });
    const who = this.tokens.lookup(bearer(req.headers.authorization));
    if (!who) {
      this.stats.unauthorized++;
      this.log?.warn({ remote }, 'probe refused: unknown or missing token (closing 4401)');
      ws.close(CLOSE.unauthorized, 'unauthorized: unknown or missing probe token');
      return;
    }
    const now = this.hub.clock();
    const conn: Conn = { ws, who, remote, connectedAt: now, lastHeard: now, lastHeardBeat: this.beats, helloed: false, bad: 0, helloTimer: undefined, held: undefined, assignment: undefined, assigned: new Map(), clock: [], pingId: 0 };
    conn.helloTimer = setTimeout(() => {
      this.log?.warn({ probe: who.id, remote }, 'probe sent no hello in time (closing 4408)');
      ws.close(CLOSE.helloTimeout, `no hello within ${Defaults.helloTimeoutMs} ms`);
    }, Defaults.helloTimeoutMs);
    ws.on('message', (data, isBinary) => {
      if (conn.held) conn.held.push({ data, isBinary });
      else this.handle(conn, data, isBinary);
    });
    ws.on('close', (code, reason) => {
      clearTimeout(conn.helloTimer);
      if (this.conns.get(who.id) === conn) {
        this.conns.delete(who.id);
        this.log?.info({ probe: who.id, region: who.region, remote, code, reason: reason.toString() }, 'probe disconnected');
      }
    });
  }

  private handle(conn: Conn, data: RawData, isBinary: boolean): void {
    try {
      this.onMessage(conn, data, isBinary);
    } catch (err) {
      // Never let one probe's input take the hub down.
      this.log?.error({ err, probe: conn.who.id }, 'uplink message handling failed');
      this.refuse(conn, 'protocol', 'the hub could not handle this message');
    }
  }

  private onMessage(conn: Conn, data: RawData, isBinary: boolean): void {
    this.stats.messages++;
    conn.lastHeard = this.hub.clock();
    conn.lastHeardBeat = this.beats;
    if (isBinary) return this.refuse(conn, 'malformed', 'binary frames are not part of the protocol (send JSON text)');
    let raw: unknown;
    try {
      raw = JSON.parse(rawText(data));
    } catch {
      return this.refuse(conn, 'malformed', 'not JSON');
    }
    const type = typeof raw === 'object' && raw !== null ? (raw as { type?: unknown }).type : undefined;
    if (typeof type !== 'string') return this.refuse(conn, 'malformed', 'a message is a JSON object with a string "type"');
    if (!PROBE_TYPES.has(type)) return this.refuse(conn, 'forbidden', `a probe can only report (hello, samples, ping, pong): "${type.slice(0, 40)}" refused`);
    const parsed = ProbeMessageSchema.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.map(String).join('.') || '(message)'}: ${i.message}`);
      return this.refuse(conn, 'malformed', `invalid ${type} message: ${issues.join('; ')}`);
    }
    const msg: ProbeMessage = parsed.data;
    if (msg.type === 'hello') return this.hello(conn, msg);
    if (!conn.helloed) return this.refuse(conn, 'protocol', `send hello first (got ${msg.type})`);
    switch (msg.type) {
      case 'samples':
        return this.onSamples(conn, msg.samples);
      case 'ping': {
        const t1 = this.hub.clock();
        this.send(conn, { type: 'pong', id: msg.id, t0: msg.t0, t1, t2: this.hub.clock() });
        this.hub.heartbeat(conn.who.id, conn.who.region, this.heartbeatMs);
        return;
      }
      case 'pong': {
        const c = clockSample(msg.t0, msg.t1, msg.t2, this.hub.clock());
        conn.clock.push(c);
        if (conn.clock.length > CLOCK_SAMPLES) conn.clock.shift();
        return;
      }
    }
  }

  /** Answers a hello; messages that arrive meanwhile wait for it. */
  private hello(conn: Conn, msg: Extract<ProbeMessage, { type: 'hello' }>): void {
    conn.held = [];
    void this.onHello(conn, msg)
      .catch((err: unknown) => {
        this.log?.error({ err, probe: conn.who.id }, 'uplink hello handling failed');
        this.refuse(conn, 'protocol', 'the hub could not handle this message');
      })
      .finally(() => {
        const held = conn.held ?? [];
        conn.held = undefined;
        for (const m of held) this.handle(conn, m.data, m.isBinary);
      });
  }

  private async onHello(conn: Conn, msg: Extract<ProbeMessage, { type: 'hello' }>): Promise<void> {
    const { who } = conn;
    if (conn.helloed) return this.refuse(conn, 'protocol', 'hello was already received on this connection');
    clearTimeout(conn.helloTimer);
    if (msg.v !== PROTOCOL_VERSION) {
      this.log?.warn({ probe: who.id, v: msg.v }, 'probe speaks another protocol version (closing 4426)');
      conn.ws.close(CLOSE.badVersion, `protocol version ${msg.v} not supported (hub speaks ${PROTOCOL_VERSION})`);
      return;
    }
    if (msg.region !== who.region) {
      this.stats.forbidden++;
      this.log?.warn({ probe: who.id, region: msg.region, tokenRegion: who.region, remote: conn.remote }, 'probe refused: token is for another region (closing 4403)');
      conn.ws.close(CLOSE.forbidden, `forbidden: the token of probe "${who.id}" is for region "${who.region}", not "${msg.region}"`);
      return;
    }
    if (!this.durableSeq.has(who.id)) {
      // First hello since the hub started: what this probe already delivered before a restart
      // is in the store, so resent samples are not fed to the detector a second time.
      const stored = await this.history.lastSeq(who.id);
      if (stored !== undefined && !this.durableSeq.has(who.id)) {
        this.durableSeq.set(who.id, stored);
        this.lastSeq.set(who.id, Math.max(stored, this.lastSeq.get(who.id) ?? -1));
      }
    }
    if (this.closed || conn.ws.readyState !== conn.ws.OPEN) return;
    const previous = this.conns.get(who.id);
    if (previous && previous !== conn) {
      this.log?.info({ probe: who.id, old: previous.remote, new: conn.remote }, 'probe reconnected; closing its older connection');
      previous.ws.close(CLOSE.replaced, 'replaced by a newer connection of the same probe');
    }
    this.conns.set(who.id, conn);
    conn.helloed = true;
    this.stats.connects++;
    const lastSeq = this.durableSeq.get(who.id) ?? null;
    this.send(conn, {
      type: 'welcome',
      v: PROTOCOL_VERSION,
      probe: who.id,
      region: who.region,
      heartbeatMs: this.heartbeatMs,
      lastSeq,
      hubTime: this.hub.clock(),
      maxBatch: Defaults.maxBatch,
      maxMessageBytes: this.config.uplink.maxMessageBytes,
    });
    this.assign(conn);
    this.hub.heartbeat(who.id, who.region, this.heartbeatMs);
    this.log?.info(
      { probe: who.id, region: who.region, remote: conn.remote, agent: msg.agent, lastSeq, oldestUnacked: msg.oldestUnacked, targets: conn.assignment?.targets.length },
      'probe connected',
    );
  }

  /** Sends the probe its assignment when it changed; true if sent. */
  private assign(conn: Conn): boolean {
    const next = assignmentFor(this.config, conn.who.region, 0);
    if (conn.assignment && sameAssignment(conn.assignment, next)) return false;
    next.version = ++this.version;
    conn.assignment = next;
    conn.assigned = assignedLines(next.targets);
    this.send(conn, { type: 'assign', ...next });
    return true;
  }

  private onSamples(conn: Conn, samples: unknown[]): void {
    const { id, region } = conn.who;
    let last = this.lastSeq.get(id) ?? -1;
    const rejected: { seq: number; error: string }[] = [];
    const now = this.hub.clock();
    // One context for the whole message: the clock offset and the assignment do not change inside it.
    const gateCtx = { probe: id, region, assigned: conn.assigned, now, offsetMs: bestClock(conn.clock)?.offsetMs ?? 0, maxAgeMs: this.config.store.retention.raw };
    let backlog: string | undefined;
    for (const s of samples) {
      const seq = typeof s === 'object' && s !== null ? (s as { seq?: unknown }).seq : undefined;
      if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
        this.countRefused(id, 'malformed');
        this.refuse(conn, 'malformed', 'a sample without a valid seq cannot be acked; dropped');
        continue;
      }
      if (seq <= last) {
        this.stats.samplesDuplicate++;
        continue;
      }
      const gate = gateSample(s, gateCtx);
      if (gate.reason !== undefined) {
        this.countRefused(id, gate.reason);
        rejected.push({ seq, error: gate.error });
        last = seq;
        continue;
      }
      const r = this.hub.ingest(gate.sample, { trusted: true });
      if (r.ok) {
        this.stats.samplesAccepted++;
        this.unflushed++;
        last = seq;
      } else if (r.error.startsWith('store backlog full') || r.error === 'hub is stopping') {
        backlog = r.error;
        break;
      } else {
        this.stats.samplesRejected++;
        rejected.push({ seq, error: r.error });
        last = seq;
      }
    }
    if (last >= 0) this.lastSeq.set(id, last);
    const pending = this.pendingAcks.get(id);
    if (pending) {
      pending.seq = last;
      pending.rejected.push(...rejected);
    } else if (last >= 0) {
      this.pendingAcks.set(id, { seq: last, rejected });
    }
    this.acks.request(this.unflushed);
    if (backlog) this.send(conn, { type: 'error', code: 'backlog', message: backlog, retryAfterMs: 1000 });
  }

  private countRefused(probe: string, reason: SampleRefusal): void {
    this.stats.samplesRejected++;
    let counts = this.refused.get(probe);
    if (!counts) this.refused.set(probe, (counts = new Map()));
    counts.set(reason, (counts.get(reason) ?? 0) + 1);
  }

  /** Refused samples by the refusing probe's region and reason (the metric's labels: both bounded by the config). */
  refusals(): { region: string; reason: SampleRefusal; count: number }[] {
    const byProbe = new Map(this.config.uplink.probes.map((p) => [p.id, p.region]));
    const sums = new Map<string, { region: string; reason: SampleRefusal; count: number }>();
    for (const [probe, counts] of this.refused) {
      const region = byProbe.get(probe);
      if (region === undefined) continue; // a probe removed by a reload
      for (const [reason, count] of counts) {
        const key = `${region}\u0000${reason}`;
        const sum = sums.get(key);
        if (sum) sum.count += count;
        else sums.set(key, { region, reason, count });
      }
    }
    return [...sums.values()];
  }

  /**
   * Acks the samples handled so far once the hub's flush resolved (they are durable then); when
   * it fails, nothing is acked and the acks wait for the retry, merged under newer ones.
   */
  private async ackDurable(): Promise<boolean> {
    if (this.pendingAcks.size === 0) return true;
    const acks = new Map(this.pendingAcks);
    this.pendingAcks.clear();
    this.unflushed = 0;
    try {
      await this.hub.flush();
    } catch (err) {
      for (const [id, p] of acks) {
        const newer = this.pendingAcks.get(id);
        this.pendingAcks.set(id, newer ? { seq: newer.seq, rejected: [...p.rejected, ...newer.rejected] } : p);
      }
      this.stats.flushFailures++;
      this.log?.error({ err, probes: acks.size }, 'writing probe samples failed: acks withheld, retrying in 1 s');
      return false;
    }
    for (const [id, p] of acks) {
      this.durableSeq.set(id, p.seq);
      const conn = this.conns.get(id);
      if (!conn) continue; // it learns the durable seq from the next welcome
      const ack: HubMessage = p.rejected.length > 0 ? { type: 'ack', seq: p.seq, rejected: p.rejected } : { type: 'ack', seq: p.seq };
      this.send(conn, ack);
      this.stats.acks++;
    }
    return true;
  }

  private heartbeat(): void {
    const now = this.hub.clock();
    const deadMs = Defaults.deadAfterBeats * this.heartbeatMs;
    this.beats++;
    for (const conn of this.conns.values()) {
      if (now - conn.lastHeard > deadMs && this.beats - conn.lastHeardBeat > Defaults.deadAfterBeats) {
        this.stats.heartbeatTimeouts++;
        this.log?.warn({ probe: conn.who.id, remote: conn.remote, silentMs: now - conn.lastHeard }, 'probe silent for 3 heartbeats: dropping its connection');
        conn.ws.terminate();
        continue;
      }
      this.send(conn, { type: 'ping', id: ++conn.pingId, t0: now });
    }
  }

  private refuse(conn: Conn, code: ErrorMessage['code'], message: string): void {
    if (code === 'forbidden') this.stats.forbidden++;
    else this.stats.malformed++;
    conn.bad++;
    this.log?.warn({ probe: conn.who.id, remote: conn.remote, code, reason: message }, 'probe message refused');
    this.send(conn, { type: 'error', code, message });
    if (conn.bad >= Defaults.maxBadMessages) {
      this.log?.warn({ probe: conn.who.id, remote: conn.remote }, `${conn.bad} refused messages: closing the connection (1008)`);
      conn.ws.close(CLOSE.policy, `too many refused messages (${conn.bad})`);
    }
  }

  private send(conn: Conn, msg: HubMessage): void {
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    conn.ws.send(JSON.stringify(msg));
  }
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function bestClock(samples: readonly { offsetMs: number; rttMs: number }[]): { offsetMs: number; rttMs: number } | undefined {
  let best: { offsetMs: number; rttMs: number } | undefined;
  for (const s of samples) if (!best || s.rttMs < best.rttMs) best = s;
  return best;
}
