import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { Incident } from '../../src/model/incident.ts';
import { runCli } from '../helpers/cli.ts';
import { closedPort, spawnHub, until, type HubProcess } from '../helpers/processes.ts';
import { postgresMissing, usePostgres } from '../helpers/postgres.ts';
import { PROBE_TOKENS, regionProbe, startRemoteProbeHub, writeRemoteProbeHubConfig } from '../helpers/remote-probe-hub.ts';
import type { SyntheticProbe } from '../helpers/synthetic-probe.ts';

/**
 * A real hub process (`streamguard run`) with its store on PostgreSQL (a throwaway cluster), fed
 * by synthetic remote probes over its real uplink: the incident they open is in the database, and
 * a second hub process on another data dir, same database, resumes it and the line it served.
 * The URL's password (ignored by the cluster's trust auth) is in no output of the hub.
 */

const PASSWORD = 'pg-s3cret-pw';
const TARGETS = ['primary', 'backup'].map((line) => ({ stream: 's1', line }));
const dir = mkdtempSync(join(tmpdir(), 'sg-postgres-hub-'));

const server = usePostgres();
const hubs: HubProcess[] = [];
const probes: SyntheticProbe[] = [];

afterEach(async () => {
  for (const p of probes.splice(0)) p.stop();
  for (const h of hubs.splice(0)) await stopHub(h);
});

async function stopHub(h: HubProcess): Promise<void> {
  try {
    process.kill(h.child.pid!, 'SIGTERM');
  } catch {
    // already gone
  }
  const code = await Promise.race([h.exited, until('the hub to exit', () => h.child.exitCode !== null, 15_000).catch(() => 'stuck')]);
  if (code === 'stuck') await h.kill9();
}

function config(name: string): string {
  return writeRemoteProbeHubConfig({ dir, name, streams: ['s1'], extra: ['store: { postgres: { urlEnv: SG_STORE_URL } }', 'detector: { heartbeatMs: 500 }'] });
}

async function startHub(name: string, storeUrl: string): Promise<{ hub: HubProcess; url: string; ws: string }> {
  const started = await startRemoteProbeHub(config(name), { SG_STORE_URL: storeUrl });
  hubs.push(started.hub);
  return started;
}

/** Both regions' probes; `primaryDown`: every primary window of theirs is a dead line. */
async function probeBoth(ws: string, primaryDown: boolean): Promise<void> {
  const dead = { connected: false, fps: 0, bitrateBps: 0, stallMs: 1000, maxGapMs: 1000, error: 'refused' as const };
  for (const region of ['eu', 'us'] as const) {
    probes.push(regionProbe(ws, region, { targets: TARGETS, window: (t) => (primaryDown && t.line === 'primary' ? dead : {}) }));
  }
  await Promise.all(probes.map((p) => p.welcomed));
}

async function openIncidents(url: string): Promise<Incident[]> {
  const res = await fetch(`${url}/api/v1/incidents?status=open`);
  return ((await res.json()) as { incidents: Incident[] }).incidents;
}

async function served(url: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/streams/s1/play?format=json`);
  return ((await res.json()) as { line: string }).line;
}

async function rows<R extends pg.QueryResultRow>(url: string, text: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text)).rows;
  } finally {
    await client.end();
  }
}

describe.skipIf(postgresMissing !== undefined)(`a hub on PostgreSQL (real hub, real uplink)${postgresMissing ? `: ${postgresMissing}` : ''}`, () => {
  it('stores the incident synthetic probes open in PostgreSQL; a restarted hub resumes it and the line it served', async () => {
    const database = await server().createDatabase();
    const storeUrl = database.replace('postgres@', `postgres:${PASSWORD}@`);
    const first = await startHub('first', storeUrl);
    await probeBoth(first.ws, true);
    const opened = await until('s1/primary/down open', async () => (await openIncidents(first.url)).find((i) => i.key === 's1/primary/down'), 20_000);
    await until('the failover to backup', async () => (await served(first.url)) === 'backup', 15_000);
    await until('the incident and the served line in PostgreSQL', async () => {
      const incidents = await rows<{ id: string; status: string }>(database, "SELECT id, status FROM incidents WHERE key = 's1/primary/down'");
      const control = await rows<{ data: { served?: { line: string } } }>(database, "SELECT data FROM control_state WHERE stream = 's1'");
      return incidents.some((i) => i.id === opened.id && i.status !== 'resolved') && control[0]?.data.served?.line === 'backup';
    });
    expect((await rows<{ n: number }>(database, 'SELECT COUNT(*)::int AS n FROM samples'))[0]!.n).toBeGreaterThan(0);
    for (const p of probes.splice(0)) p.stop();
    await stopHub(hubs.splice(0)[0]!);

    // Another data dir, the same database: everything comes from PostgreSQL.
    const second = await startHub('second', storeUrl);
    expect(second.hub.stdout()).toMatch(/restored 1 open incident\(s\)/);
    expect((await openIncidents(second.url)).map((i) => i.id)).toContain(opened.id);
    expect(await served(second.url)).toBe('backup');
    await probeBoth(second.ws, true);
    await until('samples flowing into the second hub', async () => (await rows<{ n: number }>(database, "SELECT COUNT(DISTINCT probe)::int AS n FROM samples WHERE t > (SELECT MAX(t) - 2000 FROM samples)"))[0]!.n === 2);
    expect((await openIncidents(second.url)).filter((i) => i.key === 's1/primary/down').map((i) => i.id)).toEqual([opened.id]);
    for (const h of [first.hub, second.hub]) expect(h.stdout() + h.stderr()).not.toContain(PASSWORD);
  }, 90_000);

  it('refuses to start, naming the YAML path and the variable, when the variable is unset or the server refuses, never with the password; backup points to pg_dump', async () => {
    const unset = spawnHub(['--config', config('unset')], PROBE_TOKENS);
    hubs.push(unset);
    expect(await unset.exited).toBe(1);
    expect(unset.stderr()).toMatch(/store\.postgres\.urlEnv \(SG_STORE_URL\): environment variable SG_STORE_URL is not set/);

    const port = await closedPort();
    const refused = spawnHub(['--config', config('refused')], { ...PROBE_TOKENS, SG_STORE_URL: `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/streamguard` });
    hubs.push(refused);
    expect(await refused.exited).toBe(1);
    expect(refused.stderr()).toMatch(new RegExp(`store\\.postgres\\.urlEnv \\(SG_STORE_URL\\): cannot connect to PostgreSQL at postgres://postgres:\\*\\*\\*@127\\.0\\.0\\.1:${port}/streamguard: .*ECONNREFUSED`));
    expect(refused.stdout() + refused.stderr()).not.toContain(PASSWORD);

    const backup = await runCli(['backup', '--to', join(dir, 'copy'), '--config', config('backup')]);
    expect(backup.code).toBe(1);
    expect(backup.stderr).toMatch(/store\.postgres puts the store on PostgreSQL \(URL in \$SG_STORE_URL\): back it up with PostgreSQL's tools \(pg_dump -Fc\)/);
  }, 60_000);
});
