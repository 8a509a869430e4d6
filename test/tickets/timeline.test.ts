import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ticketHub } from '../../src/app/ticket-ports.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { TicketTimeline } from '../../src/tickets/timeline.ts';
import { event } from './helpers.ts';
import { hubOn, settledTimeline } from './ticket-ports.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('ticket steps on the incident timeline', () => {
  it('a step for an incident resolved before a restart lands on its stored timeline (the new hub holds only open incidents)', async () => {
    // `npm start` twice: an update left in the outbox was given up after the restart, and its step was lost with "no incident".
    const store = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'sg-ticket-timeline-')), 'hub.db'));
    cleanup.push(() => store.close());
    // Resolved ten minutes ago: past the reopen window, so a restarted hub no longer holds it.
    const now = Date.now() - 600_000;
    const first = await hubOn(store);
    first.incidents.onDetectorEvent(event('open', 'P1', now), now);
    const id = first.incidents.byDedupKey('s1/primary/down')!.id;
    first.incidents.onDetectorEvent(event('clear', 'P1', now + 1000), now + 1000);
    await first.incidents.settled();
    await first.stop();

    const second = await hubOn(store);
    cleanup.push(() => second.stop());
    expect(second.incidents.byDedupKey('s1/primary/down')).toBeUndefined();
    const { incidents, stored } = ticketHub(second, store);
    const warnings: string[] = [];
    const log = { warn: (_: unknown, msg: string) => warnings.push(msg) } as unknown as ConstructorParameters<typeof TicketTimeline>[2];
    await new TicketTimeline(incidents, stored, log).record(id, 'tickets', 'ticket-failed', { vendor: 'cdn-desk', error: 'HTTP 404' }, now + 5000);
    expect(warnings).toEqual([]);
    const steps = (await settledTimeline(second, store, id)).filter((e) => e.type === 'action');
    expect(steps.map((e) => e.data)).toEqual([expect.objectContaining({ by: 'tickets', action: 'ticket-failed', vendor: 'cdn-desk' })]);
    expect((await store.incidents.get(id))!.status).toBe('resolved');
  });
});
