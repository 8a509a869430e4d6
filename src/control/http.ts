import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StreamConfig } from '../model/stream.ts';
import { resolvePlay, type FeaturesAnswer } from './resolve.ts';
import type { ServedStream } from '../actuators/builtin.ts';
import type { StreamHealth } from './types.ts';

/**
 * Routes of the built-in actuator, for mounting in src/api/server.ts:
 *
 *   GET /api/v1/streams/:id/play[?region=R][&format=json]
 *       302 to the line's URL (players and edges follow), or 200 JSON PlayAnswer when
 *       `format=json` or the client accepts application/json (and not text/html or * / *)
 *   GET /api/v1/streams/:id/features   200 JSON {stream, features: {name: enabled}, updatedAt}
 *
 * `controlRoutes(source)` returns a handler that answers and returns true when the path is one
 * of these, and returns false (touching nothing) otherwise. Errors: JSON `{error}` with 400/404/405.
 */

export interface ControlSource {
  streams: readonly StreamConfig[];
  served(stream: string): ServedStream | undefined;
  health(stream: string): StreamHealth;
  /** Every feature the policies know for the stream (flags default to enabled). */
  knownFeatures(stream: string): string[];
}

const PLAY = /^\/api\/v1\/streams\/([^/]+)\/play$/;
const FEATURES = /^\/api\/v1\/streams\/([^/]+)\/features$/;

export function controlRoutes(source: ControlSource): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const play = PLAY.exec(url.pathname);
    const features = play ? undefined : FEATURES.exec(url.pathname);
    if (!play && !features) return false;
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), 'cache-control': 'no-store', ...headers });
      res.end(req.method === 'HEAD' ? undefined : text);
      return true;
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { error: `method ${req.method} not allowed on ${url.pathname}` }, { allow: 'GET, HEAD' });
    let id: string;
    try {
      id = decodeURIComponent((play ?? features)![1]!);
    } catch {
      return send(400, { error: 'path parameter "id" is not valid percent-encoding' });
    }
    const cfg = source.streams.find((s) => s.id === id);
    if (!cfg) return send(404, { error: `no stream "${id}" in the config` });
    const served = source.served(id) ?? { active: Object.keys(cfg.lines)[0]!, features: {}, updatedAt: 0 };

    if (features) {
      const flags: Record<string, boolean> = {};
      for (const f of source.knownFeatures(id)) flags[f] = true;
      Object.assign(flags, served.features);
      const body: FeaturesAnswer = { stream: id, features: flags, updatedAt: served.updatedAt };
      return send(200, body);
    }
    for (const name of url.searchParams.keys()) {
      if (name !== 'region' && name !== 'format') return send(400, { error: `unknown query parameter "${name}" (expected region, format)` });
    }
    const format = url.searchParams.get('format');
    if (format !== null && format !== 'json' && format !== 'redirect') return send(400, { error: `query parameter "format" must be "json" or "redirect", got "${format}"` });
    const region = url.searchParams.get('region') ?? undefined;
    if (region === '') return send(400, { error: 'query parameter "region" is empty' });
    const answer = resolvePlay(cfg, served, source.health(id), region);
    const accept = req.headers.accept ?? '';
    const json = format === 'json' || (format === null && /application\/json/.test(accept) && !/text\/html|\*\/\*/.test(accept));
    if (json) return send(200, answer);
    return send(302, answer, { location: answer.url });
  };
}

/** The same routes in the API's `rawRoutes` shape (`ApiOptions.rawRoutes` in src/api/server.ts). */
export function controlRawRoutes(source: ControlSource): { pattern: RegExp; handle(req: IncomingMessage, res: ServerResponse): void }[] {
  const handler = controlRoutes(source);
  return [{ pattern: /^\/api\/v1\/streams\/[^/]+\/(?:play|features)$/, handle: (req, res) => void handler(req, res) }];
}
