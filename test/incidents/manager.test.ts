import { afterEach, describe, expect, it } from 'vitest';
import { IncidentManager, type OnsetView } from '../../src/incidents/manager.ts';
import type { Incident, IncidentEvent, RegionEvidence, TimelineEntry } from '../../src/model/incident.ts';
import type { Sample } from '../../src/model/sample.ts';
import type { Severity } from '../../src/model/severity.ts';
import type { IncidentChange } from '../../src/model/topics.ts';
import { EventBus } from '../../src/common/event-bus.ts';
import type { Logger } from '../../src/common/log.ts';
import type { IncidentRepository } from '../../src/store/ports.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';

const KEY = 's1/primary/down';

function region(name: string, onset: number): RegionEvidence {
  return { region: name, probe: `p-${name}`, level: 'down', onset, seenAt: onset + 100, reasons: [{ rule: 'disconnected', metric: 'disconnected', value: 1, threshold: 0.5, yields: 'down', since: onset }] };
}

function ev(type: IncidentEvent['type'], severity: Severity, at: number, regions: RegionEvidence[]): IncidentEvent {
  return { type, key: KEY, kind: 'down', severity, scope: 'line', stream: 's1', line: 'primary', onset: 4000, at, openedAt: 4100, regions };
}

/** A networked engine's latency in front of the real SQLite repository: every call resolves a few ms later. */
function slow(repo: IncidentRepository): IncidentRepository {
  const later = <T>(work: () => Promise<T>) => new Promise<T>((resolve, reject) => setTimeout(() => work().then(resolve, reject), 5));
  return {
    save: (inc, entries) => later(() => repo.save(inc, entries)),
    open: () => later(() => repo.open()),
    get: (id) => later(() => repo.get(id)),
    timeline: (id) => later(() => repo.timeline(id)),
    history: (q) => later(() => repo.history(q)),
  };
}

const stores: SqliteStore[] = [];
afterEach(() => stores.splice(0).forEach((s) => s.close()));
function sqlite(): SqliteStore {
  const s = new SqliteStore(':memory:');
  stores.push(s);
  return s;
}

