import type { ActuatorConfig } from './config-schema.ts';
import { CommandActuator } from './command.ts';
import type { Actuator } from './types.ts';
import { WebhookActuator } from './webhook.ts';

export { BuiltinState, type ServedStream } from './builtin.ts';
export { CommandActuator } from './command.ts';
export type { Actuator, ActuatorResult, ControlAction } from './types.ts';
export { signPayload, verifySignature, WebhookActuator } from './webhook.ts';

/** Builds the configured actuators; a webhook's `secretEnv` must be set in `env` (throws naming it). */
export function createActuators(configs: readonly ActuatorConfig[], env: NodeJS.ProcessEnv = process.env): Actuator[] {
  return configs.map((c) => {
    const common = { name: c.name, timeoutMs: c.timeout, retries: c.retries, backoffMs: c.backoff, maxBackoffMs: c.maxBackoff, actions: c.actions, ...(c.streams && { streams: c.streams }) };
    if (c.type === 'webhook') {
      let secret: string | undefined;
      if (c.secretEnv !== undefined) {
        secret = env[c.secretEnv];
        if (!secret) throw new Error(`actuator "${c.name}": environment variable ${c.secretEnv} (secretEnv) is not set`);
      }
      return new WebhookActuator({ ...common, url: c.url, ...(secret && { secret }), ...(c.headers && { headers: c.headers }) });
    }
    return new CommandActuator({ ...common, argv: c.argv });
  });
}
