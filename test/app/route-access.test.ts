/**
 * Who may call every route of the hub's express app, against a real hub with tokens configured:
 * the test walks the app's router stack, so a route added without a line in ROUTES fails here,
 * and calls each one without a token, as a viewer and as an operator.
 */
import http from 'node:http';
import type express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type HubHandle } from '../../src/app/start.ts';
import { authedHubConfig, TOKENS_ENV } from './helpers/authed-hub.ts';

const ENV = TOKENS_ENV;
const TOKENS = { none: undefined, viewer: ENV.SG_VIEW, operator: ENV.SG_OPS } as const;
type Caller = keyof typeof TOKENS;
type Access = 'public' | 'viewer' | 'operator';

interface Call {
  path: string;
  access: Access;
  body?: unknown;
}

/** Every route of the app (`METHOD path` as registered, `USE path` for a mounted middleware) and calls that reach it. */
const ROUTES: Record<string, Call[]> = {
  'GET /healthz': [{ path: '/healthz', access: 'public' }],
  'GET /readyz': [{ path: '/readyz', access: 'public' }],
  'GET /metrics': [{ path: '/metrics', access: 'public' }],
  'GET /': [{ path: '/', access: 'public' }],
  'GET /console/jsmpeg-player.esm.js': [{ path: '/console/jsmpeg-player.esm.js', access: 'public' }],
  'GET /console/uPlot.esm.js': [{ path: '/console/uPlot.esm.js', access: 'public' }],
  'GET /console/uPlot.min.css': [{ path: '/console/uPlot.min.css', access: 'public' }],
  'USE /console': [{ path: '/console/console.js', access: 'public' }],
  'POST /api/v1/tickets/webhooks/pagerduty/:vendor': [{ path: '/api/v1/tickets/webhooks/pagerduty/pd', access: 'public', body: {} }],
  'POST /api/v1/tickets/webhooks/ack/:vendor': [{ path: '/api/v1/tickets/webhooks/ack/desk', access: 'public', body: {} }],
  // No source "edge" here: 404 past the gate (a source checks its own ?token=).
  'POST /api/v1/discovery/:source/hooks': [{ path: '/api/v1/discovery/edge/hooks', access: 'public', body: { action: 'postPublish', app: 'live', name: 'x' } }],
  'GET /api/v1/incidents/*id/evidence': [{ path: '/api/v1/incidents/s1%2Fprimary%2Fdown%401/evidence', access: 'viewer' }],
  'GET /api/v1/tickets': [{ path: '/api/v1/tickets', access: 'viewer' }],
  'POST /api/v1/tickets/drill': [
    { path: '/api/v1/tickets/drill', access: 'operator', body: { waitAckMs: 0 } },
    // express matches paths case-insensitively and with a trailing slash: so does the gate.
    { path: '/API/v1/Tickets/DRILL/', access: 'operator', body: { waitAckMs: 0 } },
  ],
  'GET /api/v1/streams/:id/features': [{ path: '/api/v1/streams/s1/features', access: 'public' }],
  'GET /api/v1/streams/:id/play': [{ path: '/api/v1/streams/s1/play?format=json', access: 'public' }],
  'GET /api/v1/streams/:id/samples': [{ path: '/api/v1/streams/s1/samples', access: 'viewer' }],
  'GET /api/v1/history/incidents': [{ path: '/api/v1/history/incidents?stream=s1&severity=P0,P1', access: 'viewer' }],
  'GET /api/v1/history/actions': [{ path: '/api/v1/history/actions?stream=s1', access: 'viewer' }],
  'GET /api/v1/incidents': [{ path: '/api/v1/incidents', access: 'viewer' }],
  'GET /api/v1/incidents/*id': [{ path: '/api/v1/incidents/s1%2Fprimary%2Fdown%401', access: 'viewer' }],
  'POST /api/v1/commands/:type': [
    { path: '/api/v1/commands/state', access: 'viewer', body: {} },
    { path: '/api/v1/commands/audit', access: 'viewer', body: { limit: 1 } },
    { path: '/api/v1/commands/switch', access: 'operator', body: { stream: 's1', line: 'backup', reason: 'route walk' } },
    { path: '/api/v1/commands/%73witch', access: 'operator', body: { stream: 's1', line: 'primary', reason: 'route walk' } },
    { path: '/api/v1/Commands/switch/', access: 'operator', body: { stream: 's1', line: 'primary', reason: 'route walk' } },
    { path: '/api/v1/commands/feature', access: 'operator', body: { stream: 's1', feature: 'captions', enabled: false, reason: 'route walk' } },
    { path: '/api/v1/commands/registry', access: 'viewer', body: {} },
    { path: '/api/v1/commands/remove-stream', access: 'operator', body: { stream: 'not-there', reason: 'route walk' } },
  ],
  'GET /api/v1/state': [{ path: '/api/v1/state', access: 'viewer' }],
};

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: string;
}

