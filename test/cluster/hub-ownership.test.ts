import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Hub } from '../../src/app/hub.ts';
import type { Ownership } from '../../src/cluster/ownership.ts';
import { ConfigSchema, type Config } from '../../src/config/schema.ts';
import type { Sample } from '../../src/model/sample.ts';
import type { Topic } from '../../src/model/topics.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { lineIncident } from '../helpers/incident.ts';

/**
 * The hub core under an Ownership set by hand, on a real SQLite store and a manual clock: it
 * detects on the streams it owns only, gives a stream up without resolving anything, adopts it
 * back from the store as the same incident, and a reload resolves the incidents of an owned
 * stream that left the config, never those of a stream it does not own; a probe's own incident is
 * raised by the owner of `probe:<id>` alone.
 */
const T0 = 1_700_000_000_000;
const STREAMS = ['s1', 's2', 's3', 's4'];
const stores: SqliteStore[] = [];
afterEach(() => stores.splice(0).forEach((s) => s.close()));

function config(streams: readonly string[]): Config {
  return ConfigSchema.parse({ streams: streams.map((id) => ({ id, lines: { primary: { url: `rtmp://127.0.0.1/live/${id}` } } })) });
}

function settings(c: Config) {
  return { streams: c.streams, rules: c.rules, detector: c.detector, reopenWindowMs: c.incidents.reopenWindow, retention: { rawMs: c.store.retention.raw, rollupsMs: c.store.retention.rollups }, compactEveryMs: 0 };
}

describe('the hub core of a hub of a cluster', () => {
  it('watches owned streams only; release forgets, adopt continues the same incident; a reload resolves only what it owns', async () => {
    const store = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'sg-own-')), 'streamguard.db'));
    stores.push(store);
    const owned = new Set(['s1', 's3', 's4']);
    const ownership: Ownership = { actingOn: (s) => (owned.has(s) ? { fence: undefined } : undefined), owns: (s) => owned.has(s), subscribe: () => undefined };
    let now = T0;
    let seq = 0;
    const hub = await new Hub({ incidents: store.incidents, samples: store.samples, ...settings(config(STREAMS)), tickMs: 0, compactEveryMs: 0, clock: () => now, ownership }).start();
    const topics: Topic[] = [];
    for (const topic of ['incident.opened', 'incident.reopened', 'incident.resolved'] as const) hub.bus.on(topic, () => topics.push(topic));
    /** One 1 s window of every stream from one probe (the `down` ones disconnected), then a tick. */
    const window = (down: readonly string[]) => {
      now += 1000;
      for (const stream of STREAMS) {
        const bad = down.includes(stream);
        const s: Sample = { probe: 'p-eu', region: 'local', stream, line: 'primary', seq: ++seq, t: now, windowMs: 1000, connected: !bad, fps: bad ? 0 : 25, bitrateBps: bad ? 0 : 1e6, maxGapMs: 40, stallMs: 0, freezeMs: 0, ...(bad && { error: 'refused' }) };
        expect(hub.ingest(s, { trusted: true })).toEqual({ ok: true });
      }
      hub.tick();
    };

    for (let i = 0; i < 6; i++) window(['s1', 's2']);
    expect(hub.incidents.open().map((i) => i.key)).toEqual(['s1/primary/down']);
    expect(hub.lineViews('s2')).toEqual([]);
    const opened = hub.incidents.open()[0]!;
    await hub.flush();
    await hub.incidents.settled();

    // Given up: forgotten here, nothing resolved or written.
    owned.delete('s1');
    hub.release(['s1']);
    expect(hub.lineViews('s1')).toEqual([]);
    expect(hub.incidents.open()).toEqual([]);
    for (let i = 0; i < 3; i++) window(['s1', 's2']); // another hub's now: stored, not detected on here
    expect(hub.lineViews('s1')).toEqual([]);
    expect((await store.incidents.get(opened.id))?.status).toBe('open');

    // Taken back: the same incident, its line warm from the stored samples, nothing reopened or resolved.
    owned.add('s1');
    await hub.flush();
    await hub.adopt(['s1']);
    expect(hub.incidents.open().map((i) => i.id)).toEqual([opened.id]);
    expect(hub.lineViews('s1').map((v) => v.level)).toEqual(['down']);
    for (let i = 0; i < 3; i++) window(['s1', 's2']);
    expect(hub.incidents.open().map((i) => i.id)).toEqual([opened.id]);
    expect(topics).toEqual(['incident.opened']);

    // A reload that removes s1 (owned) and s2 (another hub's, with its open incident in the store).
    const theirs = lineIncident(T0, {}, { id: `s2/primary/down@${T0}`, key: 's2/primary/down', stream: 's2' });
    await store.incidents.save(theirs, []);
    hub.prepareReload(settings(config(['s3', 's4'])))();
    await hub.incidents.settled();
    expect((await store.incidents.get(opened.id))?.status).toBe('resolved');
    expect((await store.incidents.get(theirs.id))?.status).toBe('open');
    expect(topics).toEqual(['incident.opened', 'incident.resolved']);
    await hub.stop();
  });

  it("a probe's own incident is raised only by the hub that owns probe:<id>", async () => {
    const store = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'sg-own-')), 'streamguard.db'));
    stores.push(store);
    const owned = new Set<string>();
    const ownership: Ownership = { actingOn: (s) => (owned.has(s) ? { fence: undefined } : undefined), owns: (s) => owned.has(s), subscribe: () => undefined };
    let now = T0;
    const hub = await new Hub({ incidents: store.incidents, samples: store.samples, ...settings(config(STREAMS)), tickMs: 0, compactEveryMs: 0, clock: () => now, ownership }).start();
    const silent = (probe: string) => {
      hub.heartbeat(probe, 'local', 1000);
      now += 5000;
      hub.tick();
    };
    silent('p-a');
    expect(hub.probeStatus().find((p) => p.probe === 'p-a')?.blind).toBe('silent');
    expect(hub.incidents.open()).toEqual([]);
    owned.add('probe:p-b');
    silent('p-b');
    expect(hub.incidents.open().map((i) => i.key)).toEqual(['probe/p-b/blind']);
    await hub.stop();
  });
});
