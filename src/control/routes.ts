import express, { type Router } from 'express';
import type { ServedStream } from '../actuators/builtin.ts';
import { allowMethods, HttpError, onlyParams, queryParams } from '../http/index.ts';
import type { StreamConfig } from '../model/stream.ts';
import { resolvePlay, type FeaturesAnswer } from './resolve.ts';
import type { StreamHealth } from './types.ts';

/**
 * Routes of the built-in actuator (docs/control.md), public: players, edges and apps call them.
 *
 *   GET /api/v1/streams/:id/play[?region=R][&format=json|redirect]
 *       302 to the line's URL (players and edges follow), or 200 JSON PlayAnswer when
 *       `format=json` or the client accepts application/json (and not text/html or * / *)
 *   GET /api/v1/streams/:id/features   200 JSON {stream, features: {name: enabled}, updatedAt}
 */

export interface ControlSource {
  streams: readonly StreamConfig[];
  served(stream: string): ServedStream | undefined;
  health(stream: string): StreamHealth;
  /** Every feature the policies know for the stream (flags default to enabled). */
  knownFeatures(stream: string): string[];
}

export function controlRoutes(source: ControlSource): Router {
  const router = express.Router();
  const stream = (id: string) => {
    const cfg = source.streams.find((s) => s.id === id);
    if (!cfg) throw new HttpError('not_found', `no stream "${id}" in the config`);
    return { cfg, served: source.served(id) ?? { active: Object.keys(cfg.lines)[0]!, features: {}, updatedAt: 0 } };
  };
  router
    .route('/api/v1/streams/:id/features')
    .get((req, res) => {
      const id = req.params.id;
      const { served } = stream(id);
      const flags: Record<string, boolean> = {};
      for (const f of source.knownFeatures(id)) flags[f] = true;
      Object.assign(flags, served.features);
      const body: FeaturesAnswer = { stream: id, features: flags, updatedAt: served.updatedAt };
      res.json(body);
    })
    .all(allowMethods('GET', 'HEAD'));
  router
    .route('/api/v1/streams/:id/play')
    .get((req, res) => {
      const id = req.params.id;
      const { cfg, served } = stream(id);
      const params = queryParams(req);
      onlyParams(params, ['region', 'format']);
      const format = params.get('format');
      if (format !== null && format !== 'json' && format !== 'redirect') throw new HttpError('bad_request', `query parameter "format" must be "json" or "redirect", got "${format}"`);
      const region = params.get('region') ?? undefined;
      if (region === '') throw new HttpError('bad_request', 'query parameter "region" is empty');
      const answer = resolvePlay(cfg, served, source.health(id), region);
      const accept = req.headers.accept ?? '';
      const json = format === 'json' || (format === null && /application\/json/.test(accept) && !/text\/html|\*\/\*/.test(accept));
      if (!json) res.status(302).set('location', answer.url);
      res.json(answer);
    })
    .all(allowMethods('GET', 'HEAD'));
  return router;
}
