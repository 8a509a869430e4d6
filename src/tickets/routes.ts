import express, { type Request, type Router } from 'express';
import { allowMethods, HttpError, jsonBody } from '../http/index.ts';
import { safeEqual, verifyPagerDutySignature } from './pagerduty-signature.ts';
import type { TicketService } from './service.ts';

export interface TicketRoutesOptions {
  env?: NodeJS.ProcessEnv;
  /** Largest accepted body. Default 1 MiB. */
  maxBodyBytes?: number;
}

/**
 * The tickets' HTTP routes (docs/tickets.md):
 *
 *   POST /api/v1/tickets/webhooks/pagerduty/:vendor   PagerDuty v3 webhook, `X-PagerDuty-Signature` with the vendor's
 *                                                     webhookSecretEnv; incident.acknowledged → acknowledge
 *   POST /api/v1/tickets/webhooks/ack/:vendor         generic: `Authorization: Bearer <token>` (or ?token=) = the
 *                                                     vendor's ackTokenEnv; body {incident, by?, status?}
 *   GET  /api/v1/incidents/*id/evidence               the evidence bundle (any role)
 *   GET  /api/v1/tickets[?incident=ID]                vendors and counters, or one incident's outbox rows and SLA (any role)
 *   POST /api/v1/tickets/drill                        run a drill, body {waitAckMs?, only?, by?} (operator)
 *
 * The hub's token check sits in front of these routes (src/app/http-app.ts): the webhooks are
 * public there, the reads need a viewer, the drill an operator. Inbound webhooks authenticate themselves with the vendor's secret (no operator token), take
 * the raw body whatever its content type (vendors differ, and PagerDuty signs the exact bytes).
 * Mount before the incident routes: `/api/v1/incidents/*id` would take `…/evidence`.
 */
export function ticketRoutes(service: TicketService, opts: TicketRoutesOptions): Router {
  const env = opts.env ?? process.env;
  const maxBody = opts.maxBodyBytes ?? 1 << 20;
  const rawBody = express.raw({ type: () => true, limit: maxBody });
  const router = express.Router();

  router
    .route('/api/v1/tickets/webhooks/pagerduty/:vendor')
    .post(rawBody, async (req, res) => {
      const vendor = req.params.vendor!;
      // The vendor as the config in use has it (a reload may have changed it).
      const v = service.vendorConfig(vendor);
      if (!v || v.type !== 'pagerduty' || !v.webhookSecretEnv) throw new HttpError('not_found', `no PagerDuty vendor "${vendor}" with a webhook secret`);
      const secret = env[v.webhookSecretEnv];
      if (!secret) throw new HttpError('unavailable', `webhook secret ${v.webhookSecretEnv} is not set`);
      if (!verifyPagerDutySignature(bodyOf(req), req.get('x-pagerduty-signature'), [secret])) throw new HttpError('unauthorized', 'bad signature');
      const ev = parsed(req) as { event?: { event_type?: string; agent?: { summary?: string }; data?: { incident_key?: string } } };
      const type = ev.event?.event_type;
      if (type === 'pagey.ping') return void res.json({ ok: true, ping: true });
      if (type !== 'incident.acknowledged') return void res.json({ ok: true, ignored: type ?? 'no event_type' });
      const key = ev.event?.data?.incident_key;
      if (typeof key !== 'string') throw new HttpError('unprocessable', 'event.data.incident_key missing: not an incident streamguard opened');
      const r = await service.acknowledge({ incidentId: key, vendor, by: ev.event?.agent?.summary ?? 'pagerduty' });
      res.status(r.ok ? 200 : 404).json(r);
    })
    .all(allowMethods('POST'));

  router
    .route('/api/v1/tickets/webhooks/ack/:vendor')
    .post(rawBody, async (req, res) => {
      const vendor = req.params.vendor!;
      const v = service.vendorConfig(vendor);
      if (!v || !v.ackTokenEnv) throw new HttpError('not_found', `no vendor "${vendor}" with an ackTokenEnv`);
      const expected = env[v.ackTokenEnv];
      if (!expected) throw new HttpError('unavailable', `ack token ${v.ackTokenEnv} is not set`);
      const auth = req.get('authorization');
      const query = typeof req.query.token === 'string' ? req.query.token : '';
      if (!safeEqual(auth?.startsWith('Bearer ') ? auth.slice(7) : query, expected)) throw new HttpError('unauthorized', 'bad token');
      const body = parsed(req) as { incident?: unknown; by?: unknown; status?: unknown };
      if (body.status !== undefined && body.status !== 'acknowledged') return void res.json({ ok: true, ignored: body.status });
      if (typeof body.incident !== 'string') throw new HttpError('bad_request', 'body.incident (the streamguard incident id) is required');
      const r = await service.acknowledge({ incidentId: body.incident, vendor, by: typeof body.by === 'string' ? body.by : vendor });
      res.status(r.ok ? 200 : 404).json(r);
    })
    .all(allowMethods('POST'));

  router
    .route('/api/v1/incidents/*id/evidence')
    .get(async (req, res) => {
      // Each segment arrives decoded: an id sent with raw slashes is its segments joined again.
      const id = (req.params.id as unknown as string[]).join('/');
      const bundle = await service.evidence(id);
      if (!bundle) throw new HttpError('not_found', `no incident "${id}"`);
      res.json(bundle);
    })
    .all(allowMethods('GET', 'HEAD'));

  router
    .route('/api/v1/tickets')
    .get(async (req, res) => {
      const id = typeof req.query.incident === 'string' ? req.query.incident : undefined;
      res.json(id ? await service.status(id) : { vendors: service.vendors(), stats: service.stats });
    })
    .all(allowMethods('GET', 'HEAD'));

  router
    .route('/api/v1/tickets/drill')
    .post(...jsonBody(maxBody), async (req, res) => {
      const body = (req.body ?? {}) as { waitAckMs?: unknown; only?: unknown; by?: unknown };
      res.json(
        await service.drill({
          ...(typeof body.waitAckMs === 'number' && { waitAckMs: Math.min(body.waitAckMs, 10 * 60_000) }),
          ...(Array.isArray(body.only) && { only: body.only.map(String) }),
          ...(typeof body.by === 'string' && { by: body.by }),
        }),
      );
    })
    .all(allowMethods('POST'));

  return router;
}

function bodyOf(req: Request): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}

function parsed(req: Request): unknown {
  try {
    return JSON.parse(bodyOf(req).toString('utf8')) as unknown;
  } catch {
    throw new HttpError('bad_request', 'body is not valid JSON');
  }
}
