import { describe, expect, it } from 'vitest';
import { SweepScheduler, type SweepTarget } from '../../src/control/scheduler.ts';
import { until } from '../helpers/until.ts';

const IDS = ['a', 'b', 'c', 'd', 'e'];

/** A target that records which streams each slice evaluated; a monotonic clock that moves `stepMs` per reading. */
function setup(opts: { ids?: string[]; stepMs?: number; onEvaluate?: (id: string) => void } = {}) {
  const slices: string[][] = [];
  const target: SweepTarget = {
    ids: () => opts.ids ?? IDS,
    slice: () => {
      const slice: string[] = [];
      slices.push(slice);
      return (id) => {
        opts.onEvaluate?.(id);
        slice.push(id);
      };
    },
  };
  let t = 0;
  const scheduler = new SweepScheduler(target, { periodMs: 0, sliceMs: 5, now: () => (t += opts.stepMs ?? 3) });
  return { scheduler, slices, evaluated: () => slices.flat() };
}

const nextTurn = () => new Promise<void>((r) => setImmediate(r));

describe('sweep scheduler', () => {
  it('tick(): every stream in one slice, in order, whatever the time it takes', () => {
    const { scheduler, slices } = setup({ stepMs: 100 });
    scheduler.tick();
    expect(slices).toEqual([IDS]);
  });

  it('sweep(): slices of at most sliceMs (at least one stream each), yielding to the event loop in between', async () => {
    const turns: string[] = [];
    const { scheduler, slices, evaluated } = setup({ onEvaluate: (id) => id === 'a' && setImmediate(() => turns.push(`other work after ${evaluated().length} streams`)) });
    scheduler.sweep();
    // The first slice ran synchronously: readings 3 (start), 6 (after a) < 8, 9 (after b) ≥ 8.
    expect(slices).toEqual([['a', 'b']]);
    await until('the sweep to finish', () => evaluated().length === IDS.length);
    expect(slices).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(turns).toEqual(['other work after 2 streams']);

    const slow = setup({ stepMs: 50 });
    slow.scheduler.sweep();
    await until('the slow sweep to finish', () => slow.evaluated().length === IDS.length);
    expect(slow.slices).toEqual(IDS.map((id) => [id]));
  });

  it('a sweep while one is going is skipped (it covers that tick)', async () => {
    const { scheduler, evaluated } = setup();
    scheduler.sweep();
    scheduler.sweep();
    await until('the sweep to finish', () => evaluated().length === IDS.length);
    await nextTurn();
    expect(evaluated()).toEqual(IDS);
    scheduler.sweep();
    await until('the second sweep to finish', () => evaluated().length === 2 * IDS.length);
  });

  it('a throwing evaluation ends that sweep, not the later ones', async () => {
    let fail = true;
    const { scheduler, evaluated } = setup({
      onEvaluate: (id) => {
        if (id === 'b' && fail) throw new Error('boom');
      },
    });
    expect(() => scheduler.sweep()).toThrow('boom');
    await nextTurn();
    expect(evaluated()).toEqual(['a']);
    fail = false;
    scheduler.sweep();
    await until('the next sweep to finish', () => evaluated().length === 1 + IDS.length);
    expect(evaluated()).toEqual(['a', ...IDS]);
  });

  it('stop(): the slices not yet run are dropped', async () => {
    const { scheduler, evaluated } = setup();
    scheduler.sweep();
    scheduler.stop();
    await nextTurn();
    await nextTurn();
    expect(evaluated()).toEqual(['a', 'b']);
  });

  it('start(): sweeps every periodMs until stopped', async () => {
    const evaluated: string[] = [];
    const scheduler = new SweepScheduler({ ids: () => ['a'], slice: () => (id) => void evaluated.push(id) }, { periodMs: 5 });
    scheduler.start();
    await until('two sweeps', () => evaluated.length >= 2);
    scheduler.stop();
    expect(evaluated.every((id) => id === 'a')).toBe(true);
  });
});
