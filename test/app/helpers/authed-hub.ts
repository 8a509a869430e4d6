import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSchema, type Config } from '../../../src/config/schema.ts';

/** The environment holding the tokens of authedHubConfig(): operator alice, viewer victor. */
export const TOKENS_ENV = { SG_OPS: 'op-secret', SG_VIEW: 'view-secret' };

/** A hub on a free loopback port with tokens, no probes, and one stream whose lines nobody serves. */
export function authedHubConfig(hub: Record<string, unknown> = {}): Config {
  return ConfigSchema.parse({
    hub: { listen: '127.0.0.1:0', dataDir: mkdtempSync(join(tmpdir(), 'sg-http-')), ...hub },
    probe: { embedded: false },
    streams: [{ id: 's1', lines: { primary: { url: 'rtmp://127.0.0.1:1/live/s1' }, backup: { url: 'rtmp://127.0.0.1:1/live/s1b' } } }],
    auth: {
      tokens: [
        { name: 'alice', role: 'operator', tokenEnv: 'SG_OPS' },
        { name: 'victor', role: 'viewer', tokenEnv: 'SG_VIEW' },
      ],
    },
  });
}