/** The routes registered in an express app, walking mounted routers. */
function registeredRoutes(app: express.Express): string[] {
  const found = new Set<string>();
  const walk = (stack: Layer[]) => {
    for (const l of stack) {
      if (l.route) {
        const methods = Object.keys(l.route.methods).filter((m) => m !== '_all');
        found.add(`${methods.map((m) => m.toUpperCase()).join(',') || 'ALL'} ${l.route.path}`);
      } else if (l.handle?.stack) walk(l.handle.stack);
      else if (l.rawPath && l.rawPath !== '/') found.add(`USE ${l.rawPath}`);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return [...found].sort();
}

function call(hub: HubHandle, method: string, c: Call, caller: Caller): Promise<number> {
  const port = Number(hub.address!.slice(hub.address!.lastIndexOf(':') + 1));
  const token = TOKENS[caller];
  const body = c.body === undefined ? undefined : JSON.stringify(c.body);
  const headers: Record<string, string> = { ...(token && { authorization: `Bearer ${token}` }), ...(body !== undefined && { 'content-type': 'application/json' }) };
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: c.path, method, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** What a caller must get: refused (401 without a token, 403 a viewer on an operator route), or let through to the route. */
function expected(access: Access, caller: Caller): 'unauthorized' | 'forbidden' | 'through' {
  if (access === 'public') return 'through';
  if (caller === 'none') return 'unauthorized';
  return access === 'operator' && caller === 'viewer' ? 'forbidden' : 'through';
}

function outcome(access: Access, status: number): 'unauthorized' | 'forbidden' | 'through' | `unexpected ${number}` {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  // A route past the gate answers 200 or 404 (an unknown incident); public ones may also redirect,
  // say not ready (503) or find no vendor of that name (404).
  const fine = access === 'public' ? [200, 302, 404, 503] : [200, 404];
  return fine.includes(status) ? 'through' : `unexpected ${status}`;
}

describe('every route behind the one token gate', () => {
  let hub: HubHandle;
  beforeAll(async () => {
    const config = authedHubConfig();

    hub = await startHub(config, { probes: false, tickMs: 0, env: ENV });
  });
  afterAll(async () => {
    await hub?.stop();
  });

  it('knows every registered route', () => {
    const app = hub.server!.listeners('request')[0] as express.Express;
    expect(registeredRoutes(app)).toEqual(Object.keys(ROUTES).sort());
  });

  it('answers each route as its access says: 401 without a token, 403 to a viewer acting, the route otherwise', async () => {
    const seen: string[] = [];
    const want: string[] = [];
    for (const [route, calls] of Object.entries(ROUTES)) {
      const method = route.startsWith('USE ') ? 'GET' : route.slice(0, route.indexOf(' '));
      for (const c of calls) {
        for (const caller of ['none', 'viewer', 'operator'] as const) {
          seen.push(`${caller} ${method} ${c.path}: ${outcome(c.access, await call(hub, method, c, caller))}`);
          want.push(`${caller} ${method} ${c.path}: ${expected(c.access, caller)}`);
        }
      }
    }
    expect(seen).toEqual(want);
  });
});
