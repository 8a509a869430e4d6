import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident, TimelineEntry } from '../../src/model/incident.ts';
import type { Sample } from '../../src/model/sample.ts';
import { closedPort, publishHls, spawnHub, until, type HlsPublisher, type HubProcess } from '../helpers/processes.ts';

/**
 * SIGHUP reloads the whole config of a running `streamguard run`, or none of it. Streams:
 * - `flip`: primary on a closed port (down at once), backup a live HLS stream we publish;
 * - `gone`: one line on a closed port (a P0), removed by the reload;
 * - `fresh`: the live HLS stream, added by the reload.
 * The control policy starts in dry-run (flip's failover is decided, not acted on) and the reload
 * turns it off: the next decision acts.
 */

let hls: HlsPublisher;
let hub: HubProcess | undefined;
let closedUrl: string;
const dir = mkdtempSync(join(tmpdir(), 'sg-reload-'));
const file = join(dir, 'streamguard.yaml');

beforeAll(async () => {
  hls = await publishHls();
  closedUrl = `http://127.0.0.1:${await closedPort()}/live/x.m3u8`;
});
afterAll(async () => {
  await hub?.kill9();
  await hls?.stop();
});

function writeConfig(o: { streams: string[]; dryRun: boolean; listen?: string; extra?: string[] }): void {
  const lines: Record<string, string> = {
    flip: `{ primary: { url: ${JSON.stringify(closedUrl)} }, backup: { url: ${JSON.stringify(hls.url)} } }`,
    gone: `{ primary: { url: ${JSON.stringify(closedUrl)} } }`,
    fresh: `{ primary: { url: ${JSON.stringify(hls.url)} } }`,
  };
  writeFileSync(
    file,
    [
      `hub: { listen: "${o.listen ?? '127.0.0.1:0'}", dataDir: ${JSON.stringify(join(dir, 'data'))} }`,
      'probe: { regions: [eu] }',
      `control: { dryRun: ${o.dryRun}, default: { minDwell: 0 } }`,
      'streams:',
      ...o.streams.map((id) => `  - { id: ${id}, lines: ${lines[id]} }`),
      ...(o.extra ?? []),
      '',
    ].join('\n'),
  );
}

async function get<T>(base: string, path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, body: (await res.json()) as T };
}

async function metrics(base: string): Promise<string> {
  return (await fetch(`${base}/metrics`)).text();
}

