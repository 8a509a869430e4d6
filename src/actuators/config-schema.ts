import { z } from 'zod';
import { httpUrlSchema } from '../model/http-url.ts';
import { durationSchema } from '../model/duration.ts';
import { envNameSchema, idSchema as name } from '../model/ids.ts';

/** What the controller asks an actuator to do. */
export const ACTION_TYPES = ['switch', 'feature', 'escalate', 'note'] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

/** `control.actuators[]`: where switches and feature changes are delivered (docs/control.md). */
const actuatorCommon = {
  name,
  /** Action types sent to this actuator (default switch and feature). */
  actions: z.array(z.enum(ACTION_TYPES)).min(1).default(['switch', 'feature']),
  /** Only these streams (default all). */
  streams: z.array(name).optional(),
  timeout: durationSchema.default(5_000),
  retries: z.number().int().min(0).max(20).default(3),
  /** First retry delay; doubles per attempt up to maxBackoff. */
  backoff: durationSchema.default(500),
  maxBackoff: durationSchema.default(10_000),
};

export const WebhookActuatorSchema = z.strictObject({
  type: z.literal('webhook'),
  ...actuatorCommon,
  url: httpUrlSchema('the receiver can check the request signature made with secretEnv'),
  /** Environment variable holding the HMAC-SHA256 secret (never the secret itself in the file). */
  secretEnv: envNameSchema.optional(),
  headers: z.record(z.string(), z.string()).optional(),
});

export const CommandActuatorSchema = z.strictObject({
  type: z.literal('command'),
  ...actuatorCommon,
  retries: z.number().int().min(0).max(20).default(0),
  /** Program and arguments, no shell; `{stream}`, `{from}`, `{to}`, `{url}`, `{feature}`, `{enabled}`, `{type}`, `{reason}`, `{id}`, `{incident}` are substituted. */
  argv: z.array(z.string()).min(1, 'argv needs at least the program'),
});

export const ActuatorConfigSchema = z.discriminatedUnion('type', [WebhookActuatorSchema, CommandActuatorSchema]);
export type ActuatorConfig = z.infer<typeof ActuatorConfigSchema>;
export type WebhookActuatorConfig = z.infer<typeof WebhookActuatorSchema>;
export type CommandActuatorConfig = z.infer<typeof CommandActuatorSchema>;
