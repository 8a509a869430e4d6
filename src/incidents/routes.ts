import express, { type Router } from 'express';
import { allowMethods, HttpError, intParam, queryParams } from '../http/index.ts';
import { knownIncidents, type IncidentReads } from './known.ts';

/**
 * The incident reads of the REST API (docs/api.md):
 *
 *   GET /api/v1/incidents?status=open|all&limit   incidents, newest first
 *   GET /api/v1/incidents/:id                     one incident with its timeline; the id
 *                                                 (`stream/line/kind@openedAt`) percent-encoded or with raw slashes
 */
export function incidentRoutes(reads: IncidentReads): Router {
  const router = express.Router();
  router
    .route('/api/v1/incidents')
    .get(async (req, res) => {
      const params = queryParams(req);
      const status = params.get('status') ?? 'open';
      if (status !== 'open' && status !== 'all') throw new HttpError('bad_request', `query parameter "status" must be "open" or "all", got "${status}"`);
      const limit = intParam(params, 'limit', { min: 1, max: 1000 }) ?? 100;
      const incidents = (await knownIncidents(reads, status === 'all')).sort((a, b) => b.openedAt - a.openedAt);
      res.json({ status, incidents: incidents.slice(0, limit), total: incidents.length });
    })
    .all(allowMethods('GET', 'HEAD'));
  router
    .route('/api/v1/incidents/*id')
    .get(async (req, res) => {
      // Each segment arrives decoded: an id sent with raw slashes is its segments joined again.
      const id = (req.params.id as string[]).join('/');
      const incident = await reads.repository.get(id);
      if (!incident) throw new HttpError('not_found', `no incident "${id}"`);
      res.json({ incident, timeline: await reads.repository.timeline(id) });
    })
    .all(allowMethods('GET', 'HEAD'));
  return router;
}
