import http from 'node:http';
import type { AddressInfo } from 'node:net';
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

export type Mode = 'ok' | '500' | 'hang' | 'reset';

/**
 * A local vendor: PagerDuty Events v2 at POST /v2/enqueue, a Zendesk-shaped desk under
 * /api/v2/tickets, an IM bot (WeCom/DingTalk/Slack-shaped) at POST /im/*, a generic webhook at
 * POST /hook. Records every request it accepted; `mode` '500' answers 500 (and records nothing),
 * 'hang' records and never answers, 'reset' closes the connection unanswered; down()/up() close and reopen the port (connection refused).
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
  readonly tickets = new Map<number, { subject: string; body: string; priority: string; status: string; externalId?: string; comments: string[] }>();
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
        const t = (body as { ticket: { subject: string; comment: { body: string }; priority: string; external_id?: string } }).ticket;
        const id = this.nextTicket++;
        this.idem.set(key, id);
        this.tickets.set(id, { subject: t.subject, body: t.comment.body, priority: t.priority, status: 'new', ...(t.external_id && { externalId: t.external_id }), comments: [] });
        return json(201, { ticket: { id } });
      }
      const m = /^\/api\/v2\/tickets\/(\d+)\.json$/.exec(path);
      if (m && req.method === 'PUT') {
        const t = this.tickets.get(Number(m[1]));
        if (!t) return json(404, { error: 'RecordNotFound' });
        const u = (body as { ticket: { comment?: { body: string }; status?: string; priority?: string } }).ticket;
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
