import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutboxStore } from '../../src/store/outbox.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';

function open(file = ':memory:') {
  const store = new SqliteStore(file);
  return { store, outbox: new OutboxStore(store.database) };
}

describe('OutboxStore', () => {
  it('enqueues once per idempotency key', () => {
    const { outbox, store } = open();
    const row = { key: 'i1/pd/open', incidentId: 'i1', vendor: 'pd', action: 'open', payload: { a: 1 }, createdAt: 10 };
    expect(outbox.enqueue(row)).toBe(true);
    expect(outbox.enqueue({ ...row, payload: { a: 2 } })).toBe(false);
    expect(outbox.forIncident('i1')).toHaveLength(1);
    expect(outbox.get('i1/pd/open')?.payload).toEqual({ a: 1 });
    store.close();
  });

  it('keeps (incident, vendor) order: an update is due only after its open settled', () => {
    const { outbox, store } = open();
    outbox.enqueue({ key: 'i1/desk/open', incidentId: 'i1', vendor: 'desk', action: 'open', payload: {}, createdAt: 0 });
    outbox.enqueue({ key: 'i1/desk/update', incidentId: 'i1', vendor: 'desk', action: 'update', payload: {}, createdAt: 1 });
    outbox.enqueue({ key: 'i1/pd/open', incidentId: 'i1', vendor: 'pd', action: 'open', payload: {}, createdAt: 1 });
    expect(outbox.due(5).map((r) => r.key)).toEqual(['i1/desk/open', 'i1/pd/open']);
    const open1 = outbox.get('i1/desk/open')!;
    outbox.markRetry(open1.id, 100, 'ECONNREFUSED');
    expect(outbox.due(5).map((r) => r.key)).toEqual(['i1/pd/open']);
    expect(outbox.due(100).map((r) => r.key)).toEqual(['i1/desk/open', 'i1/pd/open']);
    outbox.markDelivered(open1, 101, 'T-1');
    expect(outbox.ref('i1', 'desk')).toBe('T-1');
    expect(outbox.due(101).map((r) => r.key)).toEqual(['i1/desk/update', 'i1/pd/open']);
    expect(outbox.get('i1/desk/open')).toMatchObject({ status: 'delivered', attempts: 2, deliveredAt: 101, ref: 'T-1' });
    store.close();
  });

  it('persists across reopen, with SLA state', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-outbox-'));
    const file = join(dir, 'db.sqlite');
    const a = open(file);
    a.outbox.enqueue({ key: 'k', incidentId: 'i', vendor: 'v', action: 'open', payload: { x: 1 }, createdAt: 0 });
    a.outbox.saveSla('i', { step: 1 }, false);
    a.store.close();
    const b = open(file);
    expect(b.outbox.pendingCount()).toBe(1);
    expect(b.outbox.activeSla()).toEqual([{ incidentId: 'i', done: false, data: { step: 1 } }]);
    b.outbox.saveSla('i', { step: 2 }, true);
    expect(b.outbox.activeSla()).toEqual([]);
    expect(b.outbox.sla('i')).toEqual({ incidentId: 'i', done: true, data: { step: 2 } });
    b.store.close();
  });
});
