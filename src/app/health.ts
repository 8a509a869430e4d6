import express, { type Router } from 'express';
import { allowMethods } from '../http/index.ts';
import type { AuditLog, SampleHistory } from '../store/ports.ts';
import type { Hub } from './hub.ts';

export interface HealthOptions {
  hub: Pick<Hub, 'clock' | 'startedAt' | 'probeStatus' | 'ingestStats'> & { incidents: Pick<Hub['incidents'], 'open'> };
  /** Read to tell that the store answers. */
  audit: Pick<AuditLog, 'recent'>;
  samples: Pick<SampleHistory, 'unmerged'>;
  /** Stream × line readers the hub runs itself. */
  localProbeLines(): number;
  /** The remote probe uplink's status, when it runs. */
  uplink(): unknown;
  /** A probe heard within this is fresh: readiness needs one. */
  probeFreshMs: number;
}

/**
 * Liveness and readiness (docs/api.md), public for orchestrators and load balancers:
 *
 *   GET /healthz   always 200 while the hub runs: uptime, probes heard, open incidents, sample counts
 *   GET /readyz    200 when the store answers and a probe was heard recently, else 503
 */
export function healthRoutes(opts: HealthOptions): Router {
  const { hub } = opts;
  const router = express.Router();
  router
    .route('/healthz')
    .get((_req, res) => {
      const now = hub.clock();
      const probes = hub.probeStatus().map((p) => ({ probe: p.probe, region: p.region, lastSeenAgoMs: Math.max(0, now - p.lastSeenAt), blind: p.blind }));
      const ingest = hub.ingestStats;
      const uplink = opts.uplink();
      res.json({
        ok: true,
        uptimeS: Math.round((now - hub.startedAt) / 1000),
        probes,
        localProbeLines: opts.localProbeLines(),
        openIncidents: hub.incidents.open().length,
        samples: { accepted: ingest.accepted, rejected: ingest.rejected, written: ingest.written, pending: ingest.pending, unmerged: opts.samples.unmerged() },
        ...(uplink !== undefined && { uplink }),
      });
    })
    .all(allowMethods('GET', 'HEAD'));
  router
    .route('/readyz')
    .get(async (_req, res) => {
      const checks: Record<string, { ok: boolean; detail?: string }> = {};
      try {
        await opts.audit.recent(1);
        checks.store = { ok: true };
      } catch (err) {
        checks.store = { ok: false, detail: (err as Error).message };
      }
      const now = hub.clock();
      const fresh = opts.probeFreshMs;
      const probes = hub.probeStatus().filter((p) => now - p.lastSeenAt <= fresh && !p.blind);
      checks.probes = probes.length > 0 ? { ok: true, detail: `${probes.length} probe(s) heard within ${fresh} ms` } : { ok: false, detail: `no probe heard within ${fresh} ms` };
      const ok = Object.values(checks).every((c) => c.ok);
      res.status(ok ? 200 : 503).json({ ok, checks });
    })
    .all(allowMethods('GET', 'HEAD'));
  return router;
}
