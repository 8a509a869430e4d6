import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { missingPrometheus } from '../prometheus/helpers.ts';
import { DEPLOY_DIR, HUB_CONFIG_FILE, k8sObject, k8sObjects, REPO_ROOT } from './deploy-files.ts';

/** The config files shipped in deploy/, read by the programs that will run them. */

const objects = k8sObjects();

describe('deploy/config/cluster.yaml', () => {
  it('passes the config loader: a cluster on PostgreSQL and NATS, the region probes probing', () => {
    const config = loadConfig(HUB_CONFIG_FILE);
    expect(config.store.postgres).toBeDefined();
    expect(config.uplink.nats?.shards).toBe('all');
    expect(config.probe.embedded).toBe(false);
    expect(config.cluster?.lease.expireMs).toBeGreaterThan(config.cluster!.lease.renewMs);
  });

  it('is what the Kubernetes ConfigMap holds, verbatim', () => {
    expect(k8sObject(objects, 'ConfigMap', 'streamguard-config').data?.['config.yaml']).toBe(readFileSync(HUB_CONFIG_FILE, 'utf8'));
  });
});

const natsMissing = spawnSync('sh', ['-c', 'command -v nats-server']).status === 0 ? undefined : 'nats-server not on PATH';

describe.skipIf(natsMissing !== undefined)(`deploy/nats${natsMissing ? ` (skipped: ${natsMissing})` : ''}`, () => {
  it.each(['hub.conf', 'leaf.conf'])('%s passes nats-server -t', (file) => {
    const r = spawnSync('nats-server', ['-t', '-c', join(DEPLOY_DIR, 'nats', file)], { encoding: 'utf8', timeout: 10_000 });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  });

  it("hub.conf is what the Kubernetes NATS ConfigMap holds, verbatim", () => {
    expect(k8sObject(objects, 'ConfigMap', 'nats-config').data?.['nats.conf']).toBe(readFileSync(join(DEPLOY_DIR, 'nats', 'hub.conf'), 'utf8'));
  });
});

const prometheusMissing = missingPrometheus();

describe.skipIf(prometheusMissing !== undefined)(`deploy/prometheus${prometheusMissing ? ` (skipped: ${prometheusMissing})` : ''}`, () => {
  it('prometheus.yml passes promtool check config with the shipped alerts.yml beside it, as Compose mounts them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-deploy-prom-'));
    try {
      copyFileSync(join(DEPLOY_DIR, 'prometheus', 'prometheus.yml'), join(dir, 'prometheus.yml'));
      copyFileSync(join(REPO_ROOT, 'config', 'prometheus', 'alerts.yml'), join(dir, 'alerts.yml'));
      const r = spawnSync('promtool', ['check', 'config', 'prometheus.yml'], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
      const out = `${r.stdout}${r.stderr}`;
      expect(r.status, out).toBe(0);
      expect(out).toMatch(/SUCCESS: 1 rule files found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
