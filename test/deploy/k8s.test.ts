import { join } from 'node:path';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { healthRoutes, type HealthOptions } from '../../src/app/health.ts';
import { probeArgs } from './probe-args.ts';
import { alertsJob, hubConfigNames, k8sObject, k8sObjects, type K8sObject } from './deploy-files.ts';

/**
 * deploy/k8s: every object is valid for its kind (kubernetes-models, the prometheus-operator
 * models), and the objects fit together as the API server and the hub would need them to.
 */

/** The model that validates each kind shipped; a new kind needs its model here. */
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

const objects = k8sObjects();
const config = hubConfigNames();
const workloads = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
const hubs = k8sObject(objects, 'Deployment', 'streamguard-hub');
const hubService = k8sObject(objects, 'Service', 'streamguard-hub');
const natsService = k8sObject(objects, 'Service', 'nats');
const probes = objects.filter((o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/component'] === 'probe');

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } };
}

interface Container {
  name: string;
  args?: string[];
  env?: EnvVar[];
  ports?: { name?: string; containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string }[];
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  startupProbe?: { httpGet?: { path: string; port: string | number } };
}

function podLabels(workload: K8sObject): Record<string, string> {
  return workload.spec.template.metadata.labels;
}

function containers(workload: K8sObject): Container[] {
  return workload.spec.template.spec.containers;
}

function selects(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

function env(container: Container, name: string): EnvVar {
  const found = container.env?.find((e) => e.name === name);
  if (!found) throw new Error(`container ${container.name} has no env ${name}`);
  return found;
}

/** The keys a ConfigMap or Secret holds. */
function keysOf(o: K8sObject): string[] {
  return [...Object.keys(o.data ?? {}), ...Object.keys(o.stringData ?? {})];
}

describe('deploy/k8s manifests', () => {
  it('every object is valid for its kind', () => {
    expect(objects.length).toBeGreaterThan(0);
    for (const { source, ...obj } of objects) {
      const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
      if (!Model) throw new Error(`${source}: no model for ${obj.apiVersion} ${obj.kind}: add it to MODELS`);
      try {
        new Model(obj).validate();
      } catch (err) {
        throw new Error(`${source} (${obj.kind} ${obj.metadata.name}): ${(err as Error).message}`);
      }
    }
  });

  it('names are unique per kind', () => {
    const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  it("each workload's selector selects its own pods", () => {
    for (const w of workloads) expect(selects(w.spec.selector.matchLabels, podLabels(w)), `${w.source} ${w.metadata.name}`).toBe(true);
  });

  it("each Service selects a workload's pods, on ports they have", () => {
    for (const service of objects.filter((o) => o.kind === 'Service')) {
      const backing = workloads.filter((w) => selects(service.spec.selector, podLabels(w)));
      expect(backing.map((w) => w.metadata.name), `Service ${service.metadata.name} selects no workload`).not.toEqual([]);
      const portNames = backing.flatMap((w) => containers(w).flatMap((c) => c.ports ?? []).map((p) => p.name));
      for (const port of service.spec.ports as { name: string; targetPort: string }[]) {
        expect(portNames, `Service ${service.metadata.name} port ${port.name}`).toContain(port.targetPort);
      }
    }
  });

  it('the ConfigMaps and Secrets the pods read exist, with the keys they read', () => {
    for (const w of workloads) {
      const pod = w.spec.template.spec;
      const claims = new Set<string>((w.spec.volumeClaimTemplates ?? []).map((c: K8sObject) => c.metadata.name));
      const volumes = new Map<string, any>((pod.volumes ?? []).map((v: { name: string }) => [v.name, v]));
      for (const volume of volumes.values()) {
        const source = volume.configMap ?? volume.secret;
        if (!source) continue;
        const target = k8sObject(objects, volume.configMap ? 'ConfigMap' : 'Secret', source.name ?? source.secretName);
        for (const item of source.items ?? []) expect(keysOf(target), `${w.metadata.name} volume ${volume.name}`).toContain(item.key);
      }
      for (const c of containers(w)) {
        for (const mount of c.volumeMounts ?? []) expect(volumes.has(mount.name) || claims.has(mount.name), `${w.metadata.name}/${c.name} mounts ${mount.name}`).toBe(true);
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
          if (!ref) continue;
          const target = k8sObject(objects, e.valueFrom?.secretKeyRef ? 'Secret' : 'ConfigMap', ref.name);
          expect(keysOf(target), `${w.metadata.name}/${c.name} env ${e.name}`).toContain(ref.key);
        }
      }
    }
  });

  it('an env value refers only to variables defined before it in the same container', () => {
    for (const w of workloads) {
      for (const c of containers(w)) {
        const defined: string[] = [];
        for (const e of c.env ?? []) {
          for (const [, name] of (e.value ?? '').matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) expect(defined, `${w.metadata.name}/${c.name} env ${e.name} uses $(${name})`).toContain(name);
          defined.push(e.name);
        }
      }
    }
  });

  it('the secrets hold placeholders to replace, never a real value', () => {
    for (const secret of objects.filter((o) => o.kind === 'Secret')) {
      for (const [key, value] of Object.entries(secret.stringData ?? {})) expect(value, `Secret ${secret.metadata.name} key ${key}`).toContain('REPLACE-ME');
      expect(secret.data, `Secret ${secret.metadata.name}: placeholders go in stringData`).toBeUndefined();
    }
  });
});

describe('deploy/k8s hubs', () => {
  const hub = containers(hubs)[0]!;

  it('three replicas, and a disruption budget of minAvailable 2 that selects exactly the hubs', () => {
    expect(hubs.spec.replicas).toBe(3);
    const pdbs = objects.filter((o) => o.kind === 'PodDisruptionBudget');
    expect(pdbs).toHaveLength(1);
    const pdb = pdbs[0]!;
    expect(pdb.spec.minAvailable).toBe(2);
    expect(workloads.filter((w) => selects(pdb.spec.selector.matchLabels, podLabels(w))).map((w) => w.metadata.name)).toEqual(['streamguard-hub']);
  });

  it('hub id from the pod name, advertise URL from the pod IP on the API port', () => {
    expect(env(hub, 'STREAMGUARD_HUB_ID').valueFrom?.fieldRef?.fieldPath).toBe('metadata.name');
    expect(env(hub, 'POD_IP').valueFrom?.fieldRef?.fieldPath).toBe('status.podIP');
    expect(env(hub, 'STREAMGUARD_ADVERTISE_URL').value).toBe(`http://$(POD_IP):${config.listenPort}`);
    expect(hub.ports?.find((p) => p.name === 'http')?.containerPort).toBe(config.listenPort);
  });

  it('every environment variable the hub config names comes from a Secret', () => {
    for (const name of [config.urlEnv, ...config.tokenEnvs]) expect(env(hub, name).valueFrom?.secretKeyRef, name).toBeDefined();
    expect(env(hub, config.urlEnv).valueFrom?.secretKeyRef).toEqual({ name: 'streamguard-postgres', key: 'url' });
  });

  it('runs the config of the ConfigMap, mounted where --config points', () => {
    const args = hub.args ?? [];
    expect(args[0]).toBe('run');
    const file = args[args.indexOf('--config') + 1]!;
    const volume = hubs.spec.template.spec.volumes.find((v: { configMap?: { name: string } }) => v.configMap?.name === 'streamguard-config');
    const mount = hub.volumeMounts?.find((m) => m.name === volume.name);
    expect(mount, 'the config volume is mounted').toBeDefined();
    expect(volume.configMap.items.map((i: { key: string; path: string }) => join(mount!.mountPath, i.path))).toContain(file);
  });

  it("readiness, liveness and startup ask a route of the hub's health router, on the API port", () => {
    const router = healthRoutes({ hub: {} } as HealthOptions) as unknown as { stack: { route?: { path: string } }[] };
    const routes = router.stack.map((layer) => layer.route?.path);
    for (const check of ['readinessProbe', 'livenessProbe', 'startupProbe'] as const) {
      const httpGet = hub[check]?.httpGet;
      expect(httpGet, check).toBeDefined();
      expect(routes, `${check} asks ${httpGet!.path}`).toContain(httpGet!.path);
      expect(httpGet!.port, check).toBe('http');
    }
  });

  it('the Service publishes the API port, and the ServiceMonitor scrapes it under the job the alerts ask for', () => {
    expect(hubService.spec.ports).toEqual([{ name: 'http', port: config.listenPort, targetPort: 'http' }]);
    const monitor = k8sObject(objects, 'ServiceMonitor', 'streamguard-hub');
    expect(selects(monitor.spec.selector.matchLabels, hubService.metadata.labels)).toBe(true);
    expect(objects.filter((o) => o.kind === 'Service' && selects(monitor.spec.selector.matchLabels, o.metadata.labels)).map((o) => o.metadata.name)).toEqual(['streamguard-hub']);
    expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ port: 'http', path: '/metrics' })]);
    expect(hubService.metadata.labels?.[monitor.spec.jobLabel], 'the job label').toBe(alertsJob());
  });

  it("uplink.nats.url is the NATS Service's client port", () => {
    const url = new URL(config.natsUrl);
    expect(url.hostname).toBe(natsService.metadata.name);
    expect(natsService.spec.ports.find((p: { name: string }) => p.name === 'client').port).toBe(Number(url.port));
  });
});

