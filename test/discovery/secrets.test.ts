import { describe, expect, it } from 'vitest';
import { ReloadError } from '../../src/common/reload.ts';
import { Discovery, DiscoveryConfigSchema } from '../../src/discovery/index.ts';

/** A discovery source's secrets come from the environment, read when the config is prepared. */
describe('Discovery.prepareReload', () => {
  const sources = DiscoveryConfigSchema.parse([
    { name: 'edge', type: 'node-media-server', url: 'http://127.0.0.1:1', usernameEnv: 'NMS_USER', passwordEnv: 'NMS_PW', hookTokenEnv: 'EDGE_HOOK', lines: { primary: 'rtmp://127.0.0.1/live/{name}' } },
  ]);
  const nothingAdded = { addedBy: () => [], add: async () => 'taken' as const, retire: async () => {} };

  it('refuses a source whose variables are not set, at their YAML paths, before anything runs', () => {
    const discovery = new Discovery({ streams: nothingAdded, env: { NMS_USER: 'u' } });
    let error: unknown;
    try {
      discovery.prepareReload(sources);
    } catch (err) {
      error = err;
    }
    expect((error as ReloadError).issues).toEqual([
      { path: 'discovery[0].passwordEnv', message: 'environment variable NMS_PW (discovery source "edge") is not set' },
      { path: 'discovery[0].hookTokenEnv', message: 'environment variable EDGE_HOOK (discovery source "edge") is not set' },
    ]);
  });

  it('takes callbacks with the token once committed', async () => {
    const discovery = new Discovery({ streams: nothingAdded, env: { NMS_USER: 'u', NMS_PW: 'p', EDGE_HOOK: 'h' } });
    const event = { published: false, stream: { app: 'live', name: 'x' } };
    await expect(discovery.callback('edge', 'h', event)).rejects.toThrow('no discovery source "edge" taking callbacks (hookTokenEnv)');
    discovery.prepareReload(sources)();
    await expect(discovery.callback('edge', 'wrong', event)).rejects.toThrow('wrong or missing ?token= for discovery source "edge"');
    await expect(discovery.callback('edge', 'h', event)).resolves.toBeUndefined();
    await discovery.stop();
  });
});
