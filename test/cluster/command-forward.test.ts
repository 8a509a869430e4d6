import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type HubHandle } from '../../src/app/start.ts';
import { ClusterDirectory } from '../../src/cluster/directory.ts';
import { FORWARDED_BY_HEADER } from '../../src/cluster/forward.ts';
import type { Ownership } from '../../src/cluster/ownership.ts';
import { ConfigSchema, type Config } from '../../src/config/schema.ts';
import { shardOf } from '../../src/model/shard.ts';
import { PostgresClusterSession } from '../../src/store/postgres/cluster-session.ts';
import { postgresMissing, usePostgres } from '../helpers/postgres.ts';
import { lineIncident } from '../helpers/incident.ts';
import { until } from '../helpers/until.ts';

/**
 * Two real hubs (startHub, HTTP on loopback) on one PostgreSQL. Hub A owns stream `s-a`, hub B
 * owns `s-b`, nobody owns `s-none`: real shard leases in the database, the owners' URLs in its
 * directory, and each hub's Ownership a fixed set of streams. A command sent to the hub that does
 * not own its stream is run (and audited) by the owner, and answered with the owner's answer;
 * any hub answers the state and the incident cards of every stream, saying which hub owns it,
 * with its line health as the owner saw it, and tells its consoles when that changes.
 */

const SHARDS = 16;
const TOKENS = { SG_OPS: 'op-secret', SG_VIEW: 'view-secret' };
const OPERATOR = { authorization: `Bearer ${TOKENS.SG_OPS}` };
const line = (url: string) => ({ url });

const server = usePostgres();
let session: PostgresClusterSession | undefined;
let storeUrl: string;
const hubs: HubHandle[] = [];
let a: HubHandle;
let b: HubHandle;

function config(): Config {
  return ConfigSchema.parse({
    hub: { listen: '127.0.0.1:0', dataDir: mkdtempSync(join(tmpdir(), 'sg-forward-')) },
    probe: { embedded: false },
    store: { postgres: { urlEnv: 'SG_STORE_URL' } },
    streams: ['s-a', 's-b', 's-none'].map((id) => ({ id, lines: { primary: line(`rtmp://127.0.0.1:1/live/${id}`), backup: line(`rtmp://127.0.0.1:1/live/${id}b`) } })),
    auth: {
      tokens: [
        { name: 'alice', role: 'operator', tokenEnv: 'SG_OPS' },
        { name: 'victor', role: 'viewer', tokenEnv: 'SG_VIEW' },
      ],
    },
  });
}

/** A hub's share of the streams, fixed for the test (the lease wiring is not what is tested here). */
function owning(...streams: string[]): Ownership {
  const mine = new Set(streams);
  return { actingOn: (s) => (mine.has(s) ? { fence: undefined } : undefined), owns: (s) => mine.has(s), subscribe: () => undefined };
}

async function clusterHub(self: string, ...streams: string[]): Promise<HubHandle> {
  const owners = new ClusterDirectory({ self, directory: session!.directory, leases: session!.leases, shardCount: SHARDS });
  for (const s of streams) expect(await session!.leases.acquire(shardOf(s, SHARDS), self)).toBeDefined();
  const hub = await startHub(config(), { env: { ...TOKENS, SG_STORE_URL: storeUrl }, probes: false, ownership: owning(...streams), owners });
  hubs.push(hub);
  await owners.advertise(hub.url!);
  return hub;
}

