import http from 'node:http';
import { LOOPBACK } from './ports.ts';

export interface DeskTicket {
  id: number;
  subject: string;
  priority?: string;
  status: string;
  externalId?: string;
  comments: string[];
  createdAt: number;
  updatedAt: number;
}

export interface ReceivedHook {
  at: number;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

const MAX_BODY = 1024 * 1024;

/**
 * The lab's stand-in for a vendor's support desk and an edge's switch webhook, so the demo and
 * the tests need no outside service:
 *   POST /api/v2/tickets.json, PUT /api/v2/tickets/:id.json   Zendesk-shaped desk (src/tickets/desk.ts)
 *   GET  /api/v2/tickets.json                                 what it received, for people and tests
 *   POST /hooks/:name, GET /hooks                             any JSON webhook (control actuators)
 */
export class VendorDesk {
  readonly tickets: DeskTicket[] = [];
  readonly hooks: ReceivedHook[] = [];
  private readonly server = http.createServer((req, res) => void this.handle(req, res));
  private onTicket: ((t: DeskTicket, change: 'opened' | 'updated') => void) | undefined;

  async start(port = 0): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, LOOPBACK, () => resolve());
    });
    return (this.server.address() as { port: number }).port;
  }

  /** Called for every ticket opened or updated (the demo prints them). */
  watch(fn: (t: DeskTicket, change: 'opened' | 'updated') => void): void {
    this.onTicket = fn;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      if (req.method === 'GET' && path === '/api/v2/tickets.json') return send(200, { tickets: this.tickets });
      if (req.method === 'GET' && path === '/hooks') return send(200, { hooks: this.hooks });
      const body = await readJson(req);
      const now = Date.now();
      if (req.method === 'POST' && path.startsWith('/hooks/')) {
        this.hooks.push({ at: now, path, headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])), body });
        return send(200, { ok: true });
      }
      const ticket = (body as { ticket?: { subject?: string; priority?: string; status?: string; external_id?: string; comment?: { body?: string } } }).ticket;
      if (!ticket) return send(400, { error: 'body must be {"ticket": {...}}' });
      if (req.method === 'POST' && path === '/api/v2/tickets.json') {
        const t: DeskTicket = { id: this.tickets.length + 1, subject: ticket.subject ?? '', status: 'open', comments: [], createdAt: now, updatedAt: now };
        if (ticket.priority !== undefined) t.priority = ticket.priority;
        if (ticket.external_id !== undefined) t.externalId = ticket.external_id;
        if (ticket.comment?.body) t.comments.push(ticket.comment.body);
        this.tickets.push(t);
        this.onTicket?.(t, 'opened');
        return send(201, { ticket: { id: t.id } });
      }
      const m = /^\/api\/v2\/tickets\/(\d+)\.json$/.exec(path);
      const t = m ? this.tickets.find((x) => x.id === Number(m[1])) : undefined;
      if (req.method === 'PUT' && t) {
        if (ticket.status) t.status = ticket.status;
        if (ticket.priority) t.priority = ticket.priority;
        if (ticket.comment?.body) t.comments.push(ticket.comment.body);
        t.updatedAt = now;
        this.onTicket?.(t, 'updated');
        return send(200, { ticket: { id: t.id } });
      }
      send(404, { error: `no route ${req.method} ${path}` });
    } catch (err) {
      send(400, { error: (err as Error).message });
    }
  }
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as unknown;
  } catch {
    throw new Error('body is not valid JSON');
  }
}
