import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

/** The shipped deployment files (deploy/), read as operators' tools read them. */

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEPLOY_DIR = join(REPO_ROOT, 'deploy');
export const K8S_DIR = join(DEPLOY_DIR, 'k8s');
export const HUB_CONFIG_FILE = join(DEPLOY_DIR, 'config', 'cluster.yaml');

export function deployText(relative: string): string {
  return readFileSync(join(DEPLOY_DIR, relative), 'utf8');
}

/** The parts of a Kubernetes object these tests read; the models validate the rest. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  /** Where it was read: `hub.yaml#2`. */
  source: string;
}

/** Every object of every manifest in deploy/k8s, in file order; a YAML error fails with its file. */
export function k8sObjects(): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const file of readdirSync(K8S_DIR).filter((f) => f.endsWith('.yaml')).sort()) {
    parseAllDocuments(readFileSync(join(K8S_DIR, file), 'utf8')).forEach((doc, index) => {
      if (doc.errors.length > 0) throw new Error(`deploy/k8s/${file} document ${index}: ${doc.errors[0]!.message}`);
      const obj = doc.toJS() as Omit<K8sObject, 'source'> | null;
      if (obj) objects.push({ ...obj, source: `${file}#${index}` });
    });
  }
  return objects;
}

/** The one object of `kind` named `name`; fails naming what is missing. */
export function k8sObject(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`deploy/k8s has no ${kind} named ${name} (objects: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')})`);
  return found;
}

/** deploy/compose.yaml with its extension fields merged (`<<: *anchor`), as Compose reads it. */
export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  networks?: Record<string, { aliases?: string[] } | null>;
  ports?: string[];
}

export function composeFile(): ComposeFile {
  return parse(deployText('compose.yaml'), { merge: true }) as ComposeFile;
}

/** The hub config's raw YAML (its secret variable names, its shard count), read without the loader. */
export interface HubConfigNames {
  urlEnv: string;
  tokenEnvs: string[];
  probes: { id: string; region: string; tokenEnv: string }[];
  natsUrl: string;
  shardCount: number;
  listenPort: number;
}

export function hubConfigNames(text = readFileSync(HUB_CONFIG_FILE, 'utf8')): HubConfigNames {
  const raw = parse(text);
  const probes = raw.uplink.probes as HubConfigNames['probes'];
  const tokens = raw.auth.tokens as { tokenEnv: string }[];
  return {
    urlEnv: raw.store.postgres.urlEnv,
    tokenEnvs: [...probes.map((p) => p.tokenEnv), ...tokens.map((t) => t.tokenEnv)],
    probes,
    natsUrl: raw.uplink.nats.url,
    shardCount: raw.uplink.nats.shardCount,
    listenPort: Number(String(raw.hub.listen).split(':').pop()),
  };
}

/** The `job` the shipped alert rules ask `up` of (config/prometheus/alerts.yml). */
export function alertsJob(): string {
  const rules = readFileSync(join(REPO_ROOT, 'config', 'prometheus', 'alerts.yml'), 'utf8');
  const job = /up\{job="([^"]+)"\}/.exec(rules)?.[1];
  if (!job) throw new Error('config/prometheus/alerts.yml asks up{job="…"} nowhere');
  return job;
}
