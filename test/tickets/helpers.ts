import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { IncidentEvent } from '../../src/model/incident.ts';
import type { Severity } from '../../src/model/severity.ts';
import type { Sample } from '../../src/model/sample.ts';

export interface Received {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  at: number;
}

export type Mode = 'ok' | '500' | 'refuse' | 'overload' | 'hang' | 'reset';

/**
 * A local vendor: PagerDuty Events v2 at POST /v2/enqueue, a Zendesk-shaped desk under
 * /api/v2/tickets (and /api/v2/uploads for attachments), an IM bot (WeCom/DingTalk/Slack-shaped) at POST /im/*, a generic webhook at
 * POST /hook. Records every request it accepted; `mode` '500' answers 500 (and records nothing),
 * 'refuse' and 'overload' refuse (records nothing) quoting back what they got — the credential,
 * the path with its query, the body — as careless vendors do: 'refuse' for good (400; the bots
 * their HTTP 200 refusal), 'overload' for now (503); 'hang' records and never answers, 'reset'
 * closes the connection unanswered; down()/up() close and reopen the port (connection refused).
 */
export class FakeVendor {
  readonly received: Received[] = [];
  /** Rejected requests (500 mode). */
  rejected = 0;
  port = 0;
  mode: Mode = 'ok';
  /** PagerDuty alerts by dedup_key. */
  readonly alerts = new Map<string, { status: 'triggered' | 'resolved'; triggers: number; severity?: string; summary?: string }>();
  /** Desk tickets by id. */
  readonly tickets = new Map<number, { subject: string; body: string; priority: string; status: string; externalId?: string; comments: string[]; attachments: { filename: string; content: unknown }[] }>();
  /** Desk uploads by token. */
  readonly uploads = new Map<string, { filename: string; content: unknown }>();
  private readonly idem = new Map<string, number>();
  private nextTicket = 100;
  private server: http.Server | undefined;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<this> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  /** Closes the socket: connections are refused until up(). */
  async down(): Promise<void> {
    await this.stop();
  }

  async up(): Promise<void> {
    await this.start(this.port);
  }

  at(pathPrefix: string): Received[] {
    return this.received.filter((r) => r.path.startsWith(pathPrefix));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      if (this.mode === 'reset') {
        this.rejected++;
        req.socket.destroy();
        return;
      }
      if (this.mode === '500') {
        this.rejected++;
        res.writeHead(500).end('{"error":"vendor having a bad day"}');
        return;
      }
      const path = req.url ?? '/';
      if (this.mode === 'refuse' || this.mode === 'overload') {
        this.rejected++;
        const quote = `credential ${credential(req.headers.authorization)} at ${path}: ${raw}`;
        if (this.mode === 'overload') res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'overloaded', got: quote }));
        else if (path.startsWith('/im/slack')) res.writeHead(200, { 'content-type': 'text/plain' }).end(`invalid_token: ${quote}`);
        else if (path.startsWith('/im/')) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ errcode: 93000, errmsg: `invalid webhook url: ${quote}` }));
        else res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'rejected', got: quote }));
        return;
      }
      const body = raw ? (JSON.parse(raw) as unknown) : undefined;
      const rec: Received = { method: req.method ?? '', path, headers: req.headers, body, at: Date.now() };
      this.received.push(rec);
      if (this.mode === 'hang') return;
      const json = (status: number, b: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(b));
      };
      if (path === '/v2/enqueue') {
        const b = body as { dedup_key: string; event_action: string; payload?: { severity?: string; summary?: string } };
        const a = this.alerts.get(b.dedup_key);
        if (b.event_action === 'trigger') {
          if (a && a.status === 'triggered') a.triggers++;
          else this.alerts.set(b.dedup_key, { status: 'triggered', triggers: 1, ...(b.payload?.severity && { severity: b.payload.severity }), ...(b.payload?.summary && { summary: b.payload.summary }) });
        } else if (b.event_action === 'resolve' && a) a.status = 'resolved';
        return json(202, { status: 'success', message: 'Event processed', dedup_key: b.dedup_key });
      }
      if (path === '/api/v2/tickets.json' && req.method === 'POST') {
        const key = String(req.headers['idempotency-key'] ?? '');
        const seen = this.idem.get(key);
        if (seen !== undefined) return json(201, { ticket: { id: seen } });
        const t = (body as { ticket: { subject: string; comment: { body: string; uploads?: string[] }; priority: string; external_id?: string } }).ticket;
        const id = this.nextTicket++;
        this.idem.set(key, id);
        const attachments = (t.comment.uploads ?? []).map((token) => this.uploads.get(token)!);
        this.tickets.set(id, { subject: t.subject, body: t.comment.body, priority: t.priority, status: 'new', ...(t.external_id && { externalId: t.external_id }), comments: [], attachments });
        return json(201, { ticket: { id } });
      }
      if (path.startsWith('/api/v2/uploads.json?filename=') && req.method === 'POST') {
        const token = `tok-${this.uploads.size + 1}`;
        this.uploads.set(token, { filename: decodeURIComponent(path.slice(path.indexOf('=') + 1)), content: body });
        return json(201, { upload: { token } });
      }
      const m = /^\/api\/v2\/tickets\/(\d+)\.json$/.exec(path);
      if (m && req.method === 'PUT') {
        const t = this.tickets.get(Number(m[1]));
        if (!t) return json(404, { error: 'RecordNotFound' });
        const u = (body as { ticket: { subject?: string; comment?: { body: string }; status?: string; priority?: string } }).ticket;
        if (u.subject) t.subject = u.subject;
        if (u.comment) t.comments.push(u.comment.body);
        if (u.status) t.status = u.status;
        if (u.priority) t.priority = u.priority;
        return json(200, { ticket: { id: Number(m[1]) } });
      }
      if (path.startsWith('/im/slack')) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
        return;
      }
      if (path.startsWith('/im/')) return json(200, { errcode: 0, errmsg: 'ok' });
      if (path.startsWith('/hook')) return json(200, { ref: `H-${this.received.length}` });
      json(404, { error: 'no such endpoint' });
    });
  }
}

