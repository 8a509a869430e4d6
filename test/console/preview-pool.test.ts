import { describe, expect, it } from 'vitest';
import { PreviewPool } from '../../src/console/preview-pool.ts';

/** A pool over fake feeds and a hand-driven clock. */
function pool(max = 2, graceMs = 3000) {
  let now = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  let nextTimer = 1;
  const started: string[] = [];
  const stopped: string[] = [];
  let n = 0;
  const p = new PreviewPool<{ key: string; n: number }>({
    start: (key) => (started.push(key), { key, n: ++n }),
    stop: (_f, key) => stopped.push(key),
    graceMs,
    max,
    setTimer: (fn, ms) => (timers.set(nextTimer, { at: now + ms, fn }), nextTimer++),
    clearTimer: (t) => timers.delete(t as number),
  });
  const advance = (ms: number) => {
    now += ms;
    for (const [id, t] of [...timers]) if (t.at <= now) (timers.delete(id), t.fn());
  };
  return { p, started, stopped, advance };
}

describe('PreviewPool', () => {
  it('shares one feed per line among viewers and stops it a grace period after the last leaves', () => {
    const { p, started, stopped, advance } = pool();
    const a = p.acquire('s1/primary');
    const b = p.acquire('s1/primary');
    expect(a).toMatchObject({ ok: true, shared: false });
    expect(b).toMatchObject({ ok: true, shared: true });
    expect(a.ok && b.ok && a.feed === b.feed).toBe(true);
    expect(started).toEqual(['s1/primary']);
    expect(p.viewers('s1/primary')).toBe(2);
    p.release('s1/primary');
    advance(10_000);
    expect(stopped).toEqual([]);
    p.release('s1/primary');
    advance(2999);
    expect(stopped).toEqual([]);
    advance(1);
    expect(stopped).toEqual(['s1/primary']);
    expect(p.feeds()).toEqual([]);
  });

  it('a viewer back within the grace reuses the running feed', () => {
    const { p, started, stopped, advance } = pool();
    p.acquire('s1/primary');
    p.release('s1/primary');
    advance(2000);
    expect(p.acquire('s1/primary')).toMatchObject({ ok: true, shared: true });
    advance(10_000);
    expect(stopped).toEqual([]);
    expect(started).toEqual(['s1/primary']);
  });

  it('caps running feeds: an idle one makes room, busy ones refuse a new line', () => {
    const { p, stopped } = pool(2);
    p.acquire('a/x');
    p.acquire('b/x');
    expect(p.acquire('c/x')).toEqual({ ok: false, reason: 'full' });
    expect(p.acquire('a/x')).toMatchObject({ ok: true, shared: true });
    p.release('b/x');
    expect(p.acquire('c/x')).toMatchObject({ ok: true, shared: false });
    expect(stopped).toEqual(['b/x']);
    expect(p.feeds().map((f) => f.key)).toEqual(['a/x', 'c/x']);
  });

  it('a feed that ended by itself is forgotten: the next viewer starts a new one', () => {
    const { p, started, stopped, advance } = pool();
    const a = p.acquire('s1/primary');
    if (!a.ok) throw new Error('refused');
    p.ended('s1/primary', a.feed);
    p.release('s1/primary');
    const b = p.acquire('s1/primary');
    expect(b.ok && b.feed.n).toBe(2);
    p.ended('s1/primary', a.feed); // a stale feed does not drop the new one
    expect(p.viewers('s1/primary')).toBe(1);
    advance(10_000);
    expect(started).toEqual(['s1/primary', 's1/primary']);
    expect(stopped).toEqual([]);
  });

  it('extra releases are ignored; close stops everything', () => {
    const { p, stopped } = pool();
    p.release('nobody');
    p.acquire('a/x');
    p.acquire('b/x');
    p.release('a/x');
    p.release('a/x');
    p.close();
    expect(stopped.sort()).toEqual(['a/x', 'b/x']);
    expect(p.feeds()).toEqual([]);
  });
});
