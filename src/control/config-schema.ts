import { z } from 'zod';
import { durationSchema } from '../model/duration.ts';
import { idSchema } from '../model/ids.ts';
import { ActuatorConfigSchema } from '../actuators/config-schema.ts';

/**
 * `control:` section of the config (docs/control.md). Self-contained (no import from
 * src/config/schema.ts, which embeds this one: no import cycle).
 *
 * ```yaml
 * control:
 *   dryRun: false
 *   default:                 # policy of every stream …
 *     failback: primary-preferred   # or sticky
 *     holdOff: 30s
 *   streams:
 *     show-1: { failback: sticky }  # … overridden per stream, key by key
 *   actuators:
 *     - { type: webhook, name: edge, url: https://edge.example/switch, secretEnv: EDGE_SECRET }
 *     - { type: command, name: cdn, argv: [/usr/local/bin/cdn-switch, '{stream}', '{to}'] }
 * ```
 */


const name = idSchema;


/** Every key optional: `default` and per-stream entries are merged over DEFAULT_POLICY. */
export const PolicyOverrideSchema = z.strictObject({
  /** `primary-preferred`: return to the preferred line once it has been healthy for `holdOff`; `sticky`: stay until an operator moves it. */
  failback: z.enum(['primary-preferred', 'sticky']).optional(),
  /** The line to prefer and start on (default: the stream's first configured line). */
  preferred: name.optional(),
  /** What makes the active line unusable: `down` (P1/P0 down incidents) or also `degraded` (P2). */
  failoverAt: z.enum(['down', 'degraded']).optional(),
  /** Failback hold-off: the preferred line must have been healthy this long. Grows × failovers in the last hour. */
  holdOff: durationSchema.optional(),
  /** Cap of the grown hold-off. */
  maxHoldOff: durationSchema.optional(),
  /** Minimum time on a line before a failback (leaving a down line is never delayed). */
  minDwell: durationSchema.optional(),
  /** Automatic switches per sliding hour; a failback that could exceed it is held (and escalated) instead. */
  maxSwitchesPerHour: z.number().int().min(2).max(1000).optional(),
  /** Incident kind (`down`, `degraded`) or detector rule name (`latency`, `freeze`, …) → features to disable while it lasts. */
  features: z.record(z.string().min(1), z.array(name)).optional(),
  /** A disabled feature is re-enabled once its triggers have been gone this long. */
  featureHoldOff: durationSchema.optional(),
  /** Decide and record, never act. */
  dryRun: z.boolean().optional(),
});
export type PolicyOverride = z.infer<typeof PolicyOverrideSchema>;

export interface Policy {
  failback: 'primary-preferred' | 'sticky';
  preferred?: string;
  failoverAt: 'down' | 'degraded';
  holdOffMs: number;
  maxHoldOffMs: number;
  minDwellMs: number;
  maxSwitchesPerHour: number;
  features: Record<string, string[]>;
  featureHoldOffMs: number;
  dryRun: boolean;
}

export const DEFAULT_POLICY: Readonly<Policy> = Object.freeze({
  failback: 'primary-preferred',
  failoverAt: 'down',
  holdOffMs: 30_000,
  maxHoldOffMs: 5 * 60_000,
  minDwellMs: 10_000,
  maxSwitchesPerHour: 6,
  features: {},
  featureHoldOffMs: 30_000,
  dryRun: false,
});

export const ControlConfigSchema = z
  .strictObject({
    /** Global dry-run: every stream decides and records, nothing acts. */
    dryRun: z.boolean().default(false),
    default: PolicyOverrideSchema.default({}),
    streams: z.record(name, PolicyOverrideSchema).default({}),
    actuators: z.array(ActuatorConfigSchema).default([]),
    /** Controller evaluation tick. */
    tick: durationSchema.default(1000),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.actuators.forEach((a, i) => {
      if (seen.has(a.name)) ctx.addIssue({ code: 'custom', path: ['actuators', i, 'name'], message: `duplicate actuator name "${a.name}"` });
      seen.add(a.name);
    });
  });
export type ControlConfig = z.infer<typeof ControlConfigSchema>;

/** The effective policy of one stream: DEFAULT_POLICY ← control.default ← control.streams[stream]; global dryRun wins. */
export function policyFor(config: ControlConfig, stream: string): Policy {
  const p: Policy = { ...DEFAULT_POLICY, features: { ...DEFAULT_POLICY.features } };
  for (const o of [config.default, config.streams[stream]]) {
    if (!o) continue;
    if (o.failback !== undefined) p.failback = o.failback;
    if (o.preferred !== undefined) p.preferred = o.preferred;
    if (o.failoverAt !== undefined) p.failoverAt = o.failoverAt;
    if (o.holdOff !== undefined) p.holdOffMs = o.holdOff;
    if (o.maxHoldOff !== undefined) p.maxHoldOffMs = o.maxHoldOff;
    if (o.minDwell !== undefined) p.minDwellMs = o.minDwell;
    if (o.maxSwitchesPerHour !== undefined) p.maxSwitchesPerHour = o.maxSwitchesPerHour;
    if (o.features !== undefined) p.features = { ...o.features };
    if (o.featureHoldOff !== undefined) p.featureHoldOffMs = o.featureHoldOff;
    if (o.dryRun !== undefined) p.dryRun = o.dryRun;
  }
  if (config.dryRun) p.dryRun = true;
  if (p.maxHoldOffMs < p.holdOffMs) p.maxHoldOffMs = p.holdOffMs;
  return p;
}
