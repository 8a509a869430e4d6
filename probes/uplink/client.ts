import WebSocket from 'ws';
import type { Logger } from '../../src/common/log.ts';
import type { Sample } from '../../src/model/sample.ts';
import { CLOSE, Defaults, FATAL_CLOSE_CODES, PROTOCOL_VERSION, type Assignment, type HubMessage, type WelcomeMessage } from '../../src/model/probe-protocol.ts';
import { backoffDelay, type BackoffOptions } from '../backoff.ts';
import type { UplinkBuffer } from './buffer.ts';
import { ClockOffset } from './clock.ts';
import { redactUrls } from '../../src/model/redact-url.ts';
import { oncePerTurn } from './once-per-turn.ts';

/**
 * The probe end of the uplink (docs/probe-protocol.md): one outbound WebSocket to the hub, kept
 * up with heartbeats and jittered-backoff reconnects. Samples go through the UplinkBuffer (seq,
 * bounded, optional spill) and are sent oldest first with at most `maxInFlight` unacked on the
 * wire; after a reconnect everything unacked is sent again (the hub drops what it already has).
 * Sample times are moved onto the hub's clock with the offset estimated from the heartbeats.
 *
 * Several hubs (a cluster): the probe talks to one at a time; when it is gone (or cannot be
 * reached) the next reconnect, after the same backoff, goes to the next hub of the list, round
 * robin. The buffer is the probe's, not the connection's: what the lost hub did not ack is sent to
 * the next one, and the probers keep running on their last assignment meanwhile.
 */

export interface UplinkClientOptions {
  /** ws:// or wss:// URL of the hub's /probes endpoint; several: the hubs tried in turn. */
  url: string | readonly string[];
  token: string;
  region: string;
  buffer: UplinkBuffer;
  /** Extra CA certificate(s) to trust for wss (PEM), e.g. a self-signed hub. */
  ca?: string | Buffer;
  agent?: string;
  logger?: Logger;
  /** Local clock (default Date.now). */
  clock?: () => number;
  backoff?: BackoffOptions;
  maxInFlight?: number;
  onWelcome?: (welcome: WelcomeMessage) => void;
  onAssign?: (assignment: Assignment, probe: string) => void;
  /** The hub refused this probe for good (bad token, wrong region, protocol version). */
  onFatal?: (code: number, reason: string) => void;
}

export interface UplinkClientStats {
  connects: number;
  disconnects: number;
  sent: number;
  resent: number;
  acked: number;
  rejected: number;
  hubErrors: number;
}

const RECONNECT_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 10_000, jitter: 0.3 };
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const SEND_BATCH = 500;

export class UplinkClient {
  readonly stats: UplinkClientStats = { connects: 0, disconnects: 0, sent: 0, resent: 0, acked: 0, rejected: 0, hubErrors: 0 };
  readonly clockOffset = new ClockOffset();
  private readonly opts: UplinkClientOptions;
  private readonly clock: () => number;
  private readonly log: Logger | undefined;
  private readonly hubs: readonly string[];
  /** Index in `hubs` of the hub connected or being tried. */
  private hubIndex = 0;
  private ws: WebSocket | undefined;
  private welcome: WelcomeMessage | undefined;
  private sentUpTo = -1;
  /** Highest seq ever sent: anything at or below it that is sent again counts as a resend. */
  private maxSent = -1;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private beatTimer: NodeJS.Timeout | undefined;
  private pauseTimer: NodeJS.Timeout | undefined;
  private readonly schedulePump = oncePerTurn(() => this.pump());
  private lastHeard = 0;
  private beats = 0;
  private lastHeardBeat = 0;
  private pingId = 0;
  private stopped = false;
  private fatal = false;
  private ackWaiters: (() => void)[] = [];

  constructor(opts: UplinkClientOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? Date.now;
    this.log = opts.logger;
    this.hubs = typeof opts.url === 'string' ? [opts.url] : [...opts.url];
    if (this.hubs.length === 0) throw new Error('UplinkClient: no hub URL');
  }

  /** The hub connected, or the one being tried. */
  get hub(): string {
    return this.hubs[this.hubIndex]!;
  }

  get connected(): boolean {
    return this.welcome !== undefined && this.ws?.readyState === WebSocket.OPEN;
  }

  get probeId(): string | undefined {
    return this.welcome?.probe;
  }

  start(): this {
    this.connect();
    return this;
  }

