import { afterEach, describe, expect, it } from 'vitest';
import type { IncidentEvent, RegionEvidence } from '../../src/model/incident.ts';
import type { Severity } from '../../src/model/severity.ts';
import { startDeskHub, type DeskHub } from './helpers/desk-hub.ts';

const hubs: DeskHub[] = [];
afterEach(async () => {
  for (const h of hubs.splice(0)) await h.stop();
});

describe('the vendor ticket follows the incident (real detector, store and desk over HTTP)', () => {
  it('a line down first in one region, then in every region: the ticket opens "regional", its subject becomes "line" at once', async () => {
    const h = await startDeskHub();
    hubs.push(h);
    for (let i = 0; i < 6; i++) h.window();
    // eu sees the primary down first: the incident opens regional and the ticket goes out at once.
    h.window({ eu: ['primary'] });
    const [ticket] = await h.deskUntil('the ticket', (t) => t.length === 1 && t);
    expect(ticket!.subject).toBe('[P1] stream s1 line primary down (regional: eu)');
    // A window later us sees it down too: the whole line is down.
    h.window({ eu: ['primary'], us: ['primary'] });
    const inc = h.handle.hub.incidents.open().find((i) => i.key === 's1/primary/down')!;
    expect(inc.scope).toBe('line');
    // Reaching further is news now: it goes past the coalescing of updates, with no time passing.
    await h.deskUntil('the subject says "line"', () => ticket!.subject === '[P1] stream s1 line primary down (line: eu, us)');
    expect(ticket!.comments.at(-1)).toMatch(/scope regional → line/);
    expect(h.desk.tickets).toHaveLength(1);
  });

  /** Six healthy windows, the primary down everywhere for `downFor` windows, then healthy until its incident resolves. */
  async function outage(h: DeskHub, downFor: number): Promise<string> {
    for (let i = 0; i < 6; i++) h.window();
    for (let i = 0; i < downFor; i++) h.window({ eu: ['primary'], us: ['primary'] });
    const id = h.handle.hub.incidents.byDedupKey('s1/primary/down')!.id;
    while (h.handle.hub.incidents.byDedupKey('s1/primary/down')!.status !== 'resolved') h.window();
    return id;
  }

  it('a fault 3 min after a solved one is a new incident with a new ticket; the solved ticket is left alone', async () => {
    const h = await startDeskHub();
    hubs.push(h);
    const first = await outage(h, 15);
    const [solved] = await h.deskUntil('the first ticket solved', (t) => t[0]?.status === 'solved' && t);
    const comments = solved!.comments.length;
    h.advance(3 * 60_000);
    const second = await outage(h, 15);
    expect(second).not.toBe(first);
    expect(h.handle.hub.incidents.byDedupKey('s1/primary/down')!.reopenCount).toBe(0);
    const tickets = await h.deskUntil('a second ticket, solved', (t) => t.length === 2 && t[1]!.status === 'solved' && t);
    expect(tickets.map((t) => t.externalId)).toEqual([first, second]);
    expect(tickets[1]!.comments[0]).not.toMatch(/Relapse/);
    expect(solved!.comments).toHaveLength(comments);
  });

  it('a relapse within 1 min reopens the incident and its ticket, with the relapse comment; the next resolve solves it again', async () => {
    const h = await startDeskHub();
    hubs.push(h);
    const first = await outage(h, 15);
    const [ticket] = await h.deskUntil('the ticket solved', (t) => t[0]?.status === 'solved' && t);
    const comments = ticket!.comments.length;
    h.advance(60_000);
    for (let i = 0; i < 15; i++) h.window({ eu: ['primary'], us: ['primary'] });
    expect(h.handle.hub.incidents.byDedupKey('s1/primary/down')!.id).toBe(first);
    expect(h.handle.hub.incidents.byDedupKey('s1/primary/down')!.reopenCount).toBe(1);
    await h.deskUntil('the same ticket reopened', () => ticket!.status === 'open');
    expect(ticket!.comments[comments]).toMatch(/^Reopened: \[P1\] .*\n\nRelapse 1: the fault came back at [^,]+ UTC, \d+ s after it cleared; this ticket is open again\./);
    while (h.handle.hub.incidents.byDedupKey('s1/primary/down')!.status !== 'resolved') h.window();
    await h.deskUntil('solved again', () => ticket!.status === 'solved');
    expect(h.desk.tickets).toHaveLength(1);
  });
});
