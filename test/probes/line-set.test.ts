import { describe, expect, it } from 'vitest';
import { lineKey, planLines, type LineSpec } from '../../probes/line-set.ts';

/** Which lines a probe stops and starts when what it must probe changes (a hub reload, a reassignment). */

const spec = (stream: string, line: string, over: Partial<LineSpec> = {}): LineSpec => ({ stream, line, url: `rtmp://127.0.0.1/live/${stream}-${line}`, windowMs: 1000, ...over });
const running = (...specs: LineSpec[]) => new Map(specs.map((s) => [lineKey(s), s]));

describe('planLines', () => {
  it('leaves an unchanged line running, stops a removed one, starts a new one', () => {
    const plan = planLines(running(spec('a', 'primary'), spec('b', 'primary')), [spec('a', 'primary'), spec('c', 'primary')]);
    expect(plan).toEqual({ start: [spec('c', 'primary')], stop: [lineKey(spec('b', 'primary'))], kept: 1 });
  });

  it('restarts a line whose URL, window or decode setting changed', () => {
    const before = running(spec('a', 'primary'), spec('a', 'backup'), spec('b', 'primary', { decode: false }));
    const after = [spec('a', 'primary', { url: 'rtmp://127.0.0.1/live/moved' }), spec('a', 'backup', { windowMs: 2000 }), spec('b', 'primary', { decode: true })];
    const plan = planLines(before, after);
    expect(plan.kept).toBe(0);
    expect(plan.start).toEqual(after);
    expect(plan.stop.sort()).toEqual([...before.keys()].sort());
  });

  it('an absent decode setting is the same as decode off', () => {
    expect(planLines(running(spec('a', 'primary')), [spec('a', 'primary', { decode: false })])).toEqual({ start: [], stop: [], kept: 1 });
  });
});
