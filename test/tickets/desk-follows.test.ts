import { afterEach, describe, expect, it } from 'vitest';
import type { IncidentEvent, RegionEvidence } from '../../src/model/incident.ts';
import type { Severity } from '../../src/model/severity.ts';
import { startDeskHub, type DeskHub } from './helpers/desk-hub.ts';

const hubs: DeskHub[] = [];
afterEach(async () => {
  for (const h of hubs.splice(0)) await h.stop();
});

describe('the vendor ticket follows the incident (real detector, store and desk over HTTP)', () => {
  it('a line down first in one region, then in every region: the ticket opens "regional", its subject becomes "line"', async () => {
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
    h.advance(60_000);
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

  it('a relapse within the 2 min window reopens the incident; its new ticket names the solved one', async () => {
    const h = await startDeskHub();
    hubs.push(h);
    const first = await outage(h, 15);
    const [solved] = await h.deskUntil('the first ticket solved', (t) => t[0]?.status === 'solved' && t);
    const comments = solved!.comments.length;
    h.advance(60_000);
    expect(await outage(h, 15)).toBe(first);
    expect(h.handle.hub.incidents.byDedupKey('s1/primary/down')!.reopenCount).toBe(1);
    const tickets = await h.deskUntil('a second ticket, solved', (t) => t.length === 2 && t[1]!.status === 'solved' && t);
    expect(tickets[1]!.externalId).toBe(first);
    expect(tickets[1]!.comments[0]).toMatch(new RegExp(`Relapse 1: the fault came back at [^,]+ UTC, \\d+ s after it cleared; ticket ${solved!.id}, solved then, stays solved`));
    expect(solved!.comments).toHaveLength(comments);
  });

  it('ten detector updates within 2 s: the severity change goes at once, the ten as one update after the interval, held across a hub restart', async () => {
    const h = await startDeskHub({ vendor: { updateEvery: '30s' } });
    hubs.push(h);
    const t0 = h.now();
    const evidence = (region: string): RegionEvidence => ({ region, probe: `p-${region}`, level: 'down', onset: t0 - 1000, seenAt: t0, reasons: [] });
    const detector = (type: IncidentEvent['type'], severity: Severity, regions: string[]) => {
      const event: IncidentEvent = { type, key: 's1/primary/down', kind: 'down', severity, scope: severity === 'P0' ? 'stream' : 'regional', stream: 's1', line: 'primary', onset: t0 - 1000, at: h.now(), openedAt: t0, regions: regions.map(evidence) };
      if (!h.handle.hub.incidents.onDetectorEvent(event, h.now())) throw new Error(`${type} not applied`);
    };
    detector('open', 'P1', ['eu']);
    const [ticket] = await h.deskUntil('the ticket', (t) => t.length === 1 && t);
    h.advance(100);
    detector('raise', 'P0', ['eu']);
    await h.deskUntil('the raise at once', () => ticket!.comments.length === 2);
    expect(ticket!.comments[1]).toContain('severity P1 → P0');
    expect(ticket!.priority).toBe('urgent');
    const regions = ['eu'];
    for (let i = 1; i <= 10; i++) {
      h.advance(200);
      regions.push(`r${i}`);
      detector('update', 'P0', regions);
      await h.tickets();
    }
    expect(ticket!.comments).toHaveLength(2);
    await h.restart(); // the held update is in the outbox, not in memory
    h.advance(t0 + 100 + 30_000 - 1 - h.now());
    await h.tickets();
    expect(ticket!.comments).toHaveLength(2);
    h.advance(1);
    await h.deskUntil('the ten as one update', () => ticket!.comments.length === 3);
    for (let i = 1; i <= 10; i++) expect(ticket!.comments[2]).toContain(`region r${i} now affected (down)`);
    expect(ticket!.subject).toContain('r10');
    h.advance(60_000);
    await h.tickets();
    expect(ticket!.comments).toHaveLength(3);
  });

  it('a controller escalation of an incident already at that severity is no severity change, and still goes at once', async () => {
    const h = await startDeskHub({ vendor: { updateEvery: '30s' } });
    hubs.push(h);
    const t0 = h.now();
    const open: IncidentEvent = { type: 'open', key: 's1/primary/down', kind: 'down', severity: 'P0', scope: 'stream', stream: 's1', line: 'primary', onset: t0 - 1000, at: t0, openedAt: t0, regions: [{ region: 'eu', probe: 'p-eu', level: 'down', onset: t0 - 1000, seenAt: t0, reasons: [] }] };
    const inc = h.handle.hub.incidents.onDetectorEvent(open, t0)!.incident;
    const [ticket] = await h.deskUntil('the ticket', (t) => t.length === 1 && t);
    h.advance(1000);
    h.handle.hub.incidents.act(inc.id, { type: 'escalate', by: 'policy:failover', severity: 'P0', reason: 'no-healthy-line', why: 'no line is healthy' }, h.now());
    await h.deskUntil('the escalation, not held back', () => ticket!.comments.length === 2);
    expect(ticket!.comments[1]).toContain('escalated by policy:failover (no-healthy-line): at least P0 — no line is healthy');
  });
});
