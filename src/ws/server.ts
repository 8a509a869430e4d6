import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { allows, Authenticator, type Principal } from '../auth/auth.ts';
import { shownAction } from '../control/action.ts';
import type { IncidentChange, Topic } from '../model/topics.ts';
import type { Logger } from '../common/log.ts';
import type { Sample } from '../model/sample.ts';
import { describeIssues, execute, neededRole, RequestSchema, type CommandContext } from './commands.ts';
import { INCIDENT_TOPICS } from '../model/topics.ts';
import { HttpError } from '../http/index.ts';
import { soleOwnership } from '../cluster/ownership.ts';

/**
 * The operator WebSocket API on `/ws` (docs/ws-api.md), on the API's HTTP server next to `/probes`
 * (the hub's upgrade dispatcher hands it the upgrades of WS_PATH).
 *
 *   upgrade /ws ─▶ Authorization: Bearer (bad token → 401, nothing opened) or a first `auth` message
 *   {id, type, ...} ─▶ zod ─▶ role ─▶ execute (audited) ─▶ {id, ok, result | error: {code, message}}
 *   bus ─▶ subscribed topics (health, incidents, actions, samples:<stream>), minus silences ─▶ {type: "event", topic, data}
 *
 * Slow clients: sends go through `ws.bufferedAmount`; over `maxBufferedBytes` events are dropped
 * (one `dropped` notice, with the count, once the buffer drains); over `4 × maxBufferedBytes` or
 * `maxDropped` drops in a row the client is terminated. The hub never waits for a client.
 */

export const WS_PATH = '/ws';

export interface WsApiOptions {
  ctx: CommandContext;
  auth: Authenticator;
  logger?: Logger;
  /** A bigger message closes the connection with 1009. Default 64 KiB. */
  maxMessageBytes?: number;
  /** Outgoing bytes buffered per client before events are dropped. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Events dropped in a row before the client is disconnected (4008). Default 1000. */
  maxDropped?: number;
  /** Ping period; a client that missed one pong is terminated. Default 15 s; 0 = none. */
  heartbeatMs?: number;
  /** Time to authenticate after connecting, when no header was given. Default 10 s. */
  authTimeoutMs?: number;
  /**
   * Live samples of a stream another hub of the cluster owns (they never pass this hub's detector):
   * followed from its first subscriber here to its last. Returns the stop. Absent: no live samples
   * of other hubs' streams.
   */
  followSamples?: (stream: string, push: (s: Sample) => void) => () => void;
}

interface Client {
  ws: WebSocket;
  who: Principal | undefined;
  /** The Authorization the client authenticated with (header or `auth` message): its commands for another hub's stream go there with it. */
  authorization: string | undefined;
  topics: Set<string>;
  alive: boolean;
  dropped: number;
  authTimer?: NodeJS.Timeout;
}

const TOPICS = ['health', 'incidents', 'actions'] as const;

export class WsApi {
  private readonly wss: WebSocketServer;
  private readonly clients = new Set<Client>();
  /** topic → its subscribers: an event visits only them (1,000 clients × 10,000 sample events/s otherwise). */
  private readonly subscribers = new Map<string, Set<Client>>();
  /** `samples:<stream>` of other hubs' streams followed (followSamples), with their stop. */
  private readonly followed = new Map<string, () => void>();
  private readonly unsubs: (() => void)[] = [];
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly maxBuffered: number;
  private readonly maxDropped: number;