  /**
   * Queues one sample (its seq is stamped here, its time moved onto the hub's clock when the
   * offset is known) and sends it as soon as the connection allows.
   */
  enqueue(sample: Sample): void {
    this.onHubClock(sample);
    this.opts.buffer.push(sample);
    this.schedulePump();
  }

  /** Moves the sample's time onto the hub's clock, once the offset is known (also for samples sent another way, over NATS). */
  onHubClock(sample: Sample): void {
    if (this.clockOffset.known) sample.t = Math.max(0, Math.round(sample.t + this.clockOffset.offsetMs));
  }

  /** Waits until every queued sample is acked or `timeoutMs` passed; true if all were acked. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.opts.buffer.size > 0 && Date.now() < deadline && !this.fatal) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(200, Math.max(0, deadline - Date.now())));
        this.ackWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.opts.buffer.size === 0;
  }

  /** Closes the connection (1000) and stops reconnecting. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.pauseTimer);
    clearInterval(this.beatTimer);
    const ws = this.ws;
    if (ws && (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING)) {
      try {
        ws.close(CLOSE.normal, 'probe stopping');
      } catch {
        ws.terminate();
      }
      setTimeout(() => ws.terminate(), 1000).unref?.();
    }
  }

  private connect(): void {
    if (this.stopped) return;
    const ws = new WebSocket(this.hub, {
      headers: { authorization: `Bearer ${this.opts.token}` },
      handshakeTimeout: 5000,
      perMessageDeflate: false,
      maxPayload: 64 * 1024 * 1024,
      ...(this.opts.ca !== undefined && { ca: this.opts.ca }),
    });
    this.ws = ws;
    ws.on('open', () => {
      this.lastHeard = this.clock();
      const oldest = this.opts.buffer.oldest;
      ws.send(JSON.stringify({ type: 'hello', v: PROTOCOL_VERSION, region: this.opts.region, agent: this.opts.agent ?? 'streamguard-probe', ...(oldest !== undefined && { oldestUnacked: oldest }) }));
    });
    ws.on('message', (data) => {
      this.lastHeard = this.clock();
      this.lastHeardBeat = this.beats;
      let msg: HubMessage;
      try {
        msg = JSON.parse(data.toString()) as HubMessage;
      } catch {
        this.log?.warn('hub sent a message that is not JSON; ignored');
        return;
      }
      this.onMessage(ws, msg);
    });
    ws.on('unexpected-response', (_req, res) => {
      this.log?.warn({ url: redactUrls(this.hub), status: res.statusCode }, `hub answered HTTP ${res.statusCode} instead of a WebSocket upgrade (is the URL …/probes?)`);
      ws.terminate();
    });
    ws.on('error', (err) => {
      this.log?.debug({ err: err.message }, 'uplink socket error');
    });
    ws.on('close', (code, reasonBuf) => this.onClose(ws, code, reasonBuf.toString()));
  }

  private onMessage(ws: WebSocket, msg: HubMessage): void {
    switch (msg.type) {
      case 'welcome': {
        this.welcome = msg;
        this.attempt = 0;
        this.stats.connects++;
        if (msg.lastSeq !== null) {
          this.opts.buffer.ack(msg.lastSeq);
          this.opts.buffer.nextSeq(msg.lastSeq + 1);
        }
        // Everything unacked goes again; the hub drops what it already has.
        this.sentUpTo = this.opts.buffer.acked;
        this.log?.info({ probe: msg.probe, hub: redactUrls(this.hub), unacked: this.opts.buffer.size, heartbeatMs: msg.heartbeatMs }, 'connected to the hub');
        clearInterval(this.beatTimer);
        this.beatTimer = setInterval(() => this.beat(ws), msg.heartbeatMs);
        this.beat(ws);
        this.opts.onWelcome?.(msg);
        this.schedulePump();
        return;
      }
      case 'assign':
        if (this.welcome) this.opts.onAssign?.({ version: msg.version, windowMs: msg.windowMs, decode: msg.decode, ...(msg.content !== undefined && { content: msg.content }), ...(msg.contentThresholds !== undefined && { contentThresholds: msg.contentThresholds }), targets: msg.targets, ...(msg.health !== undefined && { health: msg.health }) }, this.welcome.probe);
        return;
      case 'ack': {
        const before = this.opts.buffer.size;
        this.opts.buffer.ack(msg.seq);
        this.stats.acked += before - this.opts.buffer.size;
        if (msg.rejected?.length) {
          this.stats.rejected += msg.rejected.length;
          this.log?.warn({ rejected: msg.rejected.slice(0, 5), count: msg.rejected.length }, 'hub refused samples (they will not be resent)');
        }
        for (const w of this.ackWaiters.splice(0)) w();
        this.schedulePump();
        return;
      }
      case 'ping': {
        const t1 = this.clock();
        ws.send(JSON.stringify({ type: 'pong', id: msg.id, t0: msg.t0, t1, t2: this.clock() }));
        return;
      }
      case 'pong':
        this.clockOffset.add(msg.t0, msg.t1, msg.t2, this.clock());
        return;
      case 'error':
        this.stats.hubErrors++;
        this.log?.warn({ code: msg.code, reason: msg.message }, 'hub refused a message');
        if (msg.code === 'backlog') {
          // The hub could not take more: rewind to the first unacked sample after a pause.
          clearTimeout(this.pauseTimer);
          this.pauseTimer = setTimeout(() => {
            this.pauseTimer = undefined;
            this.sentUpTo = this.opts.buffer.acked;
            this.schedulePump();
          }, msg.retryAfterMs ?? 1000);
        }
        return;
    }
  }

  private beat(ws: WebSocket): void {
    const hb = this.welcome?.heartbeatMs ?? Defaults.heartbeatMs;
    this.beats++;
    // Silent for 3 heartbeats of time and of ticks (a probe starved of CPU has unread messages).
    if (this.clock() - this.lastHeard > Defaults.deadAfterBeats * hb && this.beats - this.lastHeardBeat > Defaults.deadAfterBeats) {
      this.log?.warn({ silentMs: this.clock() - this.lastHeard }, 'hub silent for 3 heartbeats: dropping the connection and reconnecting');
      ws.terminate();
      return;
    }
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'ping', id: ++this.pingId, t0: this.clock() }));
  }

  private onClose(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.ws) return;
    const wasWelcomed = this.welcome !== undefined;
    this.welcome = undefined;
    this.ws = undefined;
    clearInterval(this.beatTimer);
    clearTimeout(this.pauseTimer);
    this.pauseTimer = undefined;
    if (wasWelcomed) this.stats.disconnects++;
    if (this.stopped) return;
    if (FATAL_CLOSE_CODES.has(code)) {
      this.fatal = true;
      this.log?.error({ code, reason, hub: redactUrls(this.hub) }, `the hub refused this probe: ${reason || `close ${code}`}`);
      this.opts.onFatal?.(code, reason);
      return;
    }
    const delay = backoffDelay(this.attempt++, this.opts.backoff ?? RECONNECT_BACKOFF);
    const lost = this.hub;
    this.hubIndex = (this.hubIndex + 1) % this.hubs.length;
    this.log?.warn({ code, reason, hub: redactUrls(lost), next: redactUrls(this.hub), retryInMs: delay, unacked: this.opts.buffer.size }, wasWelcomed ? 'lost the hub connection; reconnecting' : 'cannot reach the hub; retrying');
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }


  private pump(): void {
    const ws = this.ws;
    if (!ws || !this.welcome || ws.readyState !== WebSocket.OPEN || this.pauseTimer) return;
    const buffer = this.opts.buffer;
    const maxInFlight = this.opts.maxInFlight ?? 5000;
    const maxBatch = Math.min(SEND_BATCH, this.welcome.maxBatch);
    const maxBytes = this.welcome.maxMessageBytes * 0.8;
    while (ws.bufferedAmount < MAX_BUFFERED_BYTES) {
      const room = maxInFlight - (this.sentUpTo - buffer.acked);
      if (room <= 0) return;
      let batch = buffer.take(this.sentUpTo, Math.min(maxBatch, room));
      if (batch.length === 0) return;
      let text = JSON.stringify({ type: 'samples', samples: batch });
      while (text.length > maxBytes && batch.length > 1) {
        batch = batch.slice(0, Math.ceil(batch.length / 2));
        text = JSON.stringify({ type: 'samples', samples: batch });
      }
      ws.send(text);
      const last = batch.at(-1)!.seq;
      for (const s of batch) if (s.seq <= this.maxSent) this.stats.resent++;
      this.stats.sent += batch.length;
      this.sentUpTo = last;
      if (last > this.maxSent) this.maxSent = last;
    }
  }
}
