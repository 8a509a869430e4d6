import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Authenticator } from '../auth/auth.ts';
import type { Hub } from './hub.ts';
import type { Incident } from '../model/incident.ts';
import type { Logger } from '../shared/log.ts';
import type { IncidentRepository, SampleHistory } from '../store/ports.ts';

/**
 * REST API (docs/api.md) on node:http: read-only for now.
 *
 *   GET /healthz                                 liveness + probes heard
 *   GET /api/v1/incidents?status=open|all        incidents, newest first
 *   GET /api/v1/incidents/:id                    one incident with its timeline
 *   GET /api/v1/streams/:id/samples?from&to…     raw samples (and minute rollups) of a stream
 *
 * Errors are JSON `{error}`; a bad query parameter is a 400 that names it.
 */

export interface RawRoute {
  pattern: RegExp;
  handle(req: IncomingMessage, res: ServerResponse, url: URL, params: string[]): void | Promise<void>;
}

/** The store reads the API answers from. */
export interface ApiStore {
  incidents: Pick<IncidentRepository, 'open' | 'get' | 'timeline'>;
  samples: Pick<SampleHistory, 'samples' | 'rollups' | 'unmerged'>;
}

export interface ApiOptions {
  hub: Hub;
  store: ApiStore;
  /** Stream ids from the config (unknown stream → 404). */
  streams: readonly string[] | (() => readonly string[]);
  /** Number of in-process probe lines running (for /healthz). */
  localProbes?: () => number;
  /**
   * Routes that answer by themselves (not JSON): /metrics, and later the control and ticket
   * endpoints. Matched before the JSON routes.
   */
  rawRoutes?: RawRoute[];
  /** Remote probe uplink status for /healthz (src/uplink), when mounted. */
  uplink?: () => unknown;
  logger?: Logger;
  /**
   * Operator auth (docs/ws-api.md): when given, the JSON routes below except /healthz need a
   * viewer or operator token (`Authorization: Bearer`), else 401. Raw routes do their own.
   */
  auth?: Authenticator;
  /** Serve HTTPS (and so wss for the probe uplink): PEM certificate and key. */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const MAX_SAMPLES = 50_000;
const DEFAULT_SAMPLES_RANGE_MS = 5 * 60_000;

type Handler = (req: IncomingMessage, url: URL, params: string[]) => unknown;

export function createApi(opts: ApiOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { hub, store } = opts;
  const streamIds = opts.streams;
  let streams = new Set(typeof streamIds === 'function' ? streamIds() : streamIds);
  const refreshStreams = () => {
    if (typeof streamIds === 'function') streams = new Set(streamIds());
  };

  const routes: { pattern: RegExp; handler: Handler }[] = [
    { pattern: /^\/healthz$/, handler: () => healthz() },
    { pattern: /^\/api\/v1\/incidents$/, handler: (_req, url) => listIncidents(url) },
    // Incident ids are `stream/line/kind@openedAt`: accept them encoded (%2F) or with raw slashes.
    { pattern: /^\/api\/v1\/incidents\/(.+)$/, handler: (_req, _url, [id]) => getIncident(id!) },
    { pattern: /^\/api\/v1\/streams\/([^/]+)\/samples$/, handler: (_req, url, [id]) => streamSamples(id!, url) },
  ];

  function healthz() {
    const now = hub.clock();
    const probes = hub.probeStatus().map((p) => ({
      probe: p.probe,
      region: p.region,
      lastSeenAgoMs: Math.max(0, now - p.lastSeenAt),
      blind: p.blind,
    }));
    const ingest = hub.ingestStats;
    return {
      ok: true,
      uptimeS: Math.round((now - hub.startedAt) / 1000),
      probes,
      localProbeLines: opts.localProbes?.() ?? 0,
      openIncidents: hub.incidents.open().length,
      samples: {
        accepted: ingest.accepted,
        rejected: ingest.rejected,
        written: ingest.written,
        pending: ingest.pending,
        unmerged: store.samples.unmerged(),
      },
      ...(opts.uplink && { uplink: opts.uplink() }),
    };
  }

  async function listIncidents(url: URL) {
    const status = url.searchParams.get('status') ?? 'open';
    if (status !== 'open' && status !== 'all') throw new HttpError(400, `query parameter "status" must be "open" or "all", got "${status}"`);
    const limit = intParam(url, 'limit', 1, 1000) ?? 100;
    const byId = new Map<string, Incident>();
    for (const inc of await store.incidents.open()) byId.set(inc.id, inc);
    if (status === 'all') {
      // The repository has no history query yet: "all" = open + every incident touched since start.
      for (const id of hub.incidents.recent()) {
        if (byId.has(id)) continue;
        const inc = await store.incidents.get(id);
        if (inc) byId.set(id, inc);
      }
    }
    const incidents = [...byId.values()].sort((a, b) => b.openedAt - a.openedAt);
    return { status, incidents: incidents.slice(0, limit), total: incidents.length };
  }

  async function getIncident(raw: string) {
    const id = decode(raw, 'id');
    const incident = await store.incidents.get(id);
    if (!incident) throw new HttpError(404, `no incident "${id}"`);
    return { incident, timeline: await store.incidents.timeline(id) };
  }

  async function streamSamples(raw: string, url: URL) {
    const stream = decode(raw, 'id');
    refreshStreams();
    if (!streams.has(stream)) throw new HttpError(404, `no stream "${stream}" in the config`);
    for (const name of url.searchParams.keys()) {
      if (!['from', 'to', 'limit', 'line', 'region'].includes(name)) throw new HttpError(400, `unknown query parameter "${name}" (expected from, to, limit, line, region)`);
    }
    const now = hub.clock();
    const to = intParam(url, 'to', 0) ?? now;
    const from = intParam(url, 'from', 0) ?? to - DEFAULT_SAMPLES_RANGE_MS;
    if (from >= to) throw new HttpError(400, `query parameter "from" must be before "to" (got from=${from}, to=${to})`);
    const limit = intParam(url, 'limit', 1, MAX_SAMPLES) ?? 10_000;
    const line = url.searchParams.get('line') ?? undefined;
    const region = url.searchParams.get('region') ?? undefined;
    try {
      hub.flush();
    } catch {
      // serve what is stored
    }
    const q = { stream, from, to, ...(line !== undefined && { line }), ...(region !== undefined && { region }) };
    const samples = await store.samples.samples(q);
    const rollups = await store.samples.rollups(q);
    return { stream, from, to, samples: samples.slice(-limit), truncated: samples.length > limit, rollups };
  }

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let status = 200;
    let body: unknown;
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      for (const raw of opts.rawRoutes ?? []) {
        const m = raw.pattern.exec(url.pathname);
        if (!m) continue;
        Promise.resolve(raw.handle(req, res, url, m.slice(1))).catch((err: unknown) => {
          opts.logger?.error({ err, url: req.url }, 'API request failed');
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
          res.end(JSON.stringify({ error: 'internal error' }));
        });
        return;
      }
      const route = routes.map((r) => ({ r, m: r.pattern.exec(url.pathname) })).find((x) => x.m);
      if (!route) throw new HttpError(404, `no route ${url.pathname}`);
      if (opts.auth && url.pathname !== '/healthz' && !opts.auth.check(Authenticator.bearer(req))) throw new HttpError(401, opts.auth.refusal());
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD');
        throw new HttpError(405, `method ${req.method} not allowed on ${url.pathname}`);
      }
      body = await route.r.handler(req, url, route.m!.slice(1));
    } catch (err) {
      if (err instanceof HttpError) {
        status = err.status;
        body = { error: err.message };
      } else {
        status = 500;
        body = { error: 'internal error' };
        opts.logger?.error({ err, url: req.url }, 'API request failed');
      }
    }
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : text);
  }

  return (req, res) => void answer(req, res);
}

function decode(raw: string, name: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, `path parameter "${name}" is not valid percent-encoding`);
  }
}

function intParam(url: URL, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = url.searchParams.get(name);
  if (v === null) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new HttpError(400, `query parameter "${name}" must be an integer${max === Number.MAX_SAFE_INTEGER ? ` ≥ ${min}` : ` from ${min} to ${max}`}${name === 'from' || name === 'to' ? ' (unix ms)' : ''}, got "${v}"`);
  }
  return n;
}

export interface ApiServer {
  server: Server;
  /** Bound address, e.g. "127.0.0.1:8080" (the real port when 0 was asked). */
  address: string;
  port: number;
  close(): Promise<void>;
}

/** Listens on `HOST:PORT` (port 0 = any free port). */
export async function startApi(listen: string, opts: ApiOptions): Promise<ApiServer> {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i);
  const port = Number(listen.slice(i + 1));
  const handler = createApi(opts);
  const server: Server = opts.tls ? (createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, handler) as unknown as Server) : createServer(handler);
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  const address = `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  return {
    server,
    address,
    port: a.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
