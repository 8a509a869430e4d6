import { afterEach, describe, expect, it } from 'vitest';
import { ActuatorConfigSchema } from '../../src/actuators/config-schema.ts';
import { TicketsConfigSchema } from '../../src/tickets/config-schema.ts';
import { buildMessage } from '../../src/tickets/message.ts';
import { createVendor } from '../../src/tickets/vendors.ts';
import { DeliveryError } from '../../src/tickets/types.ts';
import { lineIncident } from '../helpers/incident.ts';
import { FakeVendor } from './helpers.ts';

/**
 * Credentials in an endpoint URL (`https://user:password@host/…`): in the config file they are a
 * secret in the file and fetch refuses them at every delivery, so the file is refused at load; in a
 * URL from the environment (urlEnv, a secret itself) they become an Authorization: Basic header.
 */

const issues = (r: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  (r.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);

describe('endpoint URLs with credentials', () => {
  it('a vendor or actuator URL in the file with user:password@ is refused at load, naming the path and where credentials go', () => {
    const vendor = TicketsConfigSchema.safeParse({ vendors: [{ name: 'hook', type: 'webhook', url: 'https://ops:s3cr3t@hooks.example/in' }] });
    expect(vendor.success).toBe(false);
    expect(issues(vendor)).toEqual([expect.stringMatching(/^vendors\.0\.url: must not carry credentials \(user:password@\).*urlEnv/)]);
    const actuator = ActuatorConfigSchema.safeParse({ name: 'flags', type: 'webhook', url: 'http://ops@127.0.0.1:9/switch' });
    expect(actuator.success).toBe(false);
    expect(issues(actuator)).toEqual([expect.stringMatching(/^url: must not carry credentials \(user:password@\).*secretEnv/)]);
  });

  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  it('a URL from urlEnv with user:password@ is delivered with Basic auth, and the password stays out of errors', async () => {
    const vendor = await new FakeVendor().start();
    stops.push(() => vendor.stop());
    const cfg = TicketsConfigSchema.parse({ vendors: [{ name: 'hook', type: 'webhook', urlEnv: 'HOOK_URL' }] }).vendors[0]!;
    const env = { HOOK_URL: `http://ops%40cdn:p%3As3cr3t-pass@127.0.0.1:${vendor.port}/hook` };
    const adapter = createVendor(cfg, env);
    const incident = lineIncident(1_700_000_002_000);
    const msg = buildMessage({ action: 'open', idempotencyKey: `${incident.id}/hook/open`, incident, slaMs: 3_600_000, roles: {}, actions: [] });
    await adapter.send(msg, {});
    expect(vendor.received).toHaveLength(1);
    expect(vendor.received[0]!.headers.authorization).toBe(`Basic ${Buffer.from('ops@cdn:p:s3cr3t-pass').toString('base64')}`);

    vendor.mode = 'refuse';
    const err = await adapter.send(msg, {}).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect(String((err as Error).message)).not.toMatch(/s3cr3t/);
  });
});
