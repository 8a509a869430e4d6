import express, { type Request, type RequestHandler } from 'express';
import type { Authenticator } from '../auth/auth.ts';
import type { OriginPolicy } from '../auth/origin.ts';
import { authGate, type Access } from '../auth/require-role.ts';
import { consoleRoutes } from '../console/routes.ts';
import { controlRoutes, type ControlSource } from '../control/routes.ts';
import { historyRoutes, type HistoryRoutesOptions } from '../history/routes.ts';
import { errorMiddleware, notFound } from '../http/index.ts';
import type { IncidentReads } from '../incidents/known.ts';
import { incidentRoutes } from '../incidents/routes.ts';
import type { HubMetrics } from '../metrics/metrics.ts';
import { metricsRoutes } from '../metrics/routes.ts';
import type { Logger } from '../common/log.ts';
import { neededRole, type CommandContext, type RequestType } from '../ws/commands.ts';
import { commandRoutes } from '../ws/rest.ts';
import { healthRoutes, type HealthOptions } from './health.ts';

export interface HubHttpOptions {
  auth: Authenticator;
  /** Which Host and Origin headers the hub answers (cross-site pages, DNS rebinding). */
  origins: OriginPolicy;
  health: HealthOptions;
  metrics: Pick<HubMetrics, 'text' | 'contentType'>;
  incidents: IncidentReads;
  history: HistoryRoutesOptions;
  commands: CommandContext;
  /** The built-in actuator's play and feature routes, when the controller runs. */
  control?: ControlSource | undefined;
  /** The tickets' routes, when tickets run. */
  tickets?: express.Router | undefined;
  /** Media servers' publish callbacks (src/discovery/webhook.ts). */
  discovery?: express.Router | undefined;
  logger?: Logger;
}

/**
 * The routes anyone may call, without a token. Everything else needs at least a viewer's token:
 * a route added without a line here is closed by default.
 */
const PUBLIC_ROUTES: readonly RegExp[] = [
  /^\/(?:healthz|readyz|metrics)$/, // orchestrators, load balancers, scrapers
  /^\/(?:console\/.*)?$/, // the console's page and files: they hold no data, /ws checks the token
  /^\/api\/v1\/streams\/[^/]+\/(?:play|features)$/, // players, edges and apps
  /^\/api\/v1\/tickets\/webhooks\//, // vendors: each checks its own secret
  /^\/api\/v1\/discovery\/[^/]+\/hooks$/, // media servers' publish callbacks: each source checks its own secret
];

/** The routes that act, and need an operator (the commands' role depends on the command). */
function operatorOnly(path: string): boolean {
  const command = /^\/api\/v1\/commands\/([^/]+)$/.exec(path);
  // Decoded as the route decodes it (`%73witch` is `switch`); a name that does not decode is no query.
  if (command) {
    const type = decoded(command[1]!);
    return type === undefined || neededRole(type as RequestType) === 'operator';
  }
  return path === '/api/v1/tickets/drill';
}

function decoded(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * What a request needs: the one place the hub decides who may call what. The path is compared as
 * the routers match it: case-insensitive, with or without a trailing slash.
 */
export function accessOf(req: Request): Access {
  const path = req.path.length > 1 ? req.path.replace(/\/$/, '').toLowerCase() : req.path;
  if (PUBLIC_ROUTES.some((r) => r.test(path))) return 'public';
  return operatorOnly(path) ? 'operator' : 'viewer';
}

/** JSON answers are live state: never from a cache (the console's files say otherwise). */
const noStore: RequestHandler = (_req, res, next) => {
  res.set('cache-control', 'no-store');
  next();
};

/**
 * Every HTTP route of the hub (docs/api.md) in one express app, behind two checks:
 *
 *   origins      the Host of every request and the Origin of every request that may change
 *                something (src/auth/origin.ts): 403 for a foreign one
 *   tokens       one gate (accessOf): public routes (PUBLIC_ROUTES) pass; the commands that act
 *                and the ticket drill need an operator; everything else a viewer
 *
 * Then the modules' routers, one 404 and one error middleware: every refusal is
 * `{error: {code, message}}`. WebSocket upgrades are not requests: src/app/upgrade.ts dispatches them.
 */
export function hubHttpApp(opts: HubHttpOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(opts.origins.middleware(), authGate(opts.auth, accessOf));
  app.use(noStore, healthRoutes(opts.health), metricsRoutes(opts.metrics), consoleRoutes());
  // Before the incident routes: /api/v1/incidents/:id/evidence is the tickets'.
  if (opts.tickets) app.use(opts.tickets);
  if (opts.control) app.use(controlRoutes(opts.control));
  if (opts.discovery) app.use(opts.discovery);
  app.use(historyRoutes(opts.history), incidentRoutes(opts.incidents), commandRoutes(opts.commands));
  app.use(notFound, errorMiddleware(opts.logger));
  return app;
}
