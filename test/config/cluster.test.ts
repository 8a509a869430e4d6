import { describe, expect, it } from 'vitest';
import { clusterIdentity, ClusterConfigSchema } from '../../src/cluster/config-schema.ts';
import { parseConfig } from '../../src/config/load.ts';
import { restartOnlyChanges } from '../../src/app/reload.ts';

const streams = `
streams:
  - id: show1
    lines:
      primary: { url: rtmp://127.0.0.1:1935/live/show1 }
`;
const postgres = 'store: { postgres: { urlEnv: SG_PG_URL } }\nprobe: { embedded: false }\n';
const nats = 'uplink: { nats: { url: "nats://127.0.0.1:4222", shardCount: 16 } }\n';
const cluster = 'cluster: { hub: hub-a, lease: { renewMs: 500, expireMs: 3000, driftMarginMs: 500 } }\n';

/** The errors of a config text as `path: message`. */
function errorsOf(text: string): string[] {
  return parseConfig(text).errors.map((e) => `${e.path}: ${e.message}`);
}

describe('the cluster section', () => {
  it('runs alone without it; with it, on PostgreSQL and NATS, the leases default and the shards are uplink.nats.shardCount', () => {
    expect(parseConfig(streams).config?.cluster).toBeUndefined();
    const { config, errors } = parseConfig(`${postgres}${nats}cluster: {}\n${streams}`);
    expect(errors).toEqual([]);
    expect(config?.cluster).toEqual({ lease: { renewMs: 500, expireMs: 3000, driftMarginMs: 500 } });
    expect(config?.uplink.nats?.shardCount).toBe(16);
    expect(parseConfig(`${postgres}${nats}${cluster}${streams}`).config?.cluster).toEqual({ hub: 'hub-a', lease: { renewMs: 500, expireMs: 3000, driftMarginMs: 500 } });
  });

  // One invalid config per rule, with its exact error.
  it('refuses a cluster without store.postgres', () => {
    expect(errorsOf(`probe: { embedded: false }\n${nats}${cluster}${streams}`)).toEqual(['cluster: needs store.postgres (a cluster shares its state in PostgreSQL)']);
  });

  it('refuses a cluster without uplink.nats', () => {
    expect(errorsOf(`${postgres}${cluster}${streams}`)).toEqual(['cluster: needs uplink.nats (the hubs of a cluster take the samples of their shards from NATS JetStream)']);
  });

  it('refuses a cluster whose hubs would run embedded probes', () => {
    expect(errorsOf(`store: { postgres: { urlEnv: SG_PG_URL } }\n${nats}${cluster}${streams}`)).toEqual(['probe.embedded: must be false in a cluster (region probes, started with --nats, probe for the hubs)']);
  });

  it('refuses a cluster whose uplink.nats.shards is not all', () => {
    const text = `${postgres}uplink: { nats: { url: "nats://127.0.0.1:4222", shardCount: 16, shards: [0, 1] } }\n${cluster}${streams}`;
    expect(errorsOf(text)).toEqual(["uplink.nats.shards: must be 'all' in a cluster (the shard leases decide which shards each hub consumes)"]);
  });

  it('refuses a second shard count in the lease settings, and leases that leave no room for two renewals', () => {
    expect(errorsOf(`${postgres}${nats}cluster: { lease: { shards: 8 } }\n${streams}`)).toEqual(['cluster.lease: unknown key(s) "shards"']);
    expect(errorsOf(`${postgres}${nats}cluster: { lease: { renewMs: 1000, expireMs: 2500, driftMarginMs: 1000 } }\n${streams}`)).toEqual([
      'cluster.lease.expireMs: expireMs (2500) minus driftMarginMs (1000) must leave room for two renewals (2 × renewMs = 2000)',
    ]);
    expect(errorsOf(`${postgres}${nats}cluster: { hub: "hub a", advertiseUrl: "ftp://x" }\n${streams}`)).toEqual([
      'cluster.hub: must be 1–63 letters, digits, "_", "." or "-"',
      'cluster.advertiseUrl: must be an http(s) URL (http://host:port) other hubs reach this hub at',
    ]);
  });

  it('is restart-only', () => {
    const a = parseConfig(`${postgres}${nats}${cluster}${streams}`).config!;
    const b = parseConfig(`${postgres}${nats}cluster: { hub: hub-b }\n${streams}`).config!;
    expect(restartOnlyChanges(a, b)).toEqual([{ path: 'cluster', message: 'cluster cannot change without a restart (keep it as it is, or restart the hub)' }]);
    expect(restartOnlyChanges(a, a)).toEqual([]);
  });

  it("the hub's name and advertised URL: the config's, else the environment's, else the host name and the listen port", () => {
    const c = ClusterConfigSchema.parse({});
    expect(clusterIdentity(c, { env: {}, listenPort: 8080, host: 'box1' })).toEqual({ hub: 'box1', advertiseUrl: 'http://box1:8080' });
    expect(clusterIdentity(c, { env: { STREAMGUARD_HUB_ID: 'hub-7', STREAMGUARD_ADVERTISE_URL: 'https://10.0.0.7:8443' }, listenPort: 8080, host: 'box1' })).toEqual({ hub: 'hub-7', advertiseUrl: 'https://10.0.0.7:8443' });
    expect(clusterIdentity(ClusterConfigSchema.parse({ hub: 'hub-a', advertiseUrl: 'http://10.0.0.5:8080' }), { env: { STREAMGUARD_HUB_ID: 'hub-7' }, listenPort: 1, host: 'box1' })).toEqual({ hub: 'hub-a', advertiseUrl: 'http://10.0.0.5:8080' });
    expect(() => clusterIdentity(c, { env: { STREAMGUARD_HUB_ID: 'a b' }, listenPort: 1 })).toThrow('STREAMGUARD_HUB_ID ("a b"): a hub\'s name must be 1–63 letters, digits, "_", "." or "-"');
  });
});