/** The credential of an Authorization header, decoded (a bearer token, or basic `user:password`). */
function credential(header: string | undefined): string {
  if (header === undefined) return '-';
  const [scheme, value = ''] = header.split(' ');
  return scheme === 'Basic' ? Buffer.from(value, 'base64').toString('utf8') : value;
}

export interface SmtpSession {
  commands: string[];
  data: string;
}

/**
 * A local SMTP relay: records the commands and the DATA of every session. `auth` is the AUTH PLAIN
 * argument it accepts; `rcptReply` lets a test refuse recipients; `mode` 'refuse' (535) and
 * 'overload' (454) refuse AUTH quoting back the credentials it got, as a careless relay does.
 */
export class FakeSmtp {
  readonly sessions: SmtpSession[] = [];
  port = 0;
  mode: 'ok' | 'refuse' | 'overload' = 'ok';
  auth: string | undefined;
  rcptReply: (() => string) | undefined;
  private server: net.Server | undefined;

  async start(): Promise<this> {
    this.server = net.createServer((sock) => this.session(sock));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  private session(sock: net.Socket): void {
    const s: SmtpSession = { commands: [], data: '' };
    this.sessions.push(s);
    let buf = '';
    let inData = false;
    sock.write('220 test.local ESMTP ready\r\n');
    sock.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      for (;;) {
        if (inData) {
          const end = buf.indexOf('\r\n.\r\n');
          if (end < 0) return;
          s.data = buf.slice(0, end);
          buf = buf.slice(end + 5);
          inData = false;
          sock.write('250 2.0.0 queued as 42\r\n');
          continue;
        }
        const i = buf.indexOf('\r\n');
        if (i < 0) return;
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        s.commands.push(line);
        const [verb = '', , arg = ''] = line.split(' ');
        const got = Buffer.from(arg, 'base64').toString('utf8').replace(/\0/g, ' ');
        if (verb.toUpperCase() === 'EHLO') sock.write('250-test.local\r\n250-AUTH PLAIN\r\n250 SIZE 1000000\r\n');
        else if (verb.toUpperCase() === 'AUTH' && this.mode === 'refuse') sock.write(`535 5.7.8 bad credentials:${got}\r\n`);
        else if (verb.toUpperCase() === 'AUTH' && this.mode === 'overload') sock.write(`454 4.7.0 try later,${got}\r\n`);
        else if (verb.toUpperCase() === 'AUTH') sock.write(this.auth !== undefined && line === `AUTH PLAIN ${this.auth}` ? '235 2.7.0 ok\r\n' : '535 5.7.8 bad credentials\r\n');
        else if (verb.toUpperCase() === 'MAIL') sock.write('250 2.1.0 ok\r\n');
        else if (verb.toUpperCase() === 'RCPT') sock.write(this.rcptReply?.() ?? '250 2.1.5 ok\r\n');
        else if (verb.toUpperCase() === 'DATA') {
          inData = true;
          sock.write('354 go ahead\r\n');
        } else if (verb.toUpperCase() === 'QUIT') sock.end('221 bye\r\n');
        else sock.write('502 5.5.2 what\r\n');
      }
    });
    sock.on('error', () => undefined);
  }
}

export const T0 = Date.now();

export function event(type: IncidentEvent['type'], severity: Severity, now: number, over: Partial<IncidentEvent> = {}): IncidentEvent {
  const onset = now - 2000;
  return {
    type,
    key: 's1/primary/down',
    kind: 'down',
    severity,
    scope: 'line',
    stream: 's1',
    line: 'primary',
    onset,
    at: now,
    openedAt: now,
    regions: [{ region: 'eu', probe: 'p-eu', level: 'down', onset, seenAt: now, reasons: [{ rule: 'disconnected', metric: 'connected', value: 0, threshold: 1, yields: 'down', since: onset }] }],
    ...over,
  };
}

export function samples(from: number, n: number, over: (i: number) => Partial<Sample> = () => ({})): Sample[] {
  const out: Sample[] = [];
  let seq = 1;
  for (let i = 0; i < n; i++) {
    for (const region of ['eu', 'us']) {
      for (const line of ['primary', 'backup']) {
        out.push({ probe: `p-${region}`, region, stream: 's1', line, seq: seq++ * 10 + (region === 'eu' ? 0 : 1), t: from + i * 1000, windowMs: 1000, connected: true, fps: 25, bitrateBps: 2e6, maxGapMs: 40, stallMs: 0, freezeMs: 0, ...over(i) });
      }
    }
  }
  return out;
}

export { until } from '../helpers/until.ts';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