async function post(hub: HubHandle, type: string, body: Record<string, unknown>, headers: Record<string, string> = OPERATOR): Promise<{ status: number; body: { ok?: true; result?: Record<string, unknown>; error?: { code: string; message: string } } }> {
  const res = await fetch(`${hub.url}/api/v1/commands/${type}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as never };
}

interface AuditRow {
  actor: string;
  action: string;
  target: string;
  data: Record<string, unknown>;
}

async function auditOf(target: string): Promise<AuditRow[]> {
  const client = new pg.Client({ connectionString: storeUrl });
  await client.connect();
  try {
    return (await client.query<AuditRow>('SELECT actor, action, target, data FROM audit WHERE target = $1 ORDER BY id', [target])).rows;
  } finally {
    await client.end();
  }
}

const pinOf = (hub: HubHandle, stream: string) => hub.controller!.state(stream)?.line.pin?.value;

beforeAll(async () => {
  if (postgresMissing) return;
  storeUrl = await server().createDatabase();
  session = await PostgresClusterSession.open(storeUrl, { expireMs: 10 * 60_000 });
  expect(new Set(['s-a', 's-b', 's-none'].map((s) => shardOf(s, SHARDS))).size).toBe(3);
  a = await clusterHub('hub-a', 's-a');
  b = await clusterHub('hub-b', 's-b');
}, 120_000);

afterAll(async () => {
  for (const h of hubs) await h.stop();
  await session?.close();
}, 60_000);

describe.skipIf(postgresMissing)('commands on a cluster of hubs', () => {
  it("a pin sent to hub B for hub A's stream is applied and audited by A, and B answers with A's result", async () => {
    const r = await post(b, 'pin', { stream: 's-a', line: 'backup', reason: 'maintenance on primary', ttlMs: 600_000 });
    expect(r.status).toBe(200);
    expect(r.body.result).toMatchObject({ stream: 's-a', state: { line: { pin: { value: 'backup', by: 'alice' } } } });
    expect(pinOf(a, 's-a')).toBe('backup');
    expect(pinOf(b, 's-a')).toBeUndefined();
    // One row, by A: B wrote nothing, A's row says who handed the command over.
    expect(await auditOf('s-a')).toEqual([{ actor: 'alice', action: 'api.pin', target: 's-a', data: expect.objectContaining({ forwardedBy: 'hub-b', outcome: 'ok', line: 'backup' }) }]);
  });

  it("the owner's refusal comes back with its status, code and message", async () => {
    const r = await post(b, 'pin', { stream: 's-a', line: 'tertiary', reason: 'no such line', ttlMs: 600_000 });
    expect(r.status).toBe(404);
    expect(r.body.error).toEqual({ code: 'not_found', message: 'stream "s-a" has no line "tertiary" (lines: primary, backup)' });
    const viewer = await post(b, 'pin', { stream: 's-a', line: 'backup', reason: 'a viewer tries', ttlMs: 600_000 }, { authorization: `Bearer ${TOKENS.SG_VIEW}` });
    expect(viewer.status).toBe(403);
  });

  it("a WebSocket command on hub B for A's stream is run by A and audited as a WebSocket command", async () => {
    const ws = new WebSocket(`${b.url!.replace('http', 'ws')}/ws`, { headers: OPERATOR });
    try {
      const replies: Record<string, unknown>[] = [];
      ws.on('message', (data) => replies.push(JSON.parse(String(data)) as Record<string, unknown>));
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      ws.send(JSON.stringify({ id: 1, type: 'feature', stream: 's-a', feature: 'abr', enabled: false, reason: 'abr misbehaves', ttlMs: 600_000 }));
      const reply = await until('the reply to the feature command', () => replies.find((m) => m.id === 1), 15_000, 20);
      expect(reply).toMatchObject({ id: 1, ok: true, result: { stream: 's-a' } });
      expect(a.controller!.state('s-a')?.features['abr']?.pin?.value).toBe(false);
      expect(b.controller!.state('s-a')?.features['abr']?.pin).toBeUndefined();
      expect((await auditOf('s-a')).filter((row) => row.action === 'ws.feature')).toEqual([expect.objectContaining({ actor: 'alice', data: expect.objectContaining({ forwardedBy: 'hub-b', feature: 'abr' }) })]);
    } finally {
      ws.terminate();
    }
  });

  it('a forwarded command for a stream the receiver does not own is refused with 503, not forwarded again', async () => {
    const before = await auditOf('s-a');
    const r = await post(b, 'pin', { stream: 's-a', line: 'primary', reason: 'loop', ttlMs: 600_000 }, { ...OPERATOR, [FORWARDED_BY_HEADER]: 'hub-a' });
    expect(r.status).toBe(503);
    expect(r.body.error?.code).toBe('unavailable');
    expect(r.body.error?.message).toMatch(/hub "hub-a" forwarded .* "s-a" .* does not own it .*retry/);
    expect(pinOf(a, 's-a')).toBe('backup');
    expect(await auditOf('s-a')).toEqual(before);
  });

  it('a command for a stream no hub owns (its shard changing hands) is refused with 503', async () => {
    const r = await post(a, 'pin', { stream: 's-none', line: 'backup', reason: 'nobody owns it', ttlMs: 600_000 });
    expect(r.status).toBe(503);
    expect(r.body.error).toEqual({ code: 'unavailable', message: 'stream "s-none" has no owner hub right now (its shard is changing hands): retry in a moment' });
    expect(pinOf(a, 's-none')).toBeUndefined();
    expect(await auditOf('s-none')).toEqual([]);
  });

  it("any hub answers the state and cards of every stream from the store, naming each stream's owner; an ack of another hub's incident runs on its owner", async () => {
    const opened = Date.now();
    const incident = lineIncident(opened, {}, { id: `s-a/primary/down@${opened}`, key: 's-a/primary/down', stream: 's-a' });
    await a.store.incidents.save(incident, []);
    expect((await post(a, 'pin', { stream: 's-a', line: 'backup', reason: 'maintenance on primary', ttlMs: 600_000 })).status).toBe(200);

    type StreamState = { id: string; owner?: string; pin?: { value: string }; openIncidents: string[] };
    const stateOn = async (hub: HubHandle) => ((await post(hub, 'state', {})).body.result as { streams: StreamState[]; incidents: { id: string }[] });
    // The owner saves its control state a moment after the pin: B tells it once stored.
    const state = await until("the pin of s-a in hub B's state", async () => {
      const st = await stateOn(b);
      return st.streams.find((x) => x.id === 's-a')?.pin?.value === 'backup' && st;
    });
    const byId = new Map(state.streams.map((x) => [x.id, x]));
    expect(byId.get('s-a')).toMatchObject({ owner: 'hub-a', openIncidents: [incident.id] });
    expect(byId.get('s-b')?.owner).toBe('hub-b');
    expect(byId.get('s-none')?.owner).toBeUndefined();
    expect(state.incidents.map((i) => i.id)).toContain(incident.id);

    const cards = (await post(b, 'cards', {})).body.result as { cards: { id: string; owner?: string }[] };
    expect(cards.cards.find((c) => c.id === incident.id)?.owner).toBe('hub-a');

    const ack = await post(b, 'ack', { incident: incident.id, reason: 'looking at it' });
    expect(ack.status).toBe(200);
    expect(ack.body.result).toMatchObject({ incident: { id: incident.id, status: 'acknowledged' } });
    expect(await auditOf(incident.id)).toEqual([expect.objectContaining({ actor: 'alice', action: 'api.ack', data: expect.objectContaining({ forwardedBy: 'hub-b', outcome: 'ok' }) })]);
  });

  it("any hub shows the line health of another hub's stream as its owner sees it, and pushes a health event when it changes", async () => {
    const ws = new WebSocket(`${b.url!.replace('http', 'ws')}/ws`, { headers: OPERATOR });
    try {
      const events: Record<string, any>[] = [];
      ws.on('message', (data) => events.push(JSON.parse(String(data)) as Record<string, unknown>));
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      ws.send(JSON.stringify({ id: 1, type: 'subscribe', topics: ['health'] }));
      await until('subscribed', () => events.find((m) => m.id === 1), 5000, 20);
      let seq = 0;
      const window = (line: string, connected: boolean) =>
        a.ingest({ probe: 'p-eu', region: 'eu', stream: 's-a', line, seq: ++seq, t: Date.now(), windowMs: 1000, connected, fps: connected ? 25 : 0, bitrateBps: connected ? 2e6 : 0, width: 1280, height: 720, maxGapMs: 40, stallMs: 0, freezeMs: 0, ...(!connected && { error: 'refused' }) }, { trusted: true });
      window('primary', true);
      window('backup', true);
      const healthOn = async (hub: HubHandle) => ((await post(hub, 'state', {})).body.result as { streams: { id: string; health: Record<string, Record<string, { level: string }>> }[] }).streams.find((x) => x.id === 's-a')!.health;
      const seen = await until("s-a's lines in hub B's state", async () => {
        const h = await healthOn(b);
        return h['primary']?.['eu'] && h['backup']?.['eu'] && h;
      });
      expect(seen).toEqual(await healthOn(a));
      expect(seen['primary']!['eu']!.level).toBe('ok');
      await until('a followed health event on B', () => events.find((m) => m.type === 'event' && m.topic === 'health' && m.data.stream === 's-a'), 5000, 20);
      expect(events.find((m) => m.topic === 'health')!.data).toEqual({ stream: 's-a', owner: 'hub-a', change: 'followed' });

      const pushed = events.length;
      window('primary', false);
      await until("the primary down in hub B's state", async () => (await healthOn(b))['primary']?.['eu']?.level === 'down', 5000);
      await until('another followed health event on B', () => events.slice(pushed).find((m) => m.topic === 'health' && m.data.stream === 's-a'), 5000, 20);
    } finally {
      ws.terminate();
    }
  });
});
