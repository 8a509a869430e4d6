import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startHub, type HubHandle } from '../../src/app/start.ts';
import { ConfigSchema } from '../../src/config/schema.ts';
import type { Incident, TimelineEntry } from '../../src/model/incident.ts';
import type { Sample } from '../../src/model/sample.ts';
import { PROTOCOL_VERSION, UPLINK_PATH, type HubMessage, type UplinkTarget } from '../../src/model/probe-protocol.ts';
import type { StreamRegistry } from '../../src/store/ports.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { postgresMissing, usePostgres } from '../helpers/postgres.ts';
import { until } from '../helpers/until.ts';

/**
 * Two hubs on one PostgreSQL store (no cluster: each watches every stream): a stream added,
 * changed or removed by a REST command on hub A reaches hub B within 2 s through the shared
 * stream registry — B's own remote probe gets the new assignment — with one audit row (A's) and
 * no incident on either hub.
 */

const PROBE_TOKEN = 'probe-b-secret';
const probes: { close(): void }[] = [];
const server = usePostgres();
let a: HubHandle;
let b: HubHandle;
/** Each hub's log messages. */
const logged = { a: [] as string[], b: [] as string[] };
const loggerOf = (into: string[]) => pino({ level: 'debug' }, { write: (line: string) => void into.push((JSON.parse(line) as { msg: string }).msg) });
const FOLLOWED = 'followed a change of the run-time streams made on another hub';
const OWN = 'the shared stream registry changed, to what this hub runs already (its own change)';

function hubConfig() {
  return ConfigSchema.parse({
    hub: { listen: '127.0.0.1:0', dataDir: mkdtempSync(join(tmpdir(), 'sg-shared-registry-')) },
    store: { postgres: { urlEnv: 'SG_STORE_URL' } },
    probe: { embedded: false },
    uplink: { probes: [{ id: 'probe-b', region: 'local', tokenEnv: 'SG_PROBE_TOKEN' }] },
    streams: [{ id: 's1', lines: { primary: { url: 'rtmp://127.0.0.1:1/live/s1' } } }],
  });
}

/**
 * A remote probe on a hub's uplink that keeps the targets of the hub's latest assignment and
 * reports each of them every second (healthy, or refused for the `dead` streams); it pings: it is alive.
 */
function remoteProbe(h: HubHandle, dead: ReadonlySet<string> = new Set()): { targets(): string[]; close(): void } {
  const ws = new WebSocket(`${h.url!.replace(/^http/, 'ws')}${UPLINK_PATH}`, { headers: { authorization: `Bearer ${PROBE_TOKEN}` } });
  let targets: UplinkTarget[] = [];
  let ping = 0;
  const send = (m: unknown) => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify(m));
  let seq = 0;
  const pinging = setInterval(() => send({ type: 'ping', id: ++ping, t0: Date.now() }), 250);
  const reporting = setInterval(() => {
    const t = Date.now();
    const samples: Sample[] = targets.map(({ stream, line }) => ({
      probe: 'probe-b', region: 'local', stream, line, seq: ++seq, t, windowMs: 1000, connected: true, fps: 25, bitrateBps: 1e6, maxGapMs: 40, stallMs: 0, freezeMs: 0,
      ...(dead.has(stream) && { connected: false, fps: 0, bitrateBps: 0, stallMs: 1000, maxGapMs: 1000, error: 'refused' as const }),
    }));
    if (samples.length > 0) send({ type: 'samples', samples });
  }, 1000);
  ws.on('open', () => send({ type: 'hello', v: PROTOCOL_VERSION, region: 'local', agent: 'assignment-watcher' }));
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString()) as HubMessage;
    if (m.type === 'assign') targets = m.targets;
    else if (m.type === 'ping') send({ type: 'pong', id: m.id, t0: m.t0, t1: Date.now(), t2: Date.now() });
  });
  return {
    targets: () => targets.map((t) => `${t.stream}/${t.line}`).sort(),
    close: () => {
      clearInterval(pinging);
      clearInterval(reporting);
      ws.close();
    },
  };
}

beforeAll(async () => {
  if (postgresMissing) return;
  const env = { SG_STORE_URL: await server().createDatabase(), SG_PROBE_TOKEN: PROBE_TOKEN };
  a = await startHub(hubConfig(), { env, probes: false, logger: loggerOf(logged.a) });
  b = await startHub(hubConfig(), { env, probes: false, logger: loggerOf(logged.b) });
}, 60_000);

afterAll(async () => {
  for (const p of probes) p.close();
  await a?.stop();
  await b?.stop();
});

