import { z } from 'zod';

/**
 * How a hub leases shards (docs/operations.md "Cluster"). A hub renews its leases every `renewMs`;
 * the database expires a lease `expireMs` after its last renewal; the hub stops acting on it
 * `driftMarginMs` before that could happen (src/cluster/acting-deadline.ts says why).
 */
export const LeaseConfigSchema = z
  .object({
    /** How many shards the streams are hashed into; every hub of a cluster must agree. */
    shards: z.number().int().min(1).max(4096).default(64),
    renewMs: z.number().int().min(50).default(1000),
    expireMs: z.number().int().min(200).default(5000),
    driftMarginMs: z.number().int().min(1).default(1000),
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
