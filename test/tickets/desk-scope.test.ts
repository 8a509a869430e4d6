import { afterEach, describe, expect, it } from 'vitest';
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
});
