import express, { type Router } from 'express';
import { allowMethods } from '../http/index.ts';
import type { HubMetrics } from './metrics.ts';

/** `GET /metrics`: the Prometheus text exposition, public like the scrapers that read it. */
export function metricsRoutes(metrics: Pick<HubMetrics, 'text' | 'contentType'>): Router {
  const router = express.Router();
  router
    .route('/metrics')
    .get(async (_req, res) => {
      const text = await metrics.text();
      res.type(metrics.contentType).send(text);
    })
    .all(allowMethods('GET', 'HEAD'));
  return router;
}