function gauge(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

const RELOAD_OK = 'streamguard_config_last_reload_successful';
const RELOAD_AT = 'streamguard_config_last_reload_success_timestamp_seconds';

async function samples(base: string, stream: string, line: string): Promise<Sample[]> {
  const r = await get<{ samples: Sample[] }>(base, `/api/v1/streams/${stream}/samples?line=${line}`);
  return r.status === 200 ? r.body.samples : [];
}

async function openIncident(base: string, key: string): Promise<Incident | undefined> {
  return (await get<{ incidents: Incident[] }>(base, '/api/v1/incidents')).body.incidents.find((i) => i.key === key && i.status !== 'resolved');
}

async function timeline(base: string, id: string): Promise<{ incident: Incident; timeline: TimelineEntry[] }> {
  return (await get<{ incident: Incident; timeline: TimelineEntry[] }>(base, `/api/v1/incidents/${encodeURIComponent(id)}`)).body;
}

describe('streamguard run: SIGHUP reloads the whole config', () => {
  it('(a) adds and removes streams, follows a control policy change; (b) refuses a bad config or a restart-only change whole', async () => {
    writeConfig({ streams: ['flip', 'gone'], dryRun: true });
    hub = spawnHub(['--config', file]);
    const base = await hub.url;
    const h = hub;

    // Before: gone is down (P0), flip's failover decided in dry-run but not served, flip's backup probed.
    const gone = await until('the incident of gone', () => openIncident(base, 'gone/primary/down'), 30_000);
    const flipDown = await until('flip/primary/down', () => openIncident(base, 'flip/primary/down'), 30_000);
    await until(
      'the dry-run failover on the timeline',
      async () => (await timeline(base, flipDown.id)).timeline.some((e) => e.type === 'action' && e.data.dryRun === true && e.data.to === 'backup'),
      15_000,
    );
    expect((await get<{ line: string }>(base, '/api/v1/streams/flip/play?format=json')).body.line).toBe('primary');
    const backupStarts = async () => (await samples(base, 'flip', 'backup')).filter((s) => s.startupMs !== undefined).length;
    await until('flip/backup connected', async () => (await backupStarts()) > 0, 30_000);
    const startsBefore = await backupStarts();
    expect(await get(base, '/api/v1/streams/fresh/samples')).toMatchObject({ status: 404 });
    const before = await metrics(base);
    expect(gauge(before, RELOAD_OK)).toBe(1);
    const startedAt = gauge(before, RELOAD_AT)!;
    expect(before).toMatch(/stream="gone"/);

    // (a) fresh added, gone removed, dry-run off.
    writeConfig({ streams: ['flip', 'fresh'], dryRun: false });
    h.child.kill('SIGHUP');
    await until('the reload line', () => /SIGHUP: reloaded .*: streams \+fresh -gone; sections changed: streams, control/.test(h.stdout()), 10_000);
    const freshSamples = await until('fresh probed', async () => ((await samples(base, 'fresh', 'primary')).length > 0 ? true : undefined), 30_000);
    expect(freshSamples).toBe(true);
    expect(await get(base, '/api/v1/streams/gone/samples')).toMatchObject({ status: 404 });

    const resolved = await until('gone resolved', async () => {
      const t = await timeline(base, gone.id);
      return t.incident.status === 'resolved' ? t : undefined;
    });
    expect(resolved.timeline.find((e) => e.type === 'resolved')!.data).toEqual({ by: 'config', cause: 'removed-from-config', note: 'stream "gone" was removed from the config' });

    // The next decision acts on the policy without dry-run: flip is served from its backup.
    await until('flip served from backup', async () => (await get<{ line: string }>(base, '/api/v1/streams/flip/play?format=json')).body.line === 'backup', 15_000);

    const after = await until('fresh in the metrics', async () => {
      const text = await metrics(base);
      return /streamguard_probe_up\{stream="fresh",line="primary",region="eu"\} 1/.test(text) ? text : undefined;
    });
    expect(after).not.toMatch(/stream="gone"/);
    expect(gauge(after, RELOAD_OK)).toBe(1);
    const reloadedAt = gauge(after, RELOAD_AT)!;
    expect(reloadedAt).toBeGreaterThan(startedAt);
    // flip's backup kept running through the reload: never reconnected.
    expect(await backupStarts()).toBe(startsBefore);

    // (b) a config that does not validate: every error with its YAML path, the running config kept.
    writeConfig({ streams: ['flip', 'fresh'], dryRun: false, extra: ['rules: { stall: { threshold: high } }'] });
    h.child.kill('SIGHUP');
    await until('the schema refusal', () => /SIGHUP: .* is invalid; keeping the running config \(1 error\(s\)\)/.test(h.stderr()), 10_000);
    expect(h.stderr()).toMatch(new RegExp(`${file}:7:\\d+ rules\\.stall\\.threshold: `));
    await until('the reload gauge at 0', async () => gauge(await metrics(base), RELOAD_OK) === 0);
    expect((await samples(base, 'fresh', 'primary')).length).toBeGreaterThan(0);

    // A restart-only key: refused, named.
    writeConfig({ streams: ['flip'], dryRun: false, listen: '127.0.0.1:1' });
    h.child.kill('SIGHUP');
    await until('the restart-only refusal', () => /hub\.listen: hub\.listen cannot change without a restart/.test(h.stderr()), 10_000);
    const refused = await metrics(base);
    expect(gauge(refused, RELOAD_OK)).toBe(0);
    expect(gauge(refused, RELOAD_AT)).toBe(reloadedAt);
    expect(await get(base, '/api/v1/streams/fresh/samples')).toMatchObject({ status: 200 });

    // A good one again: taken, the gauge back at 1, its time moves.
    writeConfig({ streams: ['flip', 'fresh'], dryRun: false, extra: ['incidents: { reopenWindow: 5m }'] });
    h.child.kill('SIGHUP');
    const good = await until('the reload gauge back at 1', async () => {
      const text = await metrics(base);
      return gauge(text, RELOAD_OK) === 1 ? text : undefined;
    });
    expect(gauge(good, RELOAD_AT)).toBeGreaterThan(reloadedAt);
    expect(h.stdout()).toMatch(/SIGHUP: reloaded .*: sections changed: incidents/);

    h.child.kill('SIGTERM');
    expect(await h.exited).toBe(0);
    hub = undefined;
  }, 180_000);
});