describe('IncidentManager on an async repository', () => {
  it('applies and publishes a change at once, and writes every change in commit order, the onset samples after their transition', async () => {
    const store = sqlite();
    const bus = new EventBus();
    const published: IncidentChange[] = [];
    bus.on('incident.opened', (c) => published.push(c));
    bus.on('incident.updated', (c) => published.push(c));
    bus.on('incident.raised', (c) => published.push(c));
    const onsetSamples = async (v: OnsetView): Promise<Sample[]> => {
      await new Promise((r) => setTimeout(r, 10)); // slower than the writes before it
      return [{ probe: v.probe, region: v.region, stream: v.stream, line: v.line, seq: 1, t: v.onset, windowMs: 1000, connected: false, fps: 0, bitrateBps: 0, maxGapMs: 1000, stallMs: 1000, freezeMs: 0 }];
    };
    const manager = new IncidentManager({ repository: slow(store.incidents), bus, reopenWindowMs: 60_000, onsetSamples });

    manager.onDetectorEvent(ev('open', 'P1', 4100, [region('eu', 4000)]), 4100);
    manager.onDetectorEvent(ev('update', 'P1', 4200, [region('eu', 4000), region('us', 4050)]), 4200);
    manager.onDetectorEvent(ev('raise', 'P0', 4300, [region('eu', 4000), region('us', 4050)]), 4300);
    expect(published.map((c) => c.entries.map((e) => e.type))).toEqual([['opened', 'region-seen'], ['region-seen'], ['severity-raised']]);
    const held = manager.byDedupKey(KEY)!;
    expect(held).toMatchObject({ severity: 'P0', regions: { eu: {}, us: {} } });

    await manager.settled();
    const timeline = await store.incidents.timeline(held.id);
    expect(timeline.map((e) => [e.type, e.data.region])).toEqual([
      ['opened', undefined],
      ['region-seen', 'eu'],
      ['onset-samples', 'eu'],
      ['region-seen', 'us'],
      ['onset-samples', 'us'],
      ['severity-raised', undefined],
    ]);
    expect(await store.incidents.get(held.id)).toEqual(held);
  });

  it('restores the open incidents from the repository, and acts on one it no longer holds only as read by the caller', async () => {
    const store = sqlite();
    const first = new IncidentManager({ repository: store.incidents, bus: new EventBus(), reopenWindowMs: 1000 });
    first.onDetectorEvent(ev('open', 'P1', 4100, [region('eu', 4000)]), 4100);
    first.onDetectorEvent(ev('clear', 'P1', 9000, [region('eu', 4000)]), 9000);
    first.onDetectorEvent({ ...ev('open', 'P2', 9100, [region('eu', 9000)]), key: 's2/primary/down', stream: 's2', openedAt: 9100 }, 9100);
    await first.settled();

    const second = new IncidentManager({ repository: slow(store.incidents), bus: new EventBus(), reopenWindowMs: 1000 });
    expect((await second.restore(10_500)).map((a) => a.key)).toEqual(['s2/primary/down']); // 1.5 s after the resolve: past the reopen window
    const resolvedId = `${KEY}@4100`;
    expect(() => second.act(resolvedId, { type: 'note', by: 'alice', note: 'post-mortem' }, 10_000)).toThrow(`no incident "${resolvedId}"`);
    const stored = (await store.incidents.get(resolvedId)) as Incident;
    const r = second.act(resolvedId, { type: 'note', by: 'alice', note: 'post-mortem' }, 10_000, stored);
    expect(r.rejected).toBeUndefined();
    await second.settled();
    expect((await store.incidents.timeline(resolvedId)).at(-1)).toMatchObject({ type: 'note', data: { by: 'alice', note: 'post-mortem' } });
  });

  it('restores an incident resolved within the reopen window too: a relapse right after a restart or a takeover reopens it', async () => {
    const store = sqlite();
    const first = new IncidentManager({ repository: store.incidents, bus: new EventBus(), reopenWindowMs: 1000 });
    first.onDetectorEvent(ev('open', 'P1', 4100, [region('eu', 4000)]), 4100);
    first.onDetectorEvent(ev('clear', 'P1', 9000, [region('eu', 4000)]), 9000);
    await first.settled();

    const second = new IncidentManager({ repository: store.incidents, bus: new EventBus(), reopenWindowMs: 1000 });
    expect(await second.restore(9500)).toEqual([]); // nothing open
    const relapse = second.onDetectorEvent(ev('open', 'P1', 9600, [region('eu', 9550)]), 9600)!;
    expect(relapse.incident).toMatchObject({ id: `${KEY}@4100`, status: 'open' });
    expect(relapse.entries.map((e) => e.type)).toContain('reopened');
    await second.settled();
  });

  it('logs a failed write; the change is applied and published all the same', async () => {
    const errors: unknown[] = [];
    const logger = { error: (o: unknown) => errors.push(o), warn: () => undefined, debug: () => undefined, info: () => undefined } as unknown as Logger;
    const repo = sqlite().incidents;
    const failing: IncidentRepository = { save: () => Promise.reject(new Error('disk full')), open: () => repo.open(), get: (id) => repo.get(id), timeline: (id) => repo.timeline(id), history: (q) => repo.history(q) };
    const bus = new EventBus();
    const opened: TimelineEntry[][] = [];
    bus.on('incident.opened', (c) => opened.push(c.entries));
    const manager = new IncidentManager({ repository: failing, bus, reopenWindowMs: 1000, logger });
    manager.onDetectorEvent(ev('open', 'P1', 4100, [region('eu', 4000)]), 4100);
    expect(opened).toHaveLength(1);
    await manager.settled();
    expect(errors).toEqual([expect.objectContaining({ err: expect.objectContaining({ message: 'disk full' }) })]);
    expect(manager.open()).toHaveLength(1);
  });
});
