import Database from 'better-sqlite3';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../src/model/incident.ts';
import type { Sample } from '../../src/model/sample.ts';
import { runCli } from '../helpers/cli.ts';
import { closedPort, spawnHub, until, type HubProcess } from '../helpers/processes.ts';

/**
 * The data dir of a running hub (a real `streamguard run`): readable by other processes, locked
 * against a second hub, and backed up with `streamguard backup` while the hub writes samples. The
 * stream's lines are refused ports: an incident opens and every probe window writes a sample.
 */

const dir = mkdtempSync(join(tmpdir(), 'sg-backup-'));
const dataDir = join(dir, 'data');
const hubs: HubProcess[] = [];
let config: string;
let hub: HubProcess;
let url: string;

beforeAll(async () => {
  config = join(dir, 'hub.yaml');
  writeFileSync(
    config,
    [
      `hub: { listen: "127.0.0.1:0", dataDir: ${JSON.stringify(dataDir)} }`,
      'probe: { regions: [eu] }',
      'streams:',
      '  - id: s1',
      '    lines:',
      `      primary: { url: "http://127.0.0.1:${await closedPort()}/live/s1.m3u8" }`,
      `      backup: { url: "http://127.0.0.1:${await closedPort()}/live/s1b.m3u8" }`,
      '',
    ].join('\n'),
  );
  hub = start(['--config', config]);
  url = await hub.url;
  await until('an incident and a few samples', async () => (await incidents(url)).length > 0 && (await samples(url)).length >= 4, 30_000, 200);
});
afterAll(async () => {
  for (const h of hubs) await h.kill9();
});

function start(args: string[]): HubProcess {
  const h = spawnHub(args);
  hubs.push(h);
  return h;
}

async function getJson<T>(base: string, path: string): Promise<T> {
  const res = await fetch(`${base}${path}`);
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

const incidents = async (base: string) => (await getJson<{ incidents: Incident[] }>(base, '/api/v1/incidents?status=all')).incidents;
const samples = async (base: string) => (await getJson<{ samples: Sample[] }>(base, '/api/v1/streams/s1/samples?from=0&limit=50000')).samples;
const written = async (base: string) => (await getJson<{ samples: { written: number } }>(base, '/healthz')).samples.written;
const identity = (s: Sample) => `${s.probe}/${s.seq}/${s.line}/${s.t}`;

describe('a running hub’s data dir', () => {
  it('can be read by another process, whose open read transaction does not hold the hub’s writes back', async () => {
    const db = new Database(join(dataDir, 'streamguard.db'), { readonly: true, fileMustExist: true });
    try {
      db.exec('BEGIN');
      const rows = db.prepare('SELECT id, key, status FROM incidents').all() as { id: string }[];
      expect(rows.map((r) => r.id)).toEqual(expect.arrayContaining((await incidents(url)).map((i) => i.id)));
      // While this snapshot stays open the hub keeps writing samples (WAL: readers never block the writer).
      const before = await written(url);
      await until('the hub to write more samples', async () => (await written(url)) > before, 15_000, 100);
      db.exec('COMMIT');
    } finally {
      db.close();
    }
  });

  it('refuses a second hub on it, naming the data dir and the running hub’s PID', async () => {
    const second = await runCli(['run', '--config', config], { timeoutMs: 30_000 });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`streamguard run: ${dataDir}: database is locked by another process (hub PID ${hub.child.pid} holds ${join(dataDir, 'hub.lock')}); is another hub running on this data dir?`);
    expect(second.stdout).not.toMatch(/listening/);
  });

  it('streamguard backup copies it while the hub writes; a hub started on the copy has its incidents and samples', async () => {
    const had = await incidents(url);
    const hadSamples = (await samples(url)).map(identity);
    const writtenBefore = await written(url);
    const to = join(dir, 'backup');
    const r = await runCli(['backup', '--to', to, '--config', config], { timeoutMs: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const name of ['streamguard.db', 'streamguard.inbox.db', 'streamguard.samples.db']) {
      expect(r.stdout).toContain(`wrote ${join(to, name)} (`);
      expect(existsSync(join(to, name))).toBe(true);
    }
    // The hub went on writing: the backup did not stop it.
    await until('the hub to write more samples', async () => (await written(url)) > writtenBefore, 15_000, 100);

    // Restore: a hub on the copy (next to the first, which still runs on its own data dir).
    const restored = start(['--config', config, '--data-dir', to]);
    const restoredUrl = await restored.url;
    expect(restored.stdout()).toMatch(/restored \d+ open incident/);
    expect((await incidents(restoredUrl)).map((i) => i.id)).toEqual(expect.arrayContaining(had.map((i) => i.id)));
    expect((await samples(restoredUrl)).map(identity)).toEqual(expect.arrayContaining(hadSamples));
    restored.child.kill('SIGTERM');
    expect(await restored.exited).toBe(0);
  });

  it('streamguard backup refuses the data dir itself and a non-empty directory', async () => {
    const same = await runCli(['backup', '--to', dataDir, '--data-dir', dataDir]);
    expect(same.code).toBe(1);
    expect(same.stderr).toBe(`streamguard backup: ${dataDir}: is the hub's data dir itself; back up into another directory\n`);
    const full = join(dir, 'full');
    mkdirSync(full);
    writeFileSync(join(full, 'old.db'), '');
    const busy = await runCli(['backup', '--to', full, '--data-dir', dataDir]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toBe(`streamguard backup: ${full}: not empty (1 entries, e.g. old.db); back up into a new or empty directory\n`);
    const usage = await runCli(['backup', '--help']);
    expect(usage.code).toBe(0);
    expect(usage.stdout).toMatch(/^usage: streamguard backup --to DIR --data-dir DIR\n/);
  });

  it('after a kill -9 the stale lock is taken over by the next hub, with a log line, and released on a clean stop', async () => {
    const crashed = hub.child.pid!;
    await hub.kill9();
    const next = start(['--config', config]);
    await next.url;
    expect(next.stderr()).toContain(`taking over a stale data dir lock ${join(dataDir, 'hub.lock')}: hub PID ${crashed} did not release it`);
    const second = await runCli(['run', '--config', config], { timeoutMs: 30_000 });
    expect(second.stderr).toContain(`(hub PID ${next.child.pid} holds ${join(dataDir, 'hub.lock')})`);
    next.child.kill('SIGTERM');
    expect(await next.exited).toBe(0);
    // Released: no PID left for the next hub to take over.
    const lock = new Database(join(dataDir, 'hub.lock'), { readonly: true });
    expect(lock.pragma('user_version', { simple: true })).toBe(0);
    lock.close();
  });
});
