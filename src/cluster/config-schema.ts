import { hostname } from 'node:os';
import { z } from 'zod';
import { ID_PATTERN, idSchema } from '../model/ids.ts';

/**
 * How a hub leases shards (docs/operations.md "Cluster"). A hub renews its leases every `renewMs`;
 * the database expires a lease `expireMs` after its last renewal; the hub stops acting on it
 * `driftMarginMs` before that could happen (src/cluster/acting-deadline.ts says why). How many
 * shards there are is `uplink.nats.shardCount`: the one count the probes publish by.
 */
export const LeaseConfigSchema = z
  .object({
    renewMs: z.number().int().min(50).default(500),
    expireMs: z.number().int().min(200).default(3000),
    driftMarginMs: z.number().int().min(1).default(500),
  })
  .strict()
  .superRefine((c, ctx) => {
    // Two renewals at least before a hub stops acting: one slow statement does not cost its shards.
    if (c.expireMs - c.driftMarginMs < 2 * c.renewMs) {
      ctx.addIssue({ code: 'custom', path: ['expireMs'], message: `expireMs (${c.expireMs}) minus driftMarginMs (${c.driftMarginMs}) must leave room for two renewals (2 × renewMs = ${2 * c.renewMs})` });
    }
    // Clocks that are not disciplined drift by far less than 1 % (crystals: ~0.01 %); below that the margin covers nothing.
    if (c.driftMarginMs * 100 < c.expireMs) {
      ctx.addIssue({ code: 'custom', path: ['driftMarginMs'], message: `driftMarginMs (${c.driftMarginMs}) must be at least 1 % of expireMs (${c.expireMs})` });
    }
  });

export type LeaseConfig = z.infer<typeof LeaseConfigSchema>;

/** An http(s) URL other hubs reach this one at. */
const advertiseUrlSchema = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}, 'must be an http(s) URL (http://host:port) other hubs reach this hub at');

/**
 * Several hubs on one PostgreSQL and one NATS JetStream sharing the streams by shard
 * (docs/operations.md "Run a cluster"). Without it a hub runs alone. Needs a restart to change.
 */
export const ClusterConfigSchema = z.strictObject({
  /** This hub's name among the hubs; default env STREAMGUARD_HUB_ID, else the host name. */
  hub: idSchema.optional(),
  /** Where the other hubs reach this one; default env STREAMGUARD_ADVERTISE_URL, else http://<host name>:<listen port>. */
  advertiseUrl: advertiseUrlSchema.optional(),
  lease: LeaseConfigSchema.default(LeaseConfigSchema.parse({})),
});

export type ClusterConfig = z.infer<typeof ClusterConfigSchema>;

/** What of the whole config a cluster depends on (read before the rest is known to be valid). */
interface ClusterNeeds {
  cluster?: ClusterConfig | undefined;
  store: { postgres?: unknown };
  uplink: { nats?: { shards: 'all' | readonly number[] } | undefined };
  probe: { embedded: boolean };
}

/** Refuses, at their YAML paths, the settings a cluster cannot run with. */
export function refuseClusterConflicts(config: ClusterNeeds, ctx: z.RefinementCtx): void {
  if (!config.cluster) return;
  if (!config.store.postgres) ctx.addIssue({ code: 'custom', path: ['cluster'], message: 'needs store.postgres (a cluster shares its state in PostgreSQL)' });
  const nats = config.uplink.nats;
  if (!nats) ctx.addIssue({ code: 'custom', path: ['cluster'], message: 'needs uplink.nats (the hubs of a cluster take the samples of their shards from NATS JetStream)' });
  else if (nats.shards !== 'all') ctx.addIssue({ code: 'custom', path: ['uplink', 'nats', 'shards'], message: "must be 'all' in a cluster (the shard leases decide which shards each hub consumes)" });
  // Every hub's embedded probe would be "hub-<region>" with seqs from the same clock: their samples
  // would collide in the shared store (one kept, the other dropped as a resend).
  if (config.probe.embedded) ctx.addIssue({ code: 'custom', path: ['probe', 'embedded'], message: 'must be false in a cluster (region probes, started with --nats, probe for the hubs)' });
}

/** This hub's name and advertised URL, the defaults filled in. */
export interface ClusterIdentity {
  hub: string;
  advertiseUrl: string;
}

export function clusterIdentity(cluster: ClusterConfig, opts: { env: NodeJS.ProcessEnv; listenPort: number | undefined; host?: string }): ClusterIdentity {
  const host = opts.host ?? hostname();
  const fromEnv = opts.env.STREAMGUARD_HUB_ID;
  if (cluster.hub === undefined && fromEnv && !ID_PATTERN.test(fromEnv)) throw new Error(`STREAMGUARD_HUB_ID (${JSON.stringify(fromEnv)}): a hub's name must be 1–63 letters, digits, "_", "." or "-"`);
  const hub = cluster.hub ?? (fromEnv || host);
  const advertiseUrl = cluster.advertiseUrl ?? (opts.env.STREAMGUARD_ADVERTISE_URL || `http://${host}${opts.listenPort === undefined ? '' : `:${opts.listenPort}`}`);
  return { hub, advertiseUrl };
}
