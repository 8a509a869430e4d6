import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TicketService } from './service.ts';

/**
 * HTTP routes of the tickets service, as one node:http handler to mount in front of the API:
 *
 *   POST {prefix}/tickets/webhooks/pagerduty/:vendor   PagerDuty v3 webhook; `X-PagerDuty-Signature: v1=<hex HMAC-SHA256(body)>`
 *                                                       with the vendor's webhookSecretEnv; incident.acknowledged → acknowledge
 *   POST {prefix}/tickets/webhooks/ack/:vendor         generic: `Authorization: Bearer <token>` (or ?token=) = the vendor's
 *                                                       ackTokenEnv; body {incident, by?}
 *   GET  {prefix}/incidents/:id/evidence               the evidence bundle (id encoded, or with raw slashes)
 *   GET  {prefix}/tickets?incident=ID                  outbox rows and SLA state of one incident
 *   POST {prefix}/tickets/drill                        run a drill, body {waitAckMs?, only?}; needs `authorize`
 *
 * Resolves true when the request was handled, false when the path is not one of these (the
 * caller's next handler runs). Inbound webhooks authenticate themselves; the GET/POST operator
 * routes go through `authorize` when given (the API's token check).
 */

export interface TicketRoutesOptions {
  env?: NodeJS.ProcessEnv;
  /** Default "/api/v1". */
  prefix?: string;
  /** Operator routes: answer whether the caller may ('read' for GET, 'act' for drill). Absent → GET allowed, drill refused. */
  authorize?: (req: IncomingMessage, need: 'read' | 'act') => boolean | Promise<boolean>;
  /** Largest accepted body. Default 1 MiB. */
  maxBodyBytes?: number;
}

class HttpFail extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function ticketRoutes(service: TicketService, opts: TicketRoutesOptions): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const prefix = (opts.prefix ?? '/api/v1').replace(/\/+$/, '');
  const env = opts.env ?? process.env;
  const maxBody = opts.maxBodyBytes ?? 1 << 20;
  const esc = prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const rePd = new RegExp(`^${esc}/tickets/webhooks/pagerduty/([^/]+)$`);
  const reAck = new RegExp(`^${esc}/tickets/webhooks/ack/([^/]+)$`);
  const reEvidence = new RegExp(`^${esc}/incidents/(.+)/evidence$`);
  const reTickets = new RegExp(`^${esc}/tickets$`);
  const reDrill = new RegExp(`^${esc}/tickets/drill$`);

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    let m: RegExpExecArray | null;
    try {
      if ((m = rePd.exec(path))) {
        method(req, 'POST');
        const vendor = decodeURIComponent(m[1]!);
        // The vendor as the config in use has it (a reload may have changed it).
        const v = service.vendorConfig(vendor);
        if (!v || v.type !== 'pagerduty' || !v.webhookSecretEnv) throw new HttpFail(404, `no PagerDuty vendor "${vendor}" with a webhook secret`);
        const secret = env[v.webhookSecretEnv];
        if (!secret) throw new HttpFail(503, `webhook secret ${v.webhookSecretEnv} is not set`);
        const body = await readBody(req, maxBody);
        if (!verifyPagerDutySignature(body, header(req, 'x-pagerduty-signature'), [secret])) throw new HttpFail(401, 'bad signature');
        const ev = parse(body) as { event?: { event_type?: string; agent?: { summary?: string }; data?: { incident_key?: string; id?: string } } };
        const type = ev.event?.event_type;
        if (type === 'pagey.ping') return send(res, 200, { ok: true, ping: true });
        if (type !== 'incident.acknowledged') return send(res, 200, { ok: true, ignored: type ?? 'no event_type' });
        const key = ev.event?.data?.incident_key;
        if (typeof key !== 'string') throw new HttpFail(422, 'event.data.incident_key missing: not an incident streamguard opened');
        const r = await service.acknowledge({ incidentId: key, vendor, by: ev.event?.agent?.summary ?? 'pagerduty' });
        return send(res, r.ok ? 200 : 404, r);
      }
      if ((m = reAck.exec(path))) {
        method(req, 'POST');
        const vendor = decodeURIComponent(m[1]!);
        const v = service.vendorConfig(vendor);
        if (!v || !v.ackTokenEnv) throw new HttpFail(404, `no vendor "${vendor}" with an ackTokenEnv`);
        const expected = env[v.ackTokenEnv];
        if (!expected) throw new HttpFail(503, `ack token ${v.ackTokenEnv} is not set`);
        const auth = header(req, 'authorization');
        const given = auth?.startsWith('Bearer ') ? auth.slice(7) : (url.searchParams.get('token') ?? '');
        if (!safeEqual(given, expected)) throw new HttpFail(401, 'bad token');
        const body = parse(await readBody(req, maxBody)) as { incident?: unknown; by?: unknown; status?: unknown };
        if (body.status !== undefined && body.status !== 'acknowledged') return send(res, 200, { ok: true, ignored: body.status });
        if (typeof body.incident !== 'string') throw new HttpFail(400, 'body.incident (the streamguard incident id) is required');
        const r = await service.acknowledge({ incidentId: body.incident, vendor, by: typeof body.by === 'string' ? body.by : vendor });
        return send(res, r.ok ? 200 : 404, r);
      }
      if ((m = reEvidence.exec(path))) {
        method(req, 'GET');
        await allow(req, 'read', false);
        const id = decodeURIComponent(m[1]!);
        const e = await service.evidence(id);
        if (!e) throw new HttpFail(404, `no incident "${id}"`);
        return send(res, 200, e);
      }
      if (reTickets.exec(path)) {
        method(req, 'GET');
        await allow(req, 'read', false);
        const id = url.searchParams.get('incident');
        if (!id) return send(res, 200, { vendors: service.vendors(), stats: service.stats });
        return send(res, 200, await service.status(id));
      }
      if (reDrill.exec(path)) {
        method(req, 'POST');
        await allow(req, 'act', true);
        const body = parse((await readBody(req, maxBody)) || Buffer.from('{}')) as { waitAckMs?: unknown; only?: unknown; by?: unknown };
        const report = await service.drill({
          ...(typeof body.waitAckMs === 'number' && { waitAckMs: Math.min(body.waitAckMs, 10 * 60_000) }),
          ...(Array.isArray(body.only) && { only: body.only.map(String) }),
          ...(typeof body.by === 'string' && { by: body.by }),
        });
        return send(res, 200, report);
      }
      return false;
    } catch (err) {
      if (err instanceof HttpFail) return send(res, err.status, { error: err.message });
      return send(res, 500, { error: (err as Error).message });
    }
  };

  async function allow(req: IncomingMessage, need: 'read' | 'act', requireHook: boolean): Promise<void> {
    if (!opts.authorize) {
      if (requireHook) throw new HttpFail(403, 'drill over HTTP needs an authorize hook');
      return;
    }
    if (!(await opts.authorize(req, need))) throw new HttpFail(403, 'forbidden');
  }
}

