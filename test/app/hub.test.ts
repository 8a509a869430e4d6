import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigSchema, type Config } from '../../src/config/schema.ts';
import type { IncidentChange, Topic } from '../../src/model/topics.ts';
import { startHub, type HubHandle } from '../../src/app/start.ts';
import type { Incident } from '../../src/model/incident.ts';
import type { Sample } from '../../src/model/sample.ts';
import type { TimelineEntry } from '../../src/model/incident.ts';
import { until } from '../helpers/until.ts';

const T0 = 1_700_000_000_000;
const REGIONS = ['eu', 'us'] as const;

function config(over: Record<string, unknown> = {}): Config {
  return ConfigSchema.parse({
    hub: { listen: '127.0.0.1:0', dataDir: mkdtempSync(join(tmpdir(), 'sg-hub-')) },
    regions: [...REGIONS],
    streams: [{ id: 's1', lines: { primary: { url: 'rtmp://127.0.0.1/live/s1' }, backup: { url: 'http://127.0.0.1:8000/live/s1.flv' } } }],
    ...over,
  });
}

/** A hub on a manual clock: no probes, no timers; `window()` sends one 1 s window from every region and ticks. */
async function manualHub(cfg = config()) {
  let now = T0;
  const handle = await startHub(cfg, { probes: false, tickMs: 0, clock: () => now });
  const seq = new Map<string, number>();
  const events: { topic: Topic; change: IncidentChange }[] = [];
  for (const topic of ['incident.opened', 'incident.reopened', 'incident.raised', 'incident.lowered', 'incident.updated', 'incident.resolved'] as const) {
    handle.bus.on(topic, (change) => events.push({ topic, change }));
  }
  function sample(region: string, line: string, over: Partial<Sample> = {}): Sample {
    const probe = `p-${region}`;
    const n = (seq.get(probe) ?? 0) + 1;
    seq.set(probe, n);
    return { probe, region, stream: 's1', line, seq: n, t: now, windowMs: 1000, connected: true, fps: 25, bitrateBps: 2e6, width: 1280, height: 720, maxGapMs: 40, stallMs: 0, freezeMs: 0, ...over };
  }
  /** Advances the clock 1 s, sends one sample per region × line (`down` lines disconnected), ticks. */
  function window(down: readonly string[] = []): void {
    now += 1000;
    for (const region of REGIONS) {
      for (const line of ['primary', 'backup']) {
        const r = handle.ingest(sample(region, line, down.includes(line) ? { connected: false, fps: 0, bitrateBps: 0, error: 'refused' } : {}));
        expect(r).toEqual({ ok: true });
      }
    }
    handle.hub.tick();
  }
  return { handle, events, window, sample, now: () => now, setNow: (t: number) => (now = t) };
}

