/**
 * The config file and the stream registry disagreeing, on a real hub (SQLite in a temp dir, no
 * probes): for an id the registry holds, the registry wins over every reload of the file, until
 * reset-stream; a file that does not fit the registry is refused at a reload and set aside at a start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHub, type HubHandle } from '../../src/app/start.ts';
import { ConfigSchema, type Config } from '../../src/config/schema.ts';

const dirs: string[] = [];
const hubs: HubHandle[] = [];
afterEach(async () => {
  for (const h of hubs.splice(0)) await h.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const url = (path: string) => `rtmp://127.0.0.1:1/live/${path}`;
const alice = { by: 'alice', reason: 'test' };

function fileConfig(dataDir: string, over: { regions?: string[]; streams?: unknown[] } = {}): Config {
  return ConfigSchema.parse({
    hub: { listen: '127.0.0.1:0', dataDir },
    probe: { embedded: false },
    regions: over.regions ?? ['eu', 'us'],
    streams: over.streams ?? [
      { id: 's1', lines: { primary: { url: url('s1') } } },
      { id: 's2', lines: { primary: { url: url('s2') } } },
    ],
  });
}

async function start(config: Config): Promise<HubHandle> {
  const h = await startHub(config, { probes: false });
  hubs.push(h);
  return h;
}

async function streams(h: HubHandle): Promise<Record<string, string[]>> {
  const res = await fetch(`${h.url}/api/v1/state`);
  const { result } = (await res.json()) as { result: { streams: { id: string; lines: string[] }[] } };
  return Object.fromEntries(result.streams.map((s) => [s.id, s.lines]));
}

describe('the config file and the registry', () => {
  it('the registry wins for its ids over a reload of the file; reset-stream hands a stream back to the file', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sg-registry-'));
    dirs.push(dataDir);
    const h = await start(fileConfig(dataDir));
    await h.streams.apply({ op: 'change', stream: 's1', changes: { lines: { backup: { url: url('s1b') } } } }, alice);
    await h.streams.apply({ op: 'remove', stream: 's2' }, alice);
    await h.streams.apply({ op: 'add', definition: { id: 'room', lines: { primary: { url: url('room') } } } }, alice);
    expect(await streams(h)).toEqual({ s1: ['primary', 'backup'], room: ['primary'] });

    // The file changes s1 and keeps s2, and adds s3: s1 and s2 stay as the registry says, s3 is the file's.
    const next = fileConfig(dataDir, {
      streams: [
        { id: 's1', lines: { primary: { url: url('s1') }, other: { url: url('s1o') } } },
        { id: 's2', lines: { primary: { url: url('s2') } } },
        { id: 's3', lines: { primary: { url: url('s3') } } },
      ],
    });
    const r = h.reload(next);
    expect(r.ok && r.changes).toEqual({ added: ['s3'], removed: [], sections: ['streams'] });
    expect(await streams(h)).toEqual({ s1: ['primary', 'backup'], s3: ['primary'], room: ['primary'] });

    await h.streams.apply({ op: 'reset', stream: 's2' }, alice);
    await h.streams.apply({ op: 'reset', stream: 's1' }, alice);
    expect(await streams(h)).toEqual({ s1: ['primary', 'other'], s2: ['primary'], s3: ['primary'], room: ['primary'] });
    expect(h.streams.registry().map((e) => e.id)).toEqual(['room']);
  });

  it('a file that does not fit a run-time stream: refused at a reload, set aside at a start', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sg-registry-'));
    dirs.push(dataDir);
    const h = await start(fileConfig(dataDir));
    await h.streams.apply({ op: 'add', definition: { id: 'room', lines: { primary: { url: url('room'), regionUrls: { us: url('room-us') } } } } }, alice);
    const r = h.reload(fileConfig(dataDir, { regions: ['eu'] }));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toEqual([{ path: 'streams', message: 'run-time stream "room": lines.primary.regionUrls.us: unknown region "us" (regions: eu)' }]);
    expect(Object.keys(await streams(h))).toEqual(['s1', 's2', 'room']);
    await h.stop();

    const again = await start(fileConfig(dataDir, { regions: ['eu'] }));
    expect(Object.keys(await streams(again))).toEqual(['s1', 's2']);
    // The entry is kept; a change refuses while it does not fit, naming it.
    expect(again.streams.registry().map((e) => e.id)).toEqual(['room']);
    await expect(again.streams.apply({ op: 'add', definition: { id: 'x', lines: { primary: { url: url('x') } } } }, alice)).rejects.toThrow(
      'stream "room": lines.primary.regionUrls.us: unknown region "us" (regions: eu)',
    );
    await again.streams.apply({ op: 'reset', stream: 'room' }, alice);
    await again.streams.apply({ op: 'add', definition: { id: 'x', lines: { primary: { url: url('x') } } } }, alice);
    expect(Object.keys(await streams(again))).toEqual(['s1', 's2', 'x']);
  });

  it('removing the last stream is refused when no discovery source is configured', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sg-registry-'));
    dirs.push(dataDir);
    const h = await start(fileConfig(dataDir, { streams: [{ id: 's1', lines: { primary: { url: url('s1') } } }] }));
    await expect(h.streams.apply({ op: 'remove', stream: 's1' }, alice)).rejects.toThrow('streams: at least one stream is required (or a discovery source)');
    expect(Object.keys(await streams(h))).toEqual(['s1']);
  });
});
