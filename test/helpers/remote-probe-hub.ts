import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnHub, type HubProcess } from './processes.ts';
import { syntheticProbe, type SyntheticProbe } from './synthetic-probe.ts';

/**
 * A real hub process with no probes of its own and two remote probe regions (eu, us) that tests
 * feed with synthetic probes: streams with a primary and a backup line on a dead URL (the samples,
 * not the URLs, say what the lines do).
 */

export const PROBE_TOKENS = { SG_TOKEN_EU: 'eu-token-0123456789', SG_TOKEN_US: 'us-token-0123456789' };
export type ProbeRegion = 'eu' | 'us';

export interface RemoteProbeHubConfig {
  dir: string;
  name: string;
  streams: readonly string[];
  /** More top-level YAML lines (detector, control, vendors, store, …). */
  extra?: readonly string[];
}

/** Writes the hub's config file; returns its path. */
export function writeRemoteProbeHubConfig(c: RemoteProbeHubConfig): string {
  const file = join(c.dir, `${c.name}.yaml`);
  writeFileSync(
    file,
    [
      `hub: { listen: "127.0.0.1:0", dataDir: ${JSON.stringify(join(c.dir, c.name))} }`,
      'regions: [eu, us]',
      'probe: { embedded: false }',
      'uplink:',
      '  probes:',
      '    - { id: probe-eu, region: eu, tokenEnv: SG_TOKEN_EU }',
      '    - { id: probe-us, region: us, tokenEnv: SG_TOKEN_US }',
      ...(c.extra ?? []),
      'streams:',
      ...c.streams.flatMap((s) => [`  - id: ${s}`, '    lines:', `      primary: { url: "rtmp://127.0.0.1:1/live/${s}" }`, `      backup: { url: "rtmp://127.0.0.1:1/live/${s}b" }`]),
      '',
    ].join('\n'),
  );
  return file;
}

/** Starts the hub on a config file (env: more variables beside the probe tokens); resolves once it listens. */
export async function startRemoteProbeHub(file: string, env: Record<string, string> = {}): Promise<{ hub: HubProcess; url: string; ws: string }> {
  const hub = spawnHub(['--config', file], { ...PROBE_TOKENS, ...env });
  const url = await Promise.race([hub.url, hub.exited.then((code) => Promise.reject(new Error(`hub exited (${code}): ${hub.stderr()}`)))]).catch(async (err: unknown) => {
    await hub.kill9();
    throw err;
  });
  return { hub, url, ws: `${url.replace(/^http/, 'ws')}/probes` };
}

/** A synthetic probe of a region, as the config above names it. */
export function regionProbe(ws: string, region: ProbeRegion, opts: Omit<Parameters<typeof syntheticProbe>[0], 'url' | 'token' | 'probe' | 'region'>): SyntheticProbe {
  return syntheticProbe({ url: ws, token: PROBE_TOKENS[region === 'eu' ? 'SG_TOKEN_EU' : 'SG_TOKEN_US'], probe: `probe-${region}`, region, ...opts });
}
