import express from 'express';
import { z } from 'zod';
import { errorMiddleware, HttpError, jsonBody, listen, notFound, validBody, type Listening } from '../http/index.ts';
import { log } from '../common/log.ts';
import { LOOPBACK } from './ports.ts';

export interface DeskTicket {
  id: number;
  subject: string;
  priority?: string;
  status: string;
  externalId?: string;
  comments: string[];
  /** Files attached to its comments (uploaded, then named by token in a comment's `uploads`). */
  attachments: DeskAttachment[];
  createdAt: number;
  updatedAt: number;
}

export interface DeskAttachment {
  filename: string;
  /** The file as uploaded (JSON uploads parsed). */
  content: unknown;
}

export interface ReceivedHook {
  at: number;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

const MAX_BODY_BYTES = 1024 * 1024;

/** The fields of a Zendesk ticket body the desk keeps; others (type, tags) are accepted and ignored. */
const ticketBody = z.object({
  ticket: z.object({
    subject: z.string().optional(),
    priority: z.string().optional(),
    status: z.string().optional(),
    external_id: z.string().optional(),
    comment: z.object({ body: z.string().optional(), uploads: z.array(z.string()).optional() }).optional(),
  }),
});

/**
 * The lab's stand-in for a vendor's support desk and an edge's switch webhook, so the demo and
 * the tests need no outside service:
 *   POST /api/v2/tickets.json, PUT /api/v2/tickets/:id.json   Zendesk-shaped desk (src/tickets/desk.ts)
 *   POST /api/v2/uploads.json?filename=…                      a file for the next comment (its `uploads: [token]`)
 *   GET  /api/v2/tickets.json                                 what it received, for people and tests
 *   POST /hooks/:name, GET /hooks                             any JSON webhook (control actuators)
 * A write carrying `Idempotency-Key` is answered, when repeated with the same key (a sender that
 * did not learn the outcome and sends again), with the first answer and changes nothing, as
 * Zendesk does (`x-idempotency-lookup: hit`).
 */
export class VendorDesk {
  readonly tickets: DeskTicket[] = [];
  /** Uploads by token, until a comment attaches them. */
  private readonly uploads = new Map<string, DeskAttachment>();
  readonly hooks: ReceivedHook[] = [];
  /** The first answer to each write with an Idempotency-Key, by method, path and key. */
  private readonly answers = new Map<string, { status: number; body: unknown }>();
  private readonly app = express()
    .disable('x-powered-by')
    .use('/api/v2', this.ticketRoutes())
    // Where a desk's agent opens a ticket (Zendesk's agent view): the console links a desk ticket there.
    .get('/agent/tickets/:id', (req, res) => {
      const t = this.tickets.find((x) => String(x.id) === req.params.id);
      if (!t) throw new HttpError('not_found', `no ticket ${req.params.id}: the desk has ${this.tickets.length} ticket(s)`);
      res.json({ ticket: t });
    })
    .use('/hooks', this.hookRoutes())
    .use(notFound, errorMiddleware(log.child({ component: 'vendor-desk' })));
  private listening: Listening | undefined;
  private onTicket: ((t: DeskTicket, change: 'opened' | 'updated') => void) | undefined;

  async start(port = 0): Promise<number> {
    this.listening = await listen(this.app, port, LOOPBACK);
    return this.listening.port;
  }

  /** Called for every ticket opened or updated (the demo prints them). */
  watch(fn: (t: DeskTicket, change: 'opened' | 'updated') => void): void {
    this.onTicket = fn;
  }

  async stop(): Promise<void> {
    await this.listening?.close();
  }

  private ticketRoutes(): express.Router {
    const router = express.Router();
    router.get('/tickets.json', (_req, res) => {
      res.json({ tickets: this.tickets });
    });
    router.post(
      '/tickets.json',
      ...jsonBody(MAX_BODY_BYTES),
      this.once((req) => {
        const { ticket } = validBody(ticketBody, req.body);
        const now = Date.now();
        const t: DeskTicket = { id: this.tickets.length + 1, subject: ticket.subject ?? '', status: 'open', comments: [], attachments: [], createdAt: now, updatedAt: now };
        if (ticket.priority !== undefined) t.priority = ticket.priority;
        if (ticket.external_id !== undefined) t.externalId = ticket.external_id;
        this.comment(t, ticket.comment);
        this.tickets.push(t);
        this.onTicket?.(t, 'opened');
        return { status: 201, body: { ticket: { id: t.id } } };
      }),
    );
    router.put(
      '/tickets/:id.json',
      ...jsonBody(MAX_BODY_BYTES),
      this.once((req) => {
        const t = this.tickets.find((x) => String(x.id) === req.params['id']);
        if (!t) throw new HttpError('not_found', `no ticket ${req.params['id']}: the desk has ${this.tickets.length} ticket(s)`);
        const { ticket } = validBody(ticketBody, req.body);
        if (ticket.subject) t.subject = ticket.subject;
        if (ticket.status) t.status = ticket.status;
        if (ticket.priority) t.priority = ticket.priority;
        this.comment(t, ticket.comment);
        t.updatedAt = Date.now();
        this.onTicket?.(t, 'updated');
        return { status: 200, body: { ticket: { id: t.id } } };
      }),
    );
    router.post(
      '/uploads.json',
      ...jsonBody(MAX_BODY_BYTES),
      this.once((req) => {
        const filename = typeof req.query['filename'] === 'string' ? req.query['filename'] : '';
        if (!filename) throw new HttpError('bad_request', 'uploads.json needs ?filename=');
        const token = `upload-${this.uploads.size + 1}-${Date.now()}`;
        this.uploads.set(token, { filename, content: req.body as unknown });
        return { status: 201, body: { upload: { token } } };
      }),
    );
    return router;
  }

  /** A write answered once per Idempotency-Key: a repeat gets the first answer, and nothing changes. */
  private once(write: (req: express.Request) => { status: number; body: unknown }): express.RequestHandler {
    return (req, res) => {
      const key = req.get('idempotency-key');
      const id = key === undefined ? undefined : `${req.method} ${req.originalUrl.split('?')[0]} ${key}`;
      const first = id === undefined ? undefined : this.answers.get(id);
      if (first) return void res.status(first.status).set('x-idempotency-lookup', 'hit').json(first.body);
      const answer = write(req);
      if (id !== undefined) this.answers.set(id, answer);
      res.status(answer.status).set('x-idempotency-lookup', 'miss').json(answer.body);
    };
  }

  /** A comment's body, and the uploads it names attached to the ticket. */
  private comment(t: DeskTicket, comment: { body?: string | undefined; uploads?: string[] | undefined } | undefined): void {
    if (comment?.body) t.comments.push(comment.body);
    for (const token of comment?.uploads ?? []) {
      const file = this.uploads.get(token);
      if (!file) throw new HttpError('bad_request', `no upload with token ${token}`);
      this.uploads.delete(token);
      t.attachments.push(file);
    }
  }

  private hookRoutes(): express.Router {
    const router = express.Router();
    router.get('/', (_req, res) => {
      res.json({ hooks: this.hooks });
    });
    router.post('/*name', ...jsonBody(MAX_BODY_BYTES), (req, res) => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      // No body is recorded as {}; a JSON null stays null.
      this.hooks.push({ at: Date.now(), path: req.baseUrl + req.path, headers, body: req.body === undefined ? {} : (req.body as unknown) });
      res.json({ ok: true });
    });
    return router;
  }
}
