import { describe, expect, it } from 'vitest';
import { lineIncident } from '../helpers/incident.ts';
import type { Incident } from '../../src/model/incident.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { buildEvidence, type EvidenceSource } from '../../src/tickets/evidence.ts';
import { samples } from './helpers.ts';

const T = 1_700_000_000_000;

/** What the evidence is read from, as the hub's wiring hands it to the tickets (src/app/ticket-ports.ts). */
function source(store: SqliteStore): EvidenceSource {
  return { history: store.samples, timeline: (id) => store.incidents.timeline(id) };
}

function incident(over: Partial<Incident> = {}): Incident {
  return lineIncident(T + 2000, { regions: ['eu', 'us'] }, over);
}

describe('evidence bundle', () => {
  it('last samples per region (every line), history around the onset for the incident lines, merged error lines, controller actions', async () => {
    const store = new SqliteStore(':memory:');
    // 5 min of history: primary refused from the onset on in both regions.
    store.samples.append(samples(T - 180_000, 240, (i) => (T - 180_000 + i * 1000 >= T ? { connected: false, fps: 0, bitrateBps: 0, error: 'refused' } : {})).map((s) => (s.line === 'backup' ? { ...s, connected: true, fps: 25, bitrateBps: 2e6, error: undefined } : s)).map((s) => JSON.parse(JSON.stringify(s))));
    const inc = incident();
    await store.incidents.save(inc, [
      { incidentId: inc.id, t: T + 2500, type: 'action', data: { by: 'policy:failover', action: 'failover', from: 'primary', to: 'backup' } },
      { incidentId: inc.id, t: T + 3000, type: 'action', data: { by: 'tickets', action: 'ticket-opened', vendor: 'pd' } },
    ]);
    const now = T + 59_500;
    const e = await buildEvidence(source(store), inc, now, { beforeMs: 60_000, afterMs: 60_000, maxPoints: 30 });
    expect(e.lines).toEqual(['primary']);
    expect(e.regions).toEqual(['eu', 'us']);
    expect(Object.keys(e.lastSamples)).toEqual(['eu', 'us']);
    expect(e.lastSamples.eu!.map((s) => [s.line, s.points.length, s.points.at(-1)!.connected])).toEqual([
      ['backup', 5, true],
      ['primary', 5, false],
    ]);
    // History: primary only, 60 s before to now, thinned to ~30 points but keeping the onset.
    expect(e.history.map((s) => `${s.region}/${s.line}`)).toEqual(['eu/primary', 'us/primary']);
    const h = e.history[0]!.points;
    expect(h.length).toBeLessThanOrEqual(32);
    expect(h[0]!.t).toBe(T - 60_000);
    expect(h.some((p) => p.t === T && p.error === 'refused')).toBe(true);
    expect(e.probeErrors).toEqual([`${new Date(T).toISOString()} eu p-eu primary refused ×60`, `${new Date(T).toISOString()} us p-us primary refused ×60`]);
    expect(e.actions).toEqual([{ t: new Date(T + 2500).toISOString(), by: 'policy:failover', action: 'failover', detail: { from: 'primary', to: 'backup' } }]);
    expect(e.rollups).toBeUndefined();

    // Raw samples compacted away: minute rollups stand in.
    await store.samples.compact(T + 600_000, 0);
    const later = await buildEvidence(source(store), inc, now);
    expect(later.history).toEqual([]);
    expect(later.rollups!.length).toBeGreaterThan(0);
    expect(later.rollups!.every((r) => r.line === 'primary')).toBe(true);
    store.close();
  });

  it('a probe incident has no stream evidence but still its actions', async () => {
    const store = new SqliteStore(':memory:');
    const inc = incident({ id: 'probe/p-eu/blind@1', key: 'probe/p-eu/blind', kind: 'blind', stream: undefined, line: undefined, probe: 'p-eu', regions: {} });
    delete inc.stream;
    delete inc.line;
    await store.incidents.save(inc, []);
    const e = await buildEvidence(source(store), inc, T);
    expect(e).toMatchObject({ lines: [], history: [], lastSamples: {}, probeErrors: [], actions: [] });
    store.close();
  });
});
