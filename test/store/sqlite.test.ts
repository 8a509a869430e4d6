import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sample } from '../../src/model/sample.ts';
import { SqliteStore, StoreOpenError } from '../../src/store/sqlite.ts';

const dir = mkdtempSync(join(tmpdir(), 'sg-store-'));
let n = 0;
const opened: SqliteStore[] = [];
function open(file = join(dir, `db${n++}.sqlite`)): SqliteStore {
  const store = new SqliteStore(file);
  opened.push(store);
  return store;
}
afterEach(() => opened.splice(0).forEach((s) => s.close()));

function sample(over: Partial<Sample>): Sample {
  return { probe: 'p1', region: 'r1', stream: 's1', line: 'primary', seq: 0, t: 0, windowMs: 1000, connected: true, fps: 25, bitrateBps: 1e6, maxGapMs: 40, stallMs: 0, freezeMs: 0, ...over };
}

describe('SqliteStore', () => {
  it('persists incidents and their timeline across reopen', () => {
    const file = join(dir, 'reopen.sqlite');
    const a = open(file);
    a.upsertIncident({ id: 'i1', key: 's1/primary/down', status: 'open', severity: 'P1', openedAt: 1000, data: { regions: ['r1'] } }, [
      { incidentId: 'i1', t: 1000, type: 'open', data: { severity: 'P1' } },
    ]);
    a.upsertIncident({ id: 'i1', key: 's1/primary/down', status: 'open', severity: 'P0', openedAt: 1000, data: { regions: ['r1', 'r2'] } }, [
      { incidentId: 'i1', t: 2000, type: 'raise', data: { severity: 'P0' } },
    ]);
    a.close();
    const b = open(file);
    expect(b.openIncidents()).toEqual([{ id: 'i1', key: 's1/primary/down', status: 'open', severity: 'P0', openedAt: 1000, resolvedAt: undefined, data: { regions: ['r1', 'r2'] } }]);
    expect(b.timeline('i1').map((e) => e.type)).toEqual(['open', 'raise']);
    b.upsertIncident({ id: 'i1', key: 's1/primary/down', status: 'resolved', severity: 'P0', openedAt: 1000, resolvedAt: 9000, data: {} }, []);
    expect(b.openIncidents()).toEqual([]);
    expect(b.incident('i1')?.resolvedAt).toBe(9000);
  });

  it('stores a resent sample once (dedup on probe + seq)', () => {
    const s = open();
    s.addSamples([sample({ seq: 1, t: 1000 }), sample({ seq: 2, t: 2000 })]);
    s.addSamples([sample({ seq: 2, t: 2000 }), sample({ seq: 3, t: 3000, connected: false, fps: 0 })]);
    const got = s.samples({ stream: 's1', from: 0, to: 10_000 });
    expect(got.map((x) => x.seq)).toEqual([1, 2, 3]);
    expect(got[2]?.connected).toBe(false);
    expect(s.lastSeq('p1')).toBe(3);
    expect(s.lastSeq('nobody')).toBeUndefined();
  });

  it('rolls raw samples into whole minutes and prunes old rollups', async () => {
    const s = open();
    const minute = 60_000;
    const batch: Sample[] = [];
    for (let i = 0; i < 120; i++) {
      batch.push(sample({ seq: i, t: minute * 10 + i * 1000, fps: i < 60 ? 25 : 20, stallMs: i === 70 ? 500 : 0, latencyMs: i < 60 ? undefined : 1000 }));
    }
    s.addSamples(batch);
    // Raw data older than minute 11 rolls up; minute 11 stays raw.
    const first = await s.compact(minute * 11 + 30_000, 0);
    expect(first.rolledUp).toBe(60);
    const r = s.rollups({ stream: 's1', from: 0, to: minute * 100 });
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({ minute: minute * 10, samples: 60, fpsAvg: 25, connectedRatio: 1, latencyAvgMs: null });
    expect(s.samples({ stream: 's1', from: 0, to: minute * 100 })).toHaveLength(60);
    await s.compact(minute * 12, 0);
    const both = s.rollups({ stream: 's1', from: 0, to: minute * 100 });
    expect(both[1]).toMatchObject({ minute: minute * 11, fpsAvg: 20, stallMs: 500, latencyAvgMs: 1000 });
    expect((await s.compact(minute * 12, minute * 11)).prunedRollups).toBe(1);
  });

  it('keeps an audit log, newest first', () => {
    const s = open();
    s.audit({ t: 1, actor: 'alice', action: 'ack', target: 'i1', reason: 'looking' });
    s.audit({ t: 2, actor: 'policy:failover', action: 'switch', target: 's1', reason: 'primary down', data: { to: 'backup' } });
    expect(s.auditLog(10).map((e) => e.actor)).toEqual(['policy:failover', 'alice']);
    expect(s.auditLog(10)[0]?.data).toEqual({ to: 'backup' });
  });

  it('refuses a corrupt file with a clear error and leaves it untouched', () => {
    const file = join(dir, 'corrupt.sqlite');
    writeFileSync(file, Buffer.alloc(8192, 0x41));
    expect(() => new SqliteStore(file)).toThrowError(StoreOpenError);
    expect(() => new SqliteStore(file)).toThrowError(/corrupt\.sqlite: not a valid streamguard database/);
  });

  it('refuses a database held by another running hub process', async () => {
    const file = join(dir, 'locked.sqlite');
    const holder = spawn(
      process.execPath,
      ['--import', 'tsx', '-e', `import { SqliteStore } from ${JSON.stringify(new URL('../../src/store/sqlite.ts', import.meta.url).pathname)}; new SqliteStore(${JSON.stringify(file)}); console.log('held'); setInterval(() => {}, 1000);`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
      expect(() => new SqliteStore(file)).toThrowError(/locked by another process/);
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
