import express, { type Router } from 'express';
import { allowMethods, HttpError, intParam, onlyParams, queryParams } from '../http/index.ts';
import { readHistory, type HistoryReads } from './read.ts';

export interface HistoryRoutesOptions {
  reads: HistoryReads;
  /** Stream ids of the config as last reloaded (an unknown stream is a 404). */
  streams(): readonly string[];
  clock(): number;
}

const MAX_SAMPLES = 50_000;
const DEFAULT_RANGE_MS = 5 * 60_000;
const PARAMS = ['from', 'to', 'limit', 'line', 'region'];

/**
 * The sample history of one configured stream (docs/api.md):
 *
 *   GET /api/v1/streams/:id/samples?from&to&line&region&limit   raw samples and minute rollups
 */
export function historyRoutes(opts: HistoryRoutesOptions): Router {
  const router = express.Router();
  router
    .route('/api/v1/streams/:id/samples')
    .get(async (req, res) => {
      const stream = req.params.id;
      if (!opts.streams().includes(stream)) throw new HttpError('not_found', `no stream "${stream}" in the config`);
      const params = queryParams(req);
      onlyParams(params, PARAMS);
      const to = intParam(params, 'to', { min: 0, unit: 'unix ms' }) ?? opts.clock();
      const from = intParam(params, 'from', { min: 0, unit: 'unix ms' }) ?? to - DEFAULT_RANGE_MS;
      if (from >= to) throw new HttpError('bad_request', `query parameter "from" must be before "to" (got from=${from}, to=${to})`);
      const limit = intParam(params, 'limit', { min: 1, max: MAX_SAMPLES }) ?? 10_000;
      const line = params.get('line') ?? undefined;
      const region = params.get('region') ?? undefined;
      res.json(await readHistory(opts.reads, { stream, from, to, limit, ...(line !== undefined && { line }), ...(region !== undefined && { region }) }));
    })
    .all(allowMethods('GET', 'HEAD'));
  return router;
}
