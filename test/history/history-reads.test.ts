/**
 * The history reads on a real SQLite store: incidents of a range with their actions and resolution,
 * filtered by severity and kind; audit entries of a range with the stream each is about; raw
 * samples rolled up into minutes the way the store rolls up what it ages out.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { actionHistory } from '../../src/history/action-history.ts';
import { auditStream } from '../../src/store/audit-stream.ts';
import { incidentHistory } from '../../src/history/incident-history.ts';
import { inMinutes, rollUpMinutes } from '../../src/history/minute-rollup.ts';
import type { Sample } from '../../src/model/sample.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { lineIncident } from '../helpers/incident.ts';

const dir = mkdtempSync(join(tmpdir(), 'sg-history-reads-'));
let n = 0;
const open: SqliteStore[] = [];
function store(): SqliteStore {
  const s = new SqliteStore(join(dir, `store-${n++}.db`), { mergeEveryMs: 20 });
  open.push(s);
  return s;
}
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

describe('incident history', () => {
  it('answers the incidents live in the range with their actions and how they ended; filters by peak severity and kind', async () => {
    const s = store();
    const resolved = lineIncident(1000, {}, { status: 'resolved', resolvedAt: 9000, peakSeverity: 'P0' });
    await s.incidents.save(resolved, [
      { incidentId: resolved.id, t: 1000, type: 'opened', data: { severity: 'P1' } },
      { incidentId: resolved.id, t: 1000, type: 'region-seen', data: { region: 'eu' } },
      { incidentId: resolved.id, t: 1100, type: 'action', data: { by: 'policy:failover', action: 'switch', from: 'primary', to: 'backup' } },
      { incidentId: resolved.id, t: 1200, type: 'acknowledged', data: { by: 'alice' } },
      { incidentId: resolved.id, t: 9000, type: 'resolved', data: { cause: 'cleared', durationMs: 8000 } },
    ]);
    const open = lineIncident(5000, {}, { id: 's1/backup/degraded@5000', key: 's1/backup/degraded', line: 'backup', kind: 'degraded', severity: 'P2', peakSeverity: 'P2' });
    await s.incidents.save(open, [{ incidentId: open.id, t: 5000, type: 'opened', data: {} }]);
    const other = lineIncident(6000, {}, { id: 's2/primary/down@6000', key: 's2/primary/down', stream: 's2' });
    await s.incidents.save(other, []);

    const all = await incidentHistory(s.incidents, { from: 0, to: 10_000, limit: 10 });
    expect(all.incidents.map((r) => r.incident.id)).toEqual([other.id, open.id, resolved.id]);
    expect(all.truncated).toBe(false);
    const [, openRecord, resolvedRecord] = all.incidents;
    expect(resolvedRecord!.actions.map((e) => e.type)).toEqual(['action', 'acknowledged']);
    expect(resolvedRecord!.resolution).toMatchObject({ t: 9000, data: { cause: 'cleared' } });
    expect(openRecord!.resolution).toBeUndefined();

    const ids = async (f: Partial<Parameters<typeof incidentHistory>[1]>) => (await incidentHistory(s.incidents, { from: 0, to: 10_000, limit: 10, ...f })).incidents.map((r) => r.incident.id);
    expect(await ids({ stream: 's1' })).toEqual([open.id, resolved.id]);
    expect(await ids({ severity: ['P0'] })).toEqual([resolved.id]);
    expect(await ids({ kind: ['degraded'] })).toEqual([open.id]);
    // Resolved before the range: not in it; open ones are, however long ago they opened.
    expect(await ids({ from: 9500 })).toEqual([other.id, open.id]);
    const limited = await incidentHistory(s.incidents, { from: 0, to: 10_000, limit: 1 });
    expect(limited).toMatchObject({ truncated: true, incidents: [{ incident: { id: other.id } }] });
  });
});

describe('action history', () => {
  it('names the stream of every kind of audit entry that has one, and keeps only a stream\'s when asked', async () => {
    const s = store();
    const rows = [
      { t: 1, actor: 'policy:failover', action: 'control.switch', target: 'stream:s1 line:primary>backup', reason: 'down' },
      { t: 2, actor: 'alice', action: 'ws.ack', target: 's1/primary/down@1', reason: 'looking' },
      { t: 3, actor: 'alice', action: 'api.failback', target: 's2', reason: 'back' },
      { t: 4, actor: 'bob', action: 'ws.silence', target: 'sil-1', reason: 'maintenance', data: { matcher: { stream: 's1' } } },
      { t: 5, actor: 'bob', action: 'ws.ack', target: 'probe/p-eu/blind@3', reason: 'known' },
      { t: 6, actor: 'carol', action: 'tickets.drill', target: 'vendors', reason: 'drill' },
    ];
    for (const r of rows) await s.audit.append(r);
    expect(rows.map((r) => auditStream(r) ?? null)).toEqual(['s1', 's1', 's2', 's1', null, null]);
    expect((await actionHistory(s.audit, { from: 0, to: 10, limit: 10, stream: 's1' })).actions.map((a) => a.t)).toEqual([4, 2, 1]);
    const all = await actionHistory(s.audit, { from: 2, to: 6, limit: 3 });
    expect(all).toMatchObject({ truncated: true, actions: [{ t: 5 }, { t: 4, stream: 's1' }, { t: 3, stream: 's2' }] });
    expect('stream' in all.actions[0]!).toBe(false);
  });
});

describe('minute rollups of raw samples', () => {
  const sample = (t: number, over: Partial<Sample> = {}): Sample => ({ probe: 'p', seq: t, region: 'eu', stream: 's1', line: 'primary', t, windowMs: 1000, connected: true, fps: 25, bitrateBps: 2e6, maxGapMs: 40, stallMs: 0, freezeMs: 0, ...over });

  it('averages fps, bitrate and latency (over the samples that measured it), sums stall and freeze, keeps the longest gap', () => {
    const rolled = rollUpMinutes([sample(60_000, { latencyMs: 100, stallMs: 200 }), sample(61_000, { connected: false, fps: 15, maxGapMs: 900, freezeMs: 50 }), sample(61_500, { region: 'sg' })]);
    expect(rolled).toEqual([
      { minute: 60_000, stream: 's1', line: 'primary', region: 'eu', samples: 2, connectedRatio: 0.5, fpsAvg: 20, bitrateAvg: 2e6, stallMs: 200, freezeMs: 50, maxGapMs: 900, latencyAvgMs: 100 },
      { minute: 60_000, stream: 's1', line: 'primary', region: 'sg', samples: 1, connectedRatio: 1, fpsAvg: 25, bitrateAvg: 2e6, stallMs: 0, freezeMs: 0, maxGapMs: 40, latencyAvgMs: null },
    ]);
  });

  it('an answer in minutes: raw samples rolled up beside the stored rollups, oldest first, no raw sample left', () => {
    const stored = rollUpMinutes([sample(0)]);
    const answer = inMinutes({ stream: 's1', from: 0, to: 180_000, samples: [sample(120_000)], truncated: true, rollups: stored });
    expect(answer).toMatchObject({ samples: [], truncated: false });
    expect(answer.rollups.map((r) => r.minute)).toEqual([0, 120_000]);
  });
});