  constructor(private readonly opts: WsApiOptions) {
    this.maxBuffered = opts.maxBufferedBytes ?? 1024 * 1024;
    this.maxDropped = opts.maxDropped ?? 1000;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxMessageBytes ?? 64 * 1024, perMessageDeflate: false });
    const { hub } = opts.ctx;
    for (const t of INCIDENT_TOPICS) {
      this.unsubs.push(hub.bus.on(t, (c) => this.onIncident(t, c)));
    }
    this.unsubs.push(hub.bus.on('sample', (s) => this.onSample(s)));
    this.unsubs.push(hub.bus.on('line.level', (c) => this.push('health', { stream: c.stream, line: c.line, region: c.region, level: c.to, change: 'level' }, c)));
    this.unsubs.push(hub.bus.on('health.followed', (c) => this.push('health', { stream: c.stream, owner: c.owner, change: 'followed' }, c)));
    this.unsubs.push(opts.auth.onReload(() => this.closeRevoked()));
    if (opts.ctx.controller) this.unsubs.push(opts.ctx.controller.onAction((action, phase, results) => this.push('actions', { phase, action: shownAction(action), ...(results && { results }) }, { stream: action.stream })));
    const hb = opts.heartbeatMs ?? 15_000;
    if (hb > 0) {
      this.timer = setInterval(() => this.heartbeat(), hb);
      this.timer.unref();
    }
  }

  private droppedTotal = 0;
  private slowDisconnects = 0;

  get connections(): number {
    return this.clients.size;
  }

  /** Connections, events dropped for slow clients, clients cut off for being slow, bytes buffered now. */
  stats(): { connections: number; dropped: number; slowDisconnects: number; bufferedBytes: number } {
    let buffered = 0;
    for (const c of this.clients) buffered += c.ws.bufferedAmount;
    return { connections: this.clients.size, dropped: this.droppedTotal, slowDisconnects: this.slowDisconnects, bufferedBytes: buffered };
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    for (const u of this.unsubs.splice(0)) u();
    for (const c of this.clients) {
      clearTimeout(c.authTimer);
      c.ws.terminate();
    }
    this.clients.clear();
    this.subscribers.clear();
    for (const stop of this.followed.values()) stop();
    this.followed.clear();
    this.wss.close();
  }

  /** After a reload of the tokens: sessions whose token is gone (or changed) are closed (4401). */
  private closeRevoked(): void {
    for (const c of this.clients) {
      if (!c.who || this.opts.auth.valid(c.who)) continue;
      this.opts.logger?.warn({ name: c.who.name }, 'operator token revoked by a config reload; closing its session');
      c.who = undefined;
      c.ws.close(4401, 'unauthorized: token revoked by a config reload');
    }
  }

  /** An upgrade of WS_PATH: a wrong header token is refused (401, nothing opened); no header means a first `auth` message is due. */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const { auth } = this.opts;
    const token = Authenticator.bearer(req);
    let who: Principal | undefined;
    if (auth.mode === 'locked' || token !== undefined || auth.mode === 'open') {
      who = auth.check(token);
      if (!who) throw new HttpError('unauthorized', auth.refusal());
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, who, token === undefined ? undefined : `Bearer ${token}`));
  };

  private onConnection(ws: WebSocket, who: Principal | undefined, authorization: string | undefined): void {
    const c: Client = { ws, who, authorization, topics: new Set(), alive: true, dropped: 0 };
    this.clients.add(c);
    if (!who) {
      c.authTimer = setTimeout(() => ws.close(4401, 'authentication timeout'), this.opts.authTimeoutMs ?? 10_000);
      c.authTimer.unref();
    }
    ws.on('pong', () => (c.alive = true));
    ws.on('message', (data, isBinary) => void this.onMessage(c, data, isBinary));
    ws.on('error', (err) => this.opts.logger?.debug({ err }, 'ws client error'));
    ws.on('close', () => {
      clearTimeout(c.authTimer);
      this.drop(c);
    });
    this.send(c, { type: 'hello', authenticated: who !== undefined, ...(who && { name: who.name, role: who.role }), mode: this.opts.auth.mode, topics: [...TOPICS, 'samples:<stream>'] }, true);
  }

  private async onMessage(c: Client, data: RawData, isBinary: boolean): Promise<void> {
    let msg: unknown;
    try {
      if (isBinary) throw new Error('binary');
      msg = JSON.parse(rawToString(data));
    } catch {
      return this.reply(c, null, new HttpError('bad_request', isBinary ? 'binary frames are not accepted: send JSON text' : 'malformed JSON'));
    }
    const reqId = msg && typeof msg === 'object' && 'id' in msg && (typeof msg.id === 'string' || typeof msg.id === 'number') ? msg.id : null;
    const parsed = RequestSchema.safeParse(msg);
    if (!parsed.success) {
      const type = msg && typeof msg === 'object' && 'type' in msg ? (msg as { type: unknown }).type : undefined;
      const known = typeof type === 'string' && RequestSchema.options.some((o) => o.shape.type.value === type);
      return this.reply(c, reqId, new HttpError('bad_request', known ? describeIssues(parsed.error) : `unknown message type ${JSON.stringify(type ?? null)}`));
    }
    const req = parsed.data;
    try {
      if (req.type === 'auth') {
        if (c.who && this.opts.auth.mode === 'open') return this.reply(c, reqId, undefined, { name: c.who.name, role: c.who.role });
        if (c.who) throw new HttpError('conflict', `already authenticated as "${c.who.name}"`);
        const who = this.opts.auth.check(req.token);
        if (!who) {
          this.reply(c, reqId, new HttpError('unauthorized', this.opts.auth.refusal()));
          c.ws.close(4401, 'unauthorized');
          return;
        }
        c.who = who;
        c.authorization = `Bearer ${req.token}`;
        clearTimeout(c.authTimer);
        return this.reply(c, reqId, undefined, { name: who.name, role: who.role });
      }
      if (!c.who) throw new HttpError('unauthorized', 'authenticate first: {"type":"auth","token":"…"} or an Authorization: Bearer header');
      if (req.type === 'ping') return this.reply(c, reqId, undefined, { pong: this.opts.ctx.hub.clock() });
      if (req.type === 'subscribe' || req.type === 'unsubscribe') {
        const streams = new Set(this.opts.ctx.streams().map((s) => s.id));
        for (const t of req.topics) {
          const ok = (TOPICS as readonly string[]).includes(t) || (t.startsWith('samples:') && streams.has(t.slice(8)));
          if (!ok) throw new HttpError(t.startsWith('samples:') ? 'not_found' : 'bad_request', t.startsWith('samples:') ? `no stream "${t.slice(8)}" in the config` : `unknown topic "${t}" (topics: health, incidents, actions, samples:<stream>)`);
        }
        for (const t of req.topics) {
          if (req.type === 'subscribe') this.subscribe(c, t);
          else this.unsubscribe(c, t);
        }
        return this.reply(c, reqId, undefined, { topics: [...c.topics] });
      }
      if (!allows(c.who.role, neededRole(req.type))) throw new HttpError('forbidden', `"${req.type}" needs the operator role; token "${c.who.name}" is a ${c.who.role}`);
      const result = await execute(this.opts.ctx, c.who, req, 'ws', { authorization: c.authorization });
      this.reply(c, reqId, undefined, result);
    } catch (err) {
      if (err instanceof HttpError) return this.reply(c, reqId, err);
      this.opts.logger?.error({ err, type: req.type }, 'ws request failed');
      this.reply(c, reqId, new HttpError('internal', err instanceof Error ? err.message : 'internal error'));
    }
  }

  private reply(c: Client, id: string | number | null, err: HttpError | undefined, result?: unknown): void {
    this.send(c, err ? { id, ok: false, error: { code: err.code, message: err.message } } : { id, ok: true, result: result ?? null }, true);
  }

  private onIncident(topic: Topic, change: IncidentChange): void {
    const inc = change.incident;
    const data = { change: topic.slice('incident.'.length), incident: inc, entries: change.entries };
    this.push('incidents', data, inc);
    if (topic !== 'incident.updated') this.push('health', { stream: inc.stream, line: inc.line, severity: inc.severity, status: inc.status, incident: inc.id, change: data.change }, inc);
  }

  private onSample(s: Sample): void {
    this.push(`samples:${s.stream}`, s, { stream: s.stream, line: s.line });
  }

  /** Serialises once per event, checks silences once, then hands the frame to each subscriber. */
  private push(topic: string, data: unknown, match: { stream?: string | undefined; line?: string | undefined; kind?: string; severity?: string }): void {
    const subscribers = this.subscribers.get(topic);
    if (!subscribers) return;
    let text: string | undefined;
    for (const c of subscribers) {
      if (!c.who) continue;
      if (text === undefined) {
        if (this.opts.ctx.silences.silenced(topic, match as never)) return;
        text = JSON.stringify({ type: 'event', topic, data });
      }
      this.send(c, text);
    }
  }

  /** Replies always go out (bounded by the hard cap); events are dropped while the buffer is full. */
  private send(c: Client, msg: unknown, reply = false): void {
    const text = typeof msg === 'string' ? msg : JSON.stringify(msg);
    const ws = c.ws;
    if (ws.readyState !== WebSocket.OPEN) return;
    const buffered = ws.bufferedAmount;
    if (buffered > 4 * this.maxBuffered) {
      this.opts.logger?.warn({ buffered }, 'ws client too slow; disconnected');
      this.slowDisconnects++;
      this.drop(c);
      ws.terminate();
      return;
    }
    if (!reply && buffered > this.maxBuffered) {
      this.droppedTotal++;
      if (++c.dropped >= this.maxDropped) {
        this.opts.logger?.warn({ dropped: c.dropped }, 'ws client too slow; disconnected');
        this.slowDisconnects++;
        this.drop(c);
        ws.close(4008, 'too slow: events dropped');
        setTimeout(() => ws.terminate(), 1000).unref();
      }
      return;
    }
    if (c.dropped > 0 && !reply) {
      const n = c.dropped;
      c.dropped = 0;
      ws.send(JSON.stringify({ type: 'dropped', count: n }));
    }
    ws.send(text);
  }

  private subscribe(c: Client, topic: string): void {
    c.topics.add(topic);
    let set = this.subscribers.get(topic);
    if (!set) {
      this.subscribers.set(topic, (set = new Set()));
      this.follow(topic);
    }
    set.add(c);
  }

  private unsubscribe(c: Client, topic: string): void {
    c.topics.delete(topic);
    const set = this.subscribers.get(topic);
    set?.delete(c);
    if (set?.size !== 0) return;
    this.subscribers.delete(topic);
    this.followed.get(topic)?.();
    this.followed.delete(topic);
  }

  /**
   * The first subscriber of another hub's stream's samples: they are followed from its shard. Only
   * while this hub does not own it (were it to take the stream over meanwhile, its own samples come
   * from its detector and the followed copies are not pushed).
   */
  private follow(topic: string): void {
    const follow = this.opts.followSamples;
    if (!follow || !topic.startsWith('samples:')) return;
    const stream = topic.slice('samples:'.length);
    const ownership = this.opts.ctx.ownership ?? soleOwnership;
    if (ownership.owns(stream)) return;
    this.followed.set(
      topic,
      follow(stream, (s) => {
        if (!ownership.owns(stream)) this.onSample(s);
      }),
    );
  }

  /** A client gone (closed, cut off, dead): out of the client list and every topic. */
  private drop(c: Client): void {
    this.clients.delete(c);
    for (const t of [...c.topics]) this.unsubscribe(c, t);
  }

  private heartbeat(): void {
    for (const c of this.clients) {
      if (!c.alive) {
        c.ws.terminate();
        this.drop(c);
        continue;
      }
      c.alive = false;
      try {
        c.ws.ping();
      } catch {
        // closed meanwhile
      }
    }
  }
}

function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
