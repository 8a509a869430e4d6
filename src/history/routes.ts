import express, { type Router } from 'express';
import { z } from 'zod';
import { allowMethods, HttpError, intQuery, listQuery, validQuery } from '../http/index.ts';
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
/** The incident and action history look back an hour unless told otherwise. */
const DEFAULT_HISTORY_MS = 60 * 60_000;
const MAX_RECORDS = 1000;

const unixMs = intQuery({ min: 0, unit: 'unix ms' });
const RANGE_PARAMS = { from: unixMs.optional(), to: unixMs.optional(), stream: z.string().min(1, { error: 'must not be empty' }).optional(), limit: intQuery({ min: 1, max: MAX_RECORDS }).optional() };
const SamplesQuery = z.object({
  from: unixMs.optional(),
  to: unixMs.optional(),
  limit: intQuery({ min: 1, max: MAX_SAMPLES }).optional(),
  line: z.string().optional(),
  region: z.string().optional(),
  rollup: z.literal('minute', { error: 'must be "minute"' }).optional(),
});
const IncidentHistoryQuery = z.object({ ...RANGE_PARAMS, severity: listQuery(SEVERITIES).optional(), kind: listQuery(IncidentKindSchema.options).optional() });
const ActionHistoryQuery = z.object(RANGE_PARAMS);

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
      const q = validQuery(SamplesQuery, req);
      const { from, to } = timeRange(q, opts.clock(), DEFAULT_RANGE_MS);
      const { line, region, rollup } = q;
      // In minutes, every raw sample of the range is read (rolled up, they are small to send).
      const answer = await readHistory(opts.reads, { stream, from, to, limit: rollup ? Number.MAX_SAFE_INTEGER : (q.limit ?? 10_000), ...(line !== undefined && { line }), ...(region !== undefined && { region }) });
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
