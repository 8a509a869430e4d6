import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { probeArgs } from './probe-args.ts';
import { alertsJob, composeFile, DEPLOY_DIR, deployText, hubConfigNames, REPO_ROOT } from './deploy-files.ts';

/** deploy/compose.yaml read as Compose reads it (no docker here): its services fit together and with the hub config. */

const compose = composeFile();
const services = compose.services;
const config = hubConfigNames();
const HUBS = ['hub-a', 'hub-b', 'hub-c'];
const PROBES = ['probe-cn-east', 'probe-sg'];

/** `${NAME}`, `${NAME:?message}` … of a Compose value: the variable it interpolates. */
function interpolated(value: string | undefined): string[] {
  return [...(value ?? '').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
}

/** A volume entry's source, when it is a path on the host (relative to the compose file). */
function bindSource(entry: string): string | undefined {
  const source = entry.split(':')[0]!;
  return source.startsWith('.') || source.startsWith('/') ? source : undefined;
}

describe('deploy/compose.yaml', () => {
  it('runs PostgreSQL, NATS and a regional leaf, three hubs, probes in two regions, Prometheus and Grafana', () => {
    expect(Object.keys(services).sort()).toEqual(['grafana', 'hub-a', 'hub-b', 'hub-c', 'nats', 'nats-leaf-sg', 'postgres', 'probe-cn-east', 'probe-sg', 'prometheus']);
  });

  it('every service has a healthcheck', () => {
    for (const [name, s] of Object.entries(services)) expect(s.healthcheck?.test.length, name).toBeGreaterThan(0);
  });

  it('depends_on names services, and waits for health only where there is a healthcheck', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect(services[dep], `${name} depends on ${dep}`).toBeDefined();
        expect(['service_started', 'service_healthy'], `${name} → ${dep}`).toContain(condition);
        if (condition === 'service_healthy') expect(services[dep]!.healthcheck, `${name} waits for ${dep} to be healthy`).toBeDefined();
      }
    }
    for (const hub of HUBS) expect(Object.keys(services[hub]!.depends_on ?? {}).sort(), hub).toEqual(['nats', 'postgres']);
  });

  it('every file it mounts exists in the repository, and every named volume is declared', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const entry of s.volumes ?? []) {
        const source = bindSource(entry);
        if (source === undefined) expect(Object.keys(compose.volumes ?? {}), `${name}: volume ${entry}`).toContain(entry.split(':')[0]);
        else {
          const path = resolve(DEPLOY_DIR, source);
          expect(path.startsWith(REPO_ROOT), `${name}: ${source} is outside the repository`).toBe(true);
          expect(existsSync(path), `${name}: ${source} (${path})`).toBe(true);
        }
      }
    }
  });

  it("builds the repository's Dockerfile, whose health check script exists", () => {
    const built = Object.entries(services).filter(([, s]) => s.build);
    expect(built.map(([name]) => name).sort()).toEqual([...HUBS, ...PROBES].sort());
    for (const [name, s] of built) {
      expect(resolve(DEPLOY_DIR, s.build!.context), name).toBe(REPO_ROOT);
      expect(existsSync(join(REPO_ROOT, s.build!.dockerfile)), `${name}: ${s.build!.dockerfile}`).toBe(true);
      const script = s.healthcheck!.test.find((word) => word.endsWith('.ts'));
      expect(script && existsSync(join(REPO_ROOT, script)), `${name}: health check ${s.healthcheck!.test.join(' ')}`).toBe(true);
    }
  });

  it('every variable it interpolates is in deploy/.env.example, and required', () => {
    const example = new Set(deployText('.env.example').split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => l.split('=')[0]));
    const text = deployText('compose.yaml');
    const names = new Set(interpolated(text));
    expect(names.size).toBeGreaterThan(0);
    for (const name of names) expect(example, name).toContain(name);
    // `${NAME:?…}`: Compose refuses to start with it unset, rather than starting with an empty secret.
    expect([...text.matchAll(/\$\{[^}]*\}/g)].map((m) => m[0]).filter((v) => !v.includes(':?'))).toEqual([]);
  });
});