async function get<T = unknown>(h: HubHandle, path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${h.url}${path}`);
  return { status: res.status, body: (await res.json()) as T };
}

const handles: HubHandle[] = [];
afterEach(async () => {
  for (const h of handles.splice(0)) await h.stop();
});

describe('hub (injected clock, real store, real HTTP)', () => {
  it('opens, raises and resolves an incident, persisted and visible over REST', async () => {
    const { handle, events, window } = await manualHub();
    handles.push(handle);
    for (let i = 0; i < 6; i++) window();
    expect(events).toEqual([]);

    // Primary dies in both regions → P1 on s1/primary/down.
    window(['primary']);
    const opened = events.find((e) => e.topic === 'incident.opened')!;
    // eu's sample opens it as regional; us's sample in the same window widens it to the whole line.
    expect(opened.change.incident).toMatchObject({ key: 's1/primary/down', severity: 'P1', status: 'open', scope: 'regional' });
    const id = opened.change.incident.id;
    expect(opened.change.detectionDelayMs).toBe(opened.change.incident.openedAt - opened.change.incident.onset);
    let list = await get<{ incidents: Incident[] }>(handle, '/api/v1/incidents');
    expect(list.status).toBe(200);
    expect(list.body.incidents.map((i) => [i.id, i.severity, i.scope])).toEqual([[id, 'P1', 'line']]);

    // Backup dies too → the primary's incident is raised to P0 (backup gets its own P1).
    window(['primary', 'backup']);
    window(['primary', 'backup']);
    expect(events.some((e) => e.topic === 'incident.raised' && e.change.incident.id === id && e.change.incident.severity === 'P0')).toBe(true);
    list = await get<{ incidents: Incident[] }>(handle, '/api/v1/incidents?status=open');
    expect(Object.fromEntries(list.body.incidents.map((i) => [i.key, i.severity]))).toEqual({ 's1/primary/down': 'P0', 's1/backup/down': 'P1' });

    // Both come back → resolved after the clear time (disconnected clears after 2 s).
    for (let i = 0; i < 5; i++) window();
    const resolved = events.filter((e) => e.topic === 'incident.resolved').map((e) => e.change.incident.key);
    expect(resolved.sort()).toEqual(['s1/backup/down', 's1/primary/down']);
    list = await get<{ incidents: Incident[] }>(handle, '/api/v1/incidents');
    expect(list.body.incidents).toEqual([]);
    const all = await get<{ incidents: Incident[] }>(handle, '/api/v1/incidents?status=all');
    expect(all.body.incidents.map((i) => i.status)).toEqual(['resolved', 'resolved']);

    // One incident with its timeline: opened, first-seen per region with the samples around the onset, raise, resolve.
    const one = await get<{ incident: Incident; timeline: TimelineEntry[] }>(handle, `/api/v1/incidents/${encodeURIComponent(id)}`);
    expect(one.status).toBe(200);
    expect(one.body.incident).toMatchObject({ id, status: 'resolved', peakSeverity: 'P0' });
    expect(Object.keys(one.body.incident.regions).sort()).toEqual(['eu', 'us']);
    const types = one.body.timeline.map((e) => e.type);
    expect(types[0]).toBe('opened');
    expect(types.filter((t) => t === 'region-seen')).toHaveLength(2);
    expect(types).toContain('severity-raised');
    expect(types.at(-1)).toBe('resolved');
    const onset = one.body.timeline.filter((e) => e.type === 'onset-samples');
    expect(onset).toHaveLength(2);
    const samples = (onset[0]!.data as { samples: Sample[] }).samples;
    expect(samples).toHaveLength(5);
    // Up to the first bad sample, whose window holds the onset.
    expect(samples.at(-1)?.connected).toBe(false);
    expect(samples.at(-1)!.t - samples.at(-1)!.windowMs).toBeLessThanOrEqual(one.body.incident.onset);
    expect(samples.slice(0, 4).every((s) => s.connected)).toBe(true);
    // The raw id with slashes works too.
    expect((await get(handle, `/api/v1/incidents/${id}`)).status).toBe(200);

    // Same data straight from the store (what survives a restart).
    expect((await handle.store.incidents.get(id))?.status).toBe('resolved');
    expect((await handle.store.incidents.timeline(id)).map((e) => e.type)).toEqual(types);
  });

  it('reopens a recurrence within the reopen window instead of opening a new incident', async () => {
    const { handle, events, window } = await manualHub(config({ incidents: { reopenWindow: '1m' } }));
    handles.push(handle);
    for (let i = 0; i < 6; i++) window();
    for (let i = 0; i < 2; i++) window(['primary']);
    for (let i = 0; i < 4; i++) window();
    for (let i = 0; i < 20; i++) window(); // past the blip time
    window(['primary']);
    expect(events.map((e) => e.topic)).toContain('incident.reopened');
    const ids = new Set(events.map((e) => e.change.incident.id));
    expect(ids.size).toBe(1);
    const reopened = events.find((e) => e.topic === 'incident.reopened')!;
    expect(reopened.change.incident.reopenCount).toBe(1);
    expect(reopened.change.detectionDelayMs).toBeGreaterThanOrEqual(0);
  });

  it('ingest validates untrusted samples naming the field, batches writes and flushes on tick', async () => {
    const { handle, sample } = await manualHub();
    handles.push(handle);
    const bad = handle.ingest({ ...sample('eu', 'primary'), fps: 'fast' });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatch(/^invalid sample: fps: /);
    expect(handle.ingest({ probe: 'p' }).ok).toBe(false);
    const missing = handle.ingest({ ...sample('eu', 'primary'), seq: undefined });
    expect(!missing.ok && missing.error).toMatch(/seq/);

    handle.ingest(sample('eu', 'primary'));
    handle.ingest(sample('eu', 'backup'));
    expect(handle.hub.ingestStats).toMatchObject({ accepted: 2, rejected: 3, pending: 2 });
    handle.hub.tick();
    await until("the tick's write", () => handle.hub.ingestStats.pending === 0);
    expect(await handle.store.samples.samples({ stream: 's1', from: 0, to: T0 + 1 })).toHaveLength(2);
  });

  it('compacts raw samples past the retention into minute rollups', async () => {
    const { handle, window, setNow, now } = await manualHub(config({ store: { retention: { raw: '1m', rollups: '1h' } } }));
    handles.push(handle);
    for (let i = 0; i < 120; i++) window();
    setNow(now() + 60_000);
    const r = (await handle.hub.compact())!;
    expect(r.rolledUp).toBeGreaterThan(0);
    // The next run continues minute by minute from where this one stopped.
    for (let i = 0; i < 90; i++) window();
    setNow(now() + 60_000);
    const r2 = (await handle.hub.compact())!;
    expect(r2.rolledUp).toBeGreaterThan(0);
    const res = await get<{ samples: Sample[]; rollups: { samples: number }[] }>(handle, `/api/v1/streams/s1/samples?from=${T0 - 60_000}&to=${now()}&region=eu&line=primary`);
    expect(res.status).toBe(200);
    expect(res.body.rollups.length).toBeGreaterThan(0);
    expect(res.body.samples.length + res.body.rollups.reduce((n, r) => n + r.samples, 0)).toBe(210);
  });

  it('answers /healthz and rejects bad queries naming the parameter', async () => {
    const { handle, window } = await manualHub();
    handles.push(handle);
    window();
    const health = await get<{ ok: boolean; uptimeS: number; probes: { probe: string }[] }>(handle, '/healthz');
    expect(health.status).toBe(200);
    expect(health.body.ok).toBe(true);
    expect(health.body.probes.map((p) => p.probe).sort()).toEqual(['p-eu', 'p-us']);
    const cases: [string, number, RegExp][] = [
      ['/api/v1/incidents?status=closed', 400, /"status"/],
      ['/api/v1/incidents?limit=0', 400, /"limit"/],
      ['/api/v1/streams/s1/samples?from=yesterday', 400, /"from"/],
      ['/api/v1/streams/s1/samples?to=-5', 400, /"to"/],
      [`/api/v1/streams/s1/samples?from=${T0 + 10}&to=${T0}`, 400, /"from" must be before "to"/],
      ['/api/v1/streams/s1/samples?form=1', 400, /unknown query parameter "form"/],
      ['/api/v1/streams/nope/samples', 404, /no stream "nope"/],
      ['/api/v1/incidents/nope', 404, /no incident "nope"/],
      ['/api/v2/x', 404, /no route/],
    ];
    for (const [path, status, message] of cases) {
      const r = await get<{ error: { code: string; message: string } }>(handle, path);
      expect([path, r.status]).toEqual([path, status]);
      expect(r.body.error.message).toMatch(message);
    }
    const post = await fetch(`${handle.url}/api/v1/incidents`, { method: 'POST' });
    expect(post.status).toBe(405);
  });
});