async function command(h: HubHandle, type: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${h.url}/api/v1/commands/${type}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

/** The streams of a hub's state (what it watches now), id → its lines. */
async function watched(h: HubHandle): Promise<Map<string, string[]>> {
  const res = await fetch(`${h.url}/api/v1/state`);
  const streams = ((await res.json()) as { result: { streams: { id: string; lines: string[] }[] } }).result.streams;
  return new Map(streams.map((s) => [s.id, s.lines]));
}

async function openIncidents(h: HubHandle): Promise<Incident[]> {
  const res = await fetch(`${h.url}/api/v1/incidents?status=open`);
  return ((await res.json()) as { incidents: Incident[] }).incidents;
}

/** Waits (2 s at most) until `check` holds on hub B; returns how long it took. */
async function onB(what: string, check: (streams: Map<string, string[]>) => boolean): Promise<number> {
  const t0 = Date.now();
  await until(what, async () => check(await watched(b)), 2000, 50);
  return Date.now() - t0;
}

describe.skipIf(postgresMissing !== undefined)(`the stream registry followed across hubs${postgresMissing ? ` (skipped: ${postgresMissing})` : ''}`, () => {
  it("a stream added, changed and removed on hub A reaches hub B and its probe's assignment within 2 s; audited once; no incident", async () => {
    const probe = remoteProbe(b);
    probes.push(probe);
    await until("B's probe assigned", () => probe.targets().includes('s1/primary'), 5000);
    const added = await command(a, 'add-stream', { definition: { id: 'room1', lines: { primary: { url: 'rtmp://127.0.0.1:1/ops/room1' } } }, reason: 'room opened' });
    expect(added.status).toBe(200);
    expect((await watched(a)).has('room1')).toBe(true);
    const tAdd = await onB('room1 on hub B', (s) => s.has('room1'));
    await until("room1 in the assignment of B's probe", () => probe.targets().includes('room1/primary'), 2000);

    const changed = await command(a, 'change-stream', { stream: 'room1', changes: { lines: { backup: { url: 'http://127.0.0.1:1/ops/room1.flv' } } }, reason: 'backup ready' });
    expect(changed.status).toBe(200);
    const tChange = await onB("room1's backup line on hub B", (s) => s.get('room1')?.includes('backup') === true);
    await until("room1's backup in the assignment of B's probe", () => probe.targets().includes('room1/backup'), 2000);

    const aSeen = logged.a.length;
    const removed = await command(a, 'remove-stream', { stream: 'room1', reason: 'room closed' });
    expect(removed.status).toBe(200);
    const tRemove = await onB('room1 gone from hub B', (s) => !s.has('room1') && s.has('s1'));
    await until("room1 out of the assignment of B's probe", () => probe.targets().join() === 's1/primary', 2000);
    console.info(`hub B followed: add ${tAdd} ms, change ${tChange} ms, remove ${tRemove} ms`);

    // B reloaded for each change; A saw its own changes in the registry and reloaded none again.
    expect(logged.b.filter((m) => m === FOLLOWED)).toHaveLength(3);
    await until("A's poll past its own removal", () => logged.a.slice(aSeen).includes(OWN), 2000, 50);
    expect(logged.a.filter((m) => m === FOLLOWED)).toEqual([]);

    expect(await openIncidents(a)).toEqual([]);
    expect(await openIncidents(b)).toEqual([]);
    // One audit row per command, A's: B applied the changes without recording them again.
    const rows = (await b.store.audit.recent(100)).filter((e) => e.target === 'room1');
    expect(rows.map((e) => e.action).sort()).toEqual(['api.add-stream', 'api.change-stream', 'api.remove-stream']);
    probe.close();
  });
});

describe.skipIf(postgresMissing !== undefined)('a stream retired on another hub', () => {
  it("its open incident on this hub is resolved as retired, not as a fault's end", async () => {
    const probe = remoteProbe(b, new Set(['dead']));
    probes.push(probe);
    expect((await command(a, 'add-stream', { definition: { id: 'dead', lines: { primary: { url: 'rtmp://127.0.0.1:1/ops/dead' } } }, reason: 'room announced' })).status).toBe(200);
    const open = await until("B's incident on the dead stream", async () => (await openIncidents(b)).find((i) => i.stream === 'dead'), 20_000, 200);
    expect((await command(a, 'remove-stream', { stream: 'dead', reason: 'room cancelled' })).status).toBe(200);
    const { timeline } = await until(
      "B's incident resolved",
      async () => {
        const read = (await (await fetch(`${b.url}/api/v1/incidents/${encodeURIComponent(open.id)}`)).json()) as { incident: Incident; timeline: TimelineEntry[] };
        return read.incident.status === 'resolved' && read;
      },
      2000,
    );
    expect(timeline.at(-1)).toMatchObject({ type: 'resolved', data: { by: 'stream registry', cause: 'retired' } });
    probe.close();
  }, 40_000);
});

describe('a registry only this hub writes (SQLite)', () => {
  it('has no version to poll: nothing follows it', () => {
    const store = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'sg-lone-registry-')), 'streamguard.db'));
    try {
      const registry: StreamRegistry = store.streams;
      expect(registry.version).toBeUndefined();
    } finally {
      store.close();
    }
  });
});