/**
 * PagerDuty v3: `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>…]` (several while a secret rotates),
 * each HMAC-SHA256 of the raw body. True when any matches any of the secrets.
 */
export function verifyPagerDutySignature(body: Buffer, headerValue: string | undefined, secrets: readonly string[]): boolean {
  if (!headerValue) return false;
  const given = headerValue
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('v1='))
    .map((s) => s.slice(3));
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(body).digest('hex');
    if (given.some((g) => safeEqual(g, expected))) return true;
  }
  return false;
}

export function pagerDutySignature(body: Buffer | string, secret: string): string {
  return `v1=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function method(req: IncomingMessage, m: string): void {
  if (req.method !== m) throw new HttpFail(405, `use ${m}`);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function parse(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new HttpFail(400, 'body is not JSON');
  }
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > max) {
        reject(new HttpFail(413, `body larger than ${max} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): true {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
  return true;
}

/**
 * The same routes in the API's `rawRoutes` shape (`ApiOptions.rawRoutes` in src/api/server.ts).
 * Mount before the JSON routes: `/api/v1/incidents/(.+)` would otherwise take the evidence path.
 */
export function ticketRawRoutes(service: TicketService, opts: TicketRoutesOptions): { pattern: RegExp; handle(req: IncomingMessage, res: ServerResponse): Promise<void> }[] {
  const handler = ticketRoutes(service, opts);
  const prefix = (opts.prefix ?? '/api/v1').replace(/\/+$/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (!(await handler(req, res))) send(res, 404, { error: `no route ${req.url ?? ''}` });
  };
  return [
    { pattern: new RegExp(`^${prefix}/tickets(?:/.*)?$`), handle },
    { pattern: new RegExp(`^${prefix}/incidents/.+/evidence$`), handle },
  ];
}
