/**
 * The Dockerfile cannot be built here (no container engine or registry), so: lint it, check the
 * production install has every runtime import (dependencies, not devDependencies), and run the
 * very commands it runs — ENTRYPOINT + CMD (hub role), ENTRYPOINT + `probe …` (probe role) and the
 * HEALTHCHECK — from the repo, outside a container. Paths that only exist inside the image
 * (/etc/streamguard/config.yaml, /var/lib/streamguard) are mapped to a temp dir.
 */
import { spawn, spawnSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sg-docker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Instruction {
  op: string;
  args: string;
}

function instructions(): Instruction[] {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const m = /^(\S+)\s+(.*)$/.exec(l)!;
      return { op: m[1]!.toUpperCase(), args: m[2]!.trim() };
    });
}

const exec = (args: string): string[] => JSON.parse(args) as string[];
const ins = instructions();
const one = (op: string) => ins.filter((i) => i.op === op).at(-1)!;
const entrypoint = exec(one('ENTRYPOINT').args);
const cmd = exec(one('CMD').args);
const healthcheck = exec(/CMD\s+(\[.*\])$/.exec(one('HEALTHCHECK').args)![1]!);
const imageEnv = Object.fromEntries(ins.filter((i) => i.op === 'ENV').map((i) => i.args.split('=') as [string, string]));

describe('Dockerfile lint', () => {
  it('is plain, pinned, non-root, exec-form, and copies only what exists', () => {
    const known = new Set(['FROM', 'WORKDIR', 'RUN', 'COPY', 'ENV', 'USER', 'EXPOSE', 'HEALTHCHECK', 'ENTRYPOINT', 'CMD', 'ARG', 'LABEL', 'VOLUME']);
    for (const i of ins) expect(known, `unknown instruction ${i.op}`).toContain(i.op);
    expect(ins[0]!.op).toBe('FROM');
    for (const from of ins.filter((i) => i.op === 'FROM')) {
      const image = from.args.split(/\s+/)[0]!;
      expect(image).toMatch(/^[\w./-]+:[\w.-]+$/);
      expect(image).not.toMatch(/:latest$/);
    }
    for (const copy of ins.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))) {
      const parts = copy.args.split(/\s+/);
      for (const src of parts.slice(0, -1)) expect(existsSync(join(ROOT, src)), `COPY ${src}`).toBe(true);
    }
    expect(one('USER').args).not.toMatch(/^(root|0)$/);
    expect(ins.some((i) => i.op === 'RUN' && /npm ci --omit=dev/.test(i.args))).toBe(true);
    expect(entrypoint).toEqual(['node', 'bin/streamguard.js']);
    expect(cmd[0]).toBe('run');
    expect(healthcheck.slice(0, 2)).toEqual(['node', '-e']);
  });

  it('the production install (npm ci --omit=dev) has every package the shipped sources import', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const deps = new Set(Object.keys(pkg.dependencies));
    const builtins = new Set(builtinModules);
    const missing: string[] = [];
    const found = new Set<string>();
    const walk = (d: string): string[] =>
      readdirSync(d).flatMap((n) => {
        const p = join(d, n);
        return statSync(p).isDirectory() ? walk(p) : /\.(ts|js)$/.test(n) && !/\.test\.ts$/.test(n) ? [p] : [];
      });
    for (const file of ['bin', 'src', 'probes'].flatMap((d) => walk(join(ROOT, d)))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)) {
        const spec = m[1] ?? m[2]!;
        if (spec.startsWith('.') || spec.startsWith('node:') || builtins.has(spec)) continue;
        if (/^import type /.test(m[0].trim())) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        found.add(name);
        if (!deps.has(name)) missing.push(`${relative(ROOT, file)}: ${spec}`);
      }
    }
    expect(missing).toEqual([]);
    expect([...found]).toEqual(expect.arrayContaining(['ws', 'zod', 'better-sqlite3', 'pino', 'tsx', 'yaml']));
  });
});

describe('Dockerfile roles, run outside a container', () => {
  it('hub role (ENTRYPOINT + CMD) and probe role (ENTRYPOINT + probe …) start, talk, pass the HEALTHCHECK and stop on SIGTERM', async () => {
    const CONFIG_IN_IMAGE = '/etc/streamguard/config.yaml';
    expect(cmd).toContain(CONFIG_IN_IMAGE);
    // The image's config is config/example.yaml; outside the image its paths and port are mapped.
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      readFileSync(join(ROOT, 'config/example.yaml'), 'utf8')
        .replace('listen: 0.0.0.0:8080', 'listen: 127.0.0.1:0')
        .replace('dataDir: /var/lib/streamguard', `dataDir: ${join(dir, 'data')}`) + '\nuplink:\n  probes:\n    - { id: probe-sg, region: sg, tokenEnv: STREAMGUARD_TOKEN_SG }\n',
    );
    const env = { ...process.env, ...imageEnv, STREAMGUARD_LOG_LEVEL: 'warn' };
    const [bin, ...entryArgs] = entrypoint;
    expect(bin).toBe('node');
    const hub = spawn(process.execPath, [...entryArgs, ...cmd.map((a) => (a === CONFIG_IN_IMAGE ? config : a))], { cwd: ROOT, env: { ...env, STREAMGUARD_TOKEN_SG: 'sg-secret-0123456789' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    hub.stdout.on('data', (d: Buffer) => (out += d.toString()));
    hub.stderr.resume();
    const hubExit = new Promise<number | null>((r) => hub.on('close', r));
    let probeExit: Promise<number | null> | undefined;
    const probe = { pid: 0, kill: (_s: NodeJS.Signals) => false as boolean };
    try {
      const deadline = Date.now() + 30_000;
      while (!/listening on http:\/\/\S+/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const url = /listening on (http:\/\/\S+)/.exec(out)![1]!;
      const port = new URL(url).port;

      const p = spawn(process.execPath, [...entryArgs, 'probe', '--hub', `ws://127.0.0.1:${port}/probes`, '--region', 'sg', '--spill-dir', join(dir, 'spill')], {
        cwd: ROOT,
        env: { ...env, STREAMGUARD_PROBE_TOKEN: 'sg-secret-0123456789' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      p.stdout.resume();
      p.stderr.resume();
      probeExit = new Promise((r) => p.on('close', r));
      probe.kill = (s) => p.kill(s);
      let connected = false;
      while (!connected && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        const h = (await (await fetch(`${url}/healthz`)).json()) as { uplink: { probes: { probe: string; connected: boolean; assignment?: number }[] } };
        connected = h.uplink.probes.some((x) => x.probe === 'probe-sg' && x.connected && x.assignment !== undefined);
      }
      expect(connected).toBe(true);

      const [hcBin, ...hcArgs] = healthcheck;
      expect(hcBin).toBe('node');
      const hc = spawnSync(process.execPath, hcArgs.map((a) => a.replace('127.0.0.1:8080', `127.0.0.1:${port}`)), { encoding: 'utf8', timeout: 10_000 });
      expect(hc.status).toBe(0);

      probe.kill('SIGTERM');
      expect(await probeExit).toBe(0);
      hub.kill('SIGTERM');
      expect(await hubExit).toBe(0);
    } finally {
      probe.kill('SIGKILL');
      hub.kill('SIGKILL');
    }
  }, 60_000);
});