describe('deploy/k8s probes', () => {
  it('one Deployment of one replica, replaced by Recreate, per probe of the hub config', () => {
    expect(probes.map((p) => p.metadata.labels?.['streamguard.io/region']).sort()).toEqual(config.probes.map((p) => p.region).sort());
    for (const p of probes) {
      expect(p.spec.replicas, p.metadata.name).toBe(1);
      expect(p.spec.strategy.type, p.metadata.name).toBe('Recreate');
    }
  });

  it("each reports to the hub Service and NATS with the hubs' shard count and its region", () => {
    for (const p of probes) {
      const region = p.metadata.labels!['streamguard.io/region']!;
      const args = probeArgs(containers(p)[0]!.args ?? []);
      expect(args.region, p.metadata.name).toBe(region);
      expect(p.spec.template.spec.nodeSelector['topology.kubernetes.io/region'], p.metadata.name).toBe(region);
      const hub = new URL(args.hub);
      expect([hub.hostname, Number(hub.port), hub.pathname], p.metadata.name).toEqual([hubService.metadata.name, config.listenPort, '/probes']);
      expect(args.nats, p.metadata.name).toBe(config.natsUrl);
      expect(args.natsShards, p.metadata.name).toBe(config.shardCount);
    }
  });

  it('each holds the token the hubs know its region by', () => {
    const hub = containers(hubs)[0]!;
    for (const p of probes) {
      const region = p.metadata.labels!['streamguard.io/region'];
      const entry = config.probes.find((c) => c.region === region)!;
      const own = env(containers(p)[0]!, 'STREAMGUARD_PROBE_TOKEN').valueFrom?.secretKeyRef;
      expect(own, p.metadata.name).toBeDefined();
      expect(env(hub, entry.tokenEnv).valueFrom?.secretKeyRef, `${p.metadata.name}: the hubs' ${entry.tokenEnv}`).toEqual(own);
    }
  });
});
