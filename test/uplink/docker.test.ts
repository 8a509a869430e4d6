/**
 * The Dockerfile cannot be built here (no container engine or registry), so: lint it, check the
 * production install has every runtime import (dependencies, not devDependencies), and run the
 * very commands it runs — ENTRYPOINT + CMD (hub role), ENTRYPOINT + `probe …` (probe role) and the
 * HEALTHCHECK — from the repo, outside a container. The config path the CMD names only exists in
 * the image once an operator mounts a config there, so it is mapped to a temp dir.
 */
import { spawn, spawnSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { containerCommandOf } from '../../src/container/command.ts';
import { freePort } from '../probes/helpers/media.ts';
import { until } from '../helpers/until.ts';

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

const CONFIG_IN_IMAGE = '/etc/streamguard/config.yaml';
/** The CMD with its config path mapped to `config`. */
const cmdWith = (config: string) => cmd.map((a) => (a === CONFIG_IN_IMAGE ? config : a));
const env = { ...process.env, ...imageEnv, STREAMGUARD_LOG_LEVEL: 'warn' };

/** Runs `node ARGS…` (an exec-form ENTRYPOINT/HEALTHCHECK) from the repo, as the image runs it from WORKDIR. */
function node(words: string[]) {
  expect(words[0]).toBe('node');
  return spawnSync(process.execPath, words.slice(1), { cwd: ROOT, env, encoding: 'utf8', timeout: 20_000 });
}

describe('Dockerfile lint', () => {
  it('is plain, pinned, non-root, exec-form, copies only what exists, and bakes in no config', () => {
    const known = new Set(['FROM', 'WORKDIR', 'RUN', 'COPY', 'ENV', 'USER', 'EXPOSE', 'HEALTHCHECK', 'ENTRYPOINT', 'CMD', 'ARG', 'LABEL', 'VOLUME']);
    for (const i of ins) expect(known, `unknown instruction ${i.op}`).toContain(i.op);
    expect(ins[0]!.op).toBe('FROM');
    for (const from of ins.filter((i) => i.op === 'FROM')) {
      const image = from.args.split(/\s+/)[0]!;
      expect(image).toMatch(/^[\w./-]+:[\w.-]+$/);
      expect(image).not.toMatch(/:latest$/);
    }
    const copied: string[] = [];
    for (const copy of ins.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))) {
      const parts = copy.args.split(/\s+/);
      for (const src of parts.slice(0, -1)) expect(existsSync(join(ROOT, src)), `COPY ${src}`).toBe(true);
      copied.push(...parts.slice(0, -1));
    }
    expect(one('USER').args).not.toMatch(/^(root|0)$/);
    expect(ins.some((i) => i.op === 'RUN' && /npm ci --omit=dev/.test(i.args))).toBe(true);
    expect(entrypoint).toEqual(['node', '--import', 'tsx', 'src/container/entrypoint.ts']);
    expect(healthcheck).toEqual(['node', '--import', 'tsx', 'src/container/healthcheck.ts']);
    for (const script of [entrypoint.at(-1)!, healthcheck.at(-1)!]) {
      expect(existsSync(join(ROOT, script)), script).toBe(true);
      expect(copied.some((src) => script.startsWith(`${src}/`)), `${script} is copied into the image`).toBe(true);
    }
    expect(cmd).toEqual(['run', '--config', CONFIG_IN_IMAGE]);
    // The hub's config comes from the operator's mount only: nothing in the image writes it.
    for (const i of ins.filter((i) => i.op === 'RUN' || i.op === 'COPY')) expect(i.args).not.toContain('/etc/streamguard');
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

describe('Dockerfile entrypoint without a mounted config', () => {
  it('refuses to start the hub, naming the path to mount, when nothing is at the --config path', () => {
    const absent = join(dir, 'absent', 'config.yaml');
    const r = node([...entrypoint, ...cmdWith(absent)]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`no config at ${absent}: mount yours with -v /path/to/config.yaml:${absent}:ro`);
    expect(r.stdout).not.toMatch(/listening/);
  });

  it('refuses a directory at the --config path (what `docker run -v` mounts when the host file does not exist)', () => {
    const mountedDir = join(dir, 'mounted-dir.yaml');
    mkdirSync(mountedDir);
    const r = node([...entrypoint, ...cmdWith(mountedDir)]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${mountedDir} is a directory, not a config file`);
    expect(r.stderr).toContain(`mount yours with -v /path/to/config.yaml:${mountedDir}:ro`);
  });
});

describe('Dockerfile roles, run outside a container', () => {
  it('hub role (ENTRYPOINT + CMD) and probe role (ENTRYPOINT + probe …) start, talk, pass the HEALTHCHECK and stop on SIGTERM', async () => {
    const port = await freePort();
    // No embedded probes; the one stream's URL is a closed loopback port, so nothing leaves 127.0.0.1.
    const hubConfig = (listen: string) =>
      [
        `hub: { listen: "${listen}", dataDir: "${join(dir, 'data')}" }`,
        'probe: { embedded: false }',
        'regions: [sg]',
        'streams:',
        '  - { id: s1, kind: show-live, lines: { primary: { url: "http://127.0.0.1:9/live/s1.flv" } } }',
        'uplink:',
        '  probes:',
        '    - { id: probe-sg, region: sg, tokenEnv: STREAMGUARD_TOKEN_SG }',
        '',
      ].join('\n');
    const config = join(dir, 'config.yaml');
    writeFileSync(config, hubConfig(`127.0.0.1:${port}`));
    const wildcardConfig = join(dir, 'wildcard.yaml');
    writeFileSync(wildcardConfig, hubConfig(`0.0.0.0:${port}`));

    const [, ...entryArgs] = entrypoint;
    const hub = spawn(process.execPath, [...entryArgs, ...cmdWith(config)], { cwd: ROOT, env: { ...env, STREAMGUARD_TOKEN_SG: 'sg-secret-0123456789' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    hub.stdout.on('data', (d: Buffer) => (out += d.toString()));
    hub.stderr.resume();
    const hubExit = new Promise<number | null>((r) => hub.on('close', r));
    let probeExit: Promise<number | null> | undefined;
    const probe = { kill: (_s: NodeJS.Signals) => false as boolean };
    try {
      const url = await until('the hub listening', () => /listening on (http:\/\/\S+)/.exec(out)?.[1], 30_000);
      expect(url).toBe(`http://127.0.0.1:${port}`);
      // The entrypoint runs the hub in its own process: the HEALTHCHECK finds the command there.
      expect(containerCommandOf(hub.pid!)).toEqual(cmdWith(config));

      const p = spawn(process.execPath, [...entryArgs, 'probe', '--hub', `ws://127.0.0.1:${port}/probes`, '--region', 'sg', '--spill-dir', join(dir, 'spill')], {
        cwd: ROOT,
        env: { ...env, STREAMGUARD_PROBE_TOKEN: 'sg-secret-0123456789' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      p.stdout.resume();
      p.stderr.resume();
      probeExit = new Promise((r) => p.on('close', r));
      probe.kill = (s) => p.kill(s);
      await until(
        'probe-sg connected with its assignment',
        async () => {
          const h = (await (await fetch(`${url}/healthz`)).json()) as { uplink: { probes: { probe: string; connected: boolean; assignment?: number }[] } };
          return h.uplink.probes.some((x) => x.probe === 'probe-sg' && x.connected && x.assignment !== undefined);
        },
        30_000,
        250,
      );

      // The HEALTHCHECK asks /healthz where the container's config listens.
      const healthy = node([...healthcheck, ...cmdWith(config)]);
      expect(healthy.stderr).toBe('');
      expect(healthy.stdout).toContain(`healthy: ${url}/healthz 200`);
      expect(healthy.status).toBe(0);
      // A wildcard listen (0.0.0.0, as in a container) is asked on loopback.
      expect(node([...healthcheck, ...cmdWith(wildcardConfig)]).status).toBe(0);
      // `run --listen` overrides the config's hub.listen, for the health check as for the hub.
      const closed = await freePort();
      const overridden = node([...healthcheck, ...cmdWith(config), '--listen', `127.0.0.1:${closed}`]);
      expect(overridden.status).toBe(1);
      expect(overridden.stderr).toContain(`unhealthy: http://127.0.0.1:${closed}/healthz`);
      // A probe container has no port: healthy while it runs.
      expect(node([...healthcheck, 'probe', '--hub', `ws://127.0.0.1:${port}/probes`, '--region', 'sg']).status).toBe(0);

      probe.kill('SIGTERM');
      expect(await probeExit).toBe(0);
      hub.kill('SIGTERM');
      expect(await hubExit).toBe(0);

      const down = node([...healthcheck, ...cmdWith(config)]);
      expect(down.status).toBe(1);
      expect(down.stderr).toContain(`unhealthy: ${url}/healthz: connect ECONNREFUSED`);
    } finally {
      probe.kill('SIGKILL');
      hub.kill('SIGKILL');
    }
  }, 90_000);
});
