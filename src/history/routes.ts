import express, { type Router } from 'express';
import { z } from 'zod';
import { allowMethods, HttpError, intParam, intQuery, listQuery, onlyParams, queryParams, validQuery } from '../http/index.ts';
import { IncidentKindSchema } from '../model/incident.ts';
import { SEVERITIES } from '../model/severity.ts';
import type { AuditLog, IncidentRepository } from '../store/ports.ts';
import { actionHistory } from './action-history.ts';
import { incidentHistory } from './incident-history.ts';
import { inMinutes } from './minute-rollup.ts';
import { readHistory, type HistoryReads } from './read.ts';

export interface HistoryRoutesOptions {
  reads: HistoryReads;
  incidents: Pick<IncidentRepository, 'history' | 'timeline'>;
  audit: Pick<AuditLog, 'range'>;
  /** Stream ids of the config as last reloaded (an unknown stream is a 404). */
  streams(): readonly string[];
  clock(): number;
}

const MAX_SAMPLES = 50_000;
const DEFAULT_RANGE_MS = 5 * 60_000;
const PARAMS = ['from', 'to', 'limit', 'line', 'region', 'rollup'];
/** The incident and action history look back an hour unless told otherwise. */
const DEFAULT_HISTORY_MS = 60 * 60_000;
const MAX_RECORDS = 1000;

const unixMs = intQuery({ min: 0, unit: 'unix ms' });
const range = { from: unixMs.optional(), to: unixMs.optional(), stream: z.string().min(1, { error: 'must not be empty' }).optional(), limit: intQuery({ min: 1, max: MAX_RECORDS }).optional() };
const IncidentHistoryQuery = z.object({ ...range, severity: listQuery(SEVERITIES).optional(), kind: listQuery(IncidentKindSchema.options).optional() });
const ActionHistoryQuery = z.object(range);

/** [from, to): `to` defaults to now, `from` to `defaultMs` before it; `from` must come first. */
function timeRange(q: { from?: number | undefined; to?: number | undefined }, now: number, defaultMs: number): { from: number; to: number } {
  const to = q.to ?? now;
  const from = q.from ?? to - defaultMs;
  if (from >= to) throw new HttpError('bad_request', `query parameter "from" must be before "to" (got from=${from}, to=${to})`);
  return { from, to };
}

/**
 * The history reads (docs/api.md):
 *
 *   GET /api/v1/streams/:id/samples?from&to&line&region&limit&rollup  raw samples and minute rollups of one stream
 *   GET /api/v1/history/incidents?from&to&stream&severity&kind&limit  incidents live in the range, with what was done and how they ended
 *   GET /api/v1/history/actions?from&to&stream&limit                 the audit log of the range: switches, fail-backs, features, acks, silences…
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
      const { from, to } = timeRange({ from: intParam(params, 'from', { min: 0, unit: 'unix ms' }), to: intParam(params, 'to', { min: 0, unit: 'unix ms' }) }, opts.clock(), DEFAULT_RANGE_MS);
      const limit = intParam(params, 'limit', { min: 1, max: MAX_SAMPLES }) ?? 10_000;
      const line = params.get('line') ?? undefined;
      const region = params.get('region') ?? undefined;
      const rollup = params.get('rollup');
      if (rollup !== null && rollup !== 'minute') throw new HttpError('bad_request', `query parameter "rollup" must be "minute", got "${rollup}"`);
      // In minutes, every raw sample of the range is read (rolled up, they are small to send).
      const answer = await readHistory(opts.reads, { stream, from, to, limit: rollup ? Number.MAX_SAFE_INTEGER : limit, ...(line !== undefined && { line }), ...(region !== undefined && { region }) });
      res.json(rollup ? inMinutes(answer) : answer);
    })
    .all(allowMethods('GET', 'HEAD'));
  router
    .route('/api/v1/history/incidents')
    .get(async (req, res) => {
      const q = validQuery(IncidentHistoryQuery, req);
      const { from, to } = timeRange(q, opts.clock(), DEFAULT_HISTORY_MS);
      res.json({ from, to, ...(await incidentHistory(opts.incidents, { ...q, from, to, limit: q.limit ?? 200 })) });
    })
    .all(allowMethods('GET', 'HEAD'));
  router
    .route('/api/v1/history/actions')
    .get(async (req, res) => {
      const q = validQuery(ActionHistoryQuery, req);
      const { from, to } = timeRange(q, opts.clock(), DEFAULT_HISTORY_MS);
      res.json({ from, to, ...(await actionHistory(opts.audit, { ...q, from, to, limit: q.limit ?? 200 })) });
    })
    .all(allowMethods('GET', 'HEAD'));
  return router;
}