describe('deploy/compose.yaml hubs', () => {
  it('run the same image and the config of deploy/config/cluster.yaml', () => {
    for (const hub of HUBS) {
      const s = services[hub]!;
      expect(s.image, hub).toBe(services['probe-sg']!.image);
      expect(s.volumes, hub).toContain('./config/cluster.yaml:/etc/streamguard/config.yaml:ro');
    }
  });

  it('each has its own hub id and an advertise URL naming its own service on the listen port', () => {
    const ids = HUBS.map((hub) => services[hub]!.environment!.STREAMGUARD_HUB_ID);
    expect(new Set(ids).size).toBe(HUBS.length);
    for (const hub of HUBS) expect(services[hub]!.environment!.STREAMGUARD_ADVERTISE_URL, hub).toBe(`http://${hub}:${config.listenPort}`);
  });

  it('each gets every environment variable the hub config names', () => {
    for (const hub of HUBS) {
      const environment = services[hub]!.environment ?? {};
      for (const name of [config.urlEnv, ...config.tokenEnvs]) expect(environment[name], `${hub} ${name}`).toBeTruthy();
      expect(new URL(environment[config.urlEnv]!.replace(/\$\{[^}]*\}/, 'secret')).hostname, hub).toBe('postgres');
    }
  });

  it("uplink.nats.url names the NATS service", () => {
    expect(services[new URL(config.natsUrl).hostname], config.natsUrl).toBeDefined();
  });
});

describe('deploy/compose.yaml probes', () => {
  it('one probe service per probe of the hub config', () => {
    expect(PROBES.map((p) => probeArgs(services[p]!.command!).region).sort()).toEqual(config.probes.map((p) => p.region).sort());
  });

  it("each reports to the hubs and to NATS with the hubs' shard count", () => {
    for (const probe of PROBES) {
      const args = probeArgs(services[probe]!.command!);
      const hub = new URL(args.hub);
      expect(HUBS.every((h) => services[h]!.networks?.default?.aliases?.includes(hub.hostname)), `${probe}: ${hub.hostname} names every hub`).toBe(true);
      expect([Number(hub.port), hub.pathname], probe).toEqual([config.listenPort, '/probes']);
      const natsHost = new URL(args.nats).hostname;
      expect(services[natsHost]?.image, `${probe}: --nats ${args.nats}`).toMatch(/^nats:/);
      expect(args.natsShards, probe).toBe(config.shardCount);
    }
  });

  it('each holds the token the hubs know its region by', () => {
    for (const probe of PROBES) {
      const region = probeArgs(services[probe]!.command!).region;
      const entry = config.probes.find((p) => p.region === region)!;
      const own = interpolated(services[probe]!.environment?.STREAMGUARD_PROBE_TOKEN);
      for (const hub of HUBS) expect(interpolated(services[hub]!.environment?.[entry.tokenEnv]), `${probe} and ${hub}`).toEqual(own);
    }
  });

  it('the sg probe publishes through its region\'s leaf node, which connects to the hubs\' NATS', () => {
    expect(probeArgs(services['probe-sg']!.command!).nats).toBe('nats://nats-leaf-sg:4222');
    expect(services['nats-leaf-sg']!.volumes).toContain('./nats/leaf.conf:/etc/nats/nats.conf:ro');
    expect(deployText('nats/leaf.conf')).toMatch(/url: "nats-leaf:\/\/nats:7422"/);
  });
});

describe('deploy/compose.yaml monitoring', () => {
  it('Prometheus scrapes every hub under the job the shipped alerts ask for, with those alerts beside its config', () => {
    const prometheus = parse(deployText('prometheus/prometheus.yml'));
    const job = prometheus.scrape_configs.find((c: { job_name: string }) => c.job_name === alertsJob());
    expect(job, `a scrape job named ${alertsJob()}`).toBeDefined();
    expect(job.static_configs.flatMap((c: { targets: string[] }) => c.targets).sort()).toEqual(HUBS.map((hub) => `${hub}:${config.listenPort}`));
    expect(prometheus.rule_files).toEqual(['alerts.yml']);
    expect(services.prometheus!.volumes).toEqual(expect.arrayContaining(['./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro', '../config/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro']));
  });

  it("Grafana's provisioning loads the shipped dashboard from where it is mounted, on the Prometheus service", () => {
    const provider = parse(deployText('grafana/provisioning/dashboards/streamguard.yaml')).providers[0];
    expect(services.grafana!.volumes).toContain(`../config/grafana/streamguard.json:${provider.options.path}/streamguard.json:ro`);
    const datasource = parse(deployText('grafana/provisioning/datasources/prometheus.yaml')).datasources[0];
    expect([datasource.type, datasource.isDefault]).toEqual(['prometheus', true]);
    expect(services[new URL(datasource.url).hostname]).toBe(services.prometheus);
  });
});
