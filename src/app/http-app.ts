import express, { type RequestHandler } from 'express';
import type { Authenticator } from '../auth/auth.ts';
import { requireRole } from '../auth/require-role.ts';
import { consoleRoutes } from '../console/routes.ts';
import { controlRoutes, type ControlSource } from '../control/routes.ts';
import { historyRoutes, type HistoryRoutesOptions } from '../history/routes.ts';
import { errorMiddleware, notFound } from '../http/index.ts';
import type { IncidentReads } from '../incidents/known.ts';
import { incidentRoutes } from '../incidents/routes.ts';
import type { HubMetrics } from '../metrics/metrics.ts';
import { metricsRoutes } from '../metrics/routes.ts';
import type { Logger } from '../shared/log.ts';
import type { CommandContext } from '../ws/commands.ts';
import { commandRoutes } from '../ws/rest.ts';
import { healthRoutes, type HealthOptions } from './health.ts';

export interface HubHttpOptions {
  auth: Authenticator;
  health: HealthOptions;
  metrics: Pick<HubMetrics, 'text' | 'contentType'>;
  incidents: IncidentReads;
  history: Omit<HistoryRoutesOptions, 'mayRead'>;
  commands: CommandContext;
  /** The built-in actuator's play and feature routes, when the controller runs. */
  control?: ControlSource | undefined;
  /** The tickets' routes (given the token checks), when tickets run. */
  tickets?: ((checks: { mayRead: RequestHandler; mayAct: RequestHandler }) => express.Router) | undefined;
  logger?: Logger;
}

/** JSON answers are live state: never from a cache (the console's files say otherwise). */
const noStore: RequestHandler = (_req, res, next) => {
  res.set('cache-control', 'no-store');
  next();
};

/**
 * Every HTTP route of the hub (docs/api.md) in one express app, and who may call it:
 *
 *   public       /healthz, /readyz, /metrics, the console (/ and /console/…), /api/v1/streams/:id/play|features,
 *                the vendors' inbound webhooks (they check their own secrets)
 *   any role     /api/v1/incidents… (evidence too), /api/v1/streams/:id/samples, /api/v1/tickets, /api/v1/state, query commands
 *   operator     the other commands (POST /api/v1/commands/:type), POST /api/v1/tickets/drill
 *
 * Then one 404 and one error middleware: every refusal is `{error: {code, message}}`.
 * WebSocket upgrades are not requests: src/app/upgrade.ts dispatches them.
 */
export function hubHttpApp(opts: HubHttpOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const mayRead = requireRole(opts.auth, 'viewer');
  app.use(noStore, healthRoutes(opts.health), metricsRoutes(opts.metrics), consoleRoutes());
  // Before the incident routes: /api/v1/incidents/:id/evidence is the tickets'.
  if (opts.tickets) app.use(opts.tickets({ mayRead, mayAct: requireRole(opts.auth, 'operator') }));
  if (opts.control) app.use(controlRoutes(opts.control));
  app.use(historyRoutes({ ...opts.history, mayRead }), incidentRoutes(opts.incidents, mayRead), commandRoutes(opts.commands, opts.auth));
  app.use(notFound, errorMiddleware(opts.logger));
  return app;
}
