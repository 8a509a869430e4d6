import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../src/model/incident.ts';
import type { TimelineEntry } from '../../src/model/incident.ts';
import { runCli } from '../helpers/cli.ts';
import { publishHls, spawnHub, until, type HlsPublisher, type HubProcess } from '../helpers/processes.ts';

/**
 * Restart recovery against the real CLI: a stream whose primary line never answers (down once the
 * probe's startup timeout, 10 s for HLS, has passed) and whose backup is a live HLS stream we
 * publish; the hub opens s1/primary/down, gets kill -9'd, and a new hub on the same data dir must
 * carry on with the same incident, not a duplicate. After the restart the backup reports seconds
 * before the primary does: the restored incident must outlive that stretch without data.
 */

let hls: HlsPublisher;
let silent: SilentServer;
const hubs: HubProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'sg-restart-'));

beforeAll(async () => {
  hls = await publishHls();
  silent = await silentServer();
});
afterAll(async () => {
  for (const h of hubs) await h.kill9();
  await hls?.stop();
  await silent?.close();
});

interface SilentServer {
  url: string;
  close(): Promise<void>;
}

/** An HTTP server that takes every request and never answers it. */
async function silentServer(): Promise<SilentServer> {
  const server = http.createServer(() => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/live/s1.m3u8`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function getJson<T>(base: string, path: string): Promise<T> {
  const res = await fetch(`${base}${path}`);
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

function writeConfig(dataDir: string, primaryUrl: string, backupUrl: string): string {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    file,
    [
      'hub: { listen: "127.0.0.1:0", dataDir: ' + JSON.stringify(dataDir) + ' }',
      'probe: { regions: [eu] }',
      'streams:',
      '  - id: s1',
      '    lines:',
      `      primary: { url: ${JSON.stringify(primaryUrl)} }`,
      `      backup: { url: ${JSON.stringify(backupUrl)} }`,
      '',
    ].join('\n'),
  );
  return file;
}

describe('streamguard run: restart recovery (kill -9)', () => {
  it('keeps the same incident, state and timeline across a kill -9, without a duplicate', async () => {
    const dataDir = join(dir, 'data');
    const config = writeConfig(dataDir, silent.url, hls.url);
    const KEY = 's1/primary/down';

    // 1. First hub: the incident opens.
    const a = spawnHub(['--config', config]);
    hubs.push(a);
    const urlA = await a.url;
    // The primary reports (down) only after its startup timeout, by then the backup is seen ok: P1.
    const before = await until(
      'the incident to open and settle at P1',
      async () => (await getJson<{ incidents: Incident[] }>(urlA, '/api/v1/incidents')).incidents.find((i) => i.key === KEY && i.severity === 'P1'),
      30_000,
    );
    expect(before).toMatchObject({ status: 'open', severity: 'P1', scope: 'line' });
    expect(a.stdout()).toMatch(new RegExp(`incident OPENED +P[01] ${KEY}`));
    // The controller fails over to the healthy backup and records it on the incident: wait for
    // that, so the snapshot below is the incident's settled state.
    const settled = await until(
      'the failover to be on the timeline',
      async () => {
        const r = await getJson<{ incident: Incident; timeline: TimelineEntry[] }>(urlA, `/api/v1/incidents/${encodeURIComponent(before.id)}`);
        return r.timeline.some((e) => e.type === 'action') ? r : undefined;
      },
      10_000,
    );
    Object.assign(before, settled.incident);
    const timelineA = settled.timeline;
    expect(timelineA.map((e) => e.type)).toEqual(expect.arrayContaining(['opened', 'region-seen']));

    // A second hub on the same data dir is refused while the first runs.
    const locked = await runCli(['run', '--config', config], { timeoutMs: 20_000 });
    expect(locked.code).toBe(1);
    expect(locked.stderr).toMatch(/database is locked by another process.*another hub running on this data dir/);

    // 2. Crash.
    await a.kill9();

    // 3. Second hub, same data dir: the same incident, restored.
    const restartedAt = Date.now();
    const b = spawnHub(['--config', config]);
    hubs.push(b);
    const urlB = await b.url;
    expect(b.stdout()).toMatch(/restored 1 open incident/);
    const restored = await getJson<{ incident: Incident; timeline: TimelineEntry[] }>(urlB, `/api/v1/incidents/${encodeURIComponent(before.id)}`);
    expect(restored.incident).toEqual(before);
    expect(restored.timeline).toEqual(timelineA);

    // 4. Detection resumes and the incident carries on, the primary still silent. For its first
    //    ~10 s the new hub has data from the backup only (its start-up grace ends meanwhile): the
    //    restored incident must not be resolved for want of primary data, nor reopened when that
    //    data arrives (a false resolve + reopen to the vendor). Watched until the new hub has
    //    ingested FRESH_SAMPLES of the primary's windows since the restart and the backup has
    //    reported: the incident is in `?status=open` at every poll and stays P1.
    const FRESH_SAMPLES = 15;
    const freshSamples = async (line: string): Promise<number> =>
      (await getJson<{ samples: unknown[] }>(urlB, `/api/v1/streams/s1/samples?line=${line}&from=${restartedAt}`)).samples.length;
    const notOpenAt: number[] = [];
    let polls = 0;
    const all = await until(
      `${FRESH_SAMPLES} fresh primary samples with the incident settled at P1`,
      async () => {
        polls++;
        const open = (await getJson<{ incidents: Incident[] }>(urlB, '/api/v1/incidents?status=open')).incidents;
        if (!open.some((i) => i.id === before.id)) notOpenAt.push(Date.now() - restartedAt);
        if ((await freshSamples('primary')) < FRESH_SAMPLES || (await freshSamples('backup')) === 0) return undefined;
        const list = (await getJson<{ incidents: Incident[] }>(urlB, '/api/v1/incidents?status=all')).incidents.filter((i) => i.key === KEY);
        return list.length !== 1 || list[0]!.severity === 'P1' ? list : undefined;
      },
      45_000,
      250,
    );
    expect(polls).toBeGreaterThan(FRESH_SAMPLES); // watched throughout, not sampled once at the end
    expect(notOpenAt).toEqual([]);
    expect(all.map((i) => [i.id, i.status])).toEqual([[before.id, 'open']]);
    expect(all[0]).toMatchObject({ severity: 'P1', openedAt: before.openedAt, onset: before.onset, reopenCount: 0 });
    const after = (await getJson<{ timeline: TimelineEntry[] }>(urlB, `/api/v1/incidents/${encodeURIComponent(before.id)}`)).timeline;
    expect(after.slice(0, timelineA.length)).toEqual(timelineA);
    expect(after.slice(timelineA.length).filter((e) => ['resolved', 'cleared', 'reopened', 'opened'].includes(e.type))).toEqual([]);
    expect(b.stdout()).not.toMatch(/incident (OPENED|RESOLVED|REOPENED) +\S+ s1\/primary\/down/);

    // 5. Clean stop on SIGTERM.
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
    expect(b.stdout()).toMatch(/SIGTERM, stopping/);
  });

  it('exits 1 with a clear message on a corrupt database, and on an invalid config', async () => {
    const dataDir = join(dir, 'corrupt');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'streamguard.db'), Buffer.alloc(8192, 'this is not a database '));
    const config = writeConfig(dataDir, 'rtmp://127.0.0.1:1/live/a', 'rtmp://127.0.0.1:1/live/b');
    const r = await runCli(['run', '--config', config], { timeoutMs: 20_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/streamguard\.db: not a valid streamguard database .*nothing was overwritten/);
    expect(r.stdout).not.toMatch(/listening/);

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'store: { retention: { raw: soon } }\nstreams: []\n');
    const c = await runCli(['run', '--config', bad], { timeoutMs: 20_000 });
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/bad\.yaml:1:\d+ store\.retention\.raw: must be milliseconds or a duration/);
    expect(c.stderr).toMatch(/streams: at least one stream is required/);
  });
});
