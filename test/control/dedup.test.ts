import { describe, expect, it } from 'vitest';
import type { ControlAction } from '../../src/actuators/types.ts';
import { DedupStage } from '../../src/control/dedup.ts';

const action = (id: string) => ({ id }) as ControlAction;

describe('dedup stage', () => {
  it('lets an action id through once', () => {
    const d = new DedupStage();
    expect([d.exec(action('a')), d.exec(action('b')), d.exec(action('a'))]).toEqual([true, true, false]);
  });

  it('remembers the last `capacity` ids, forgetting the oldest first', () => {
    const d = new DedupStage(2);
    for (const id of ['a', 'b', 'c']) d.exec(action(id));
    expect(d.exec(action('c'))).toBe(false);
    expect(d.exec(action('b'))).toBe(false);
    expect(d.exec(action('a'))).toBe(true);
  });

  it('refuses a capacity below 1', () => {
    expect(() => new DedupStage(0)).toThrow('dedup capacity must be at least 1, got 0');
  });
});
