import { describe, expect, it } from 'vitest';
import type { ControlAction } from '../../src/actuators/types.ts';
import { ActionListeners } from '../../src/control/listeners.ts';
import { filterStage, outcomeStages, Pipeline, type Stage } from '../../src/control/pipeline.ts';

const action = (id: string, dryRun = false) => ({ id, dryRun }) as ControlAction;

describe('action pipeline', () => {
  it('runs the stages in order and stops an action at the first stage that refuses it', () => {
    const seen: string[] = [];
    const record = (name: string): Stage => ({ exec: (a) => (seen.push(`${name} ${a.id}`), true) });
    const p = new Pipeline([record('first'), filterStage((a) => !a.dryRun), record('last')]);
    expect(p.exec(action('a'))).toBe(true);
    expect(p.exec(action('b', true))).toBe(false);
    expect(seen).toEqual(['first a', 'last a', 'first b']);
  });

  it('outcome stages in order', () => {
    const seen: string[] = [];
    const o = outcomeStages([{ done: (x) => void seen.push(`stats ${x.action.id}`) }, { done: (x) => void seen.push(`recorder ${x.action.id}`) }]);
    o.done({ action: action('a'), results: [], at: 0 });
    expect(seen).toEqual(['stats a', 'recorder a']);
  });
});

describe('action listeners', () => {
  it('tells every listener (a throwing one does not stop the others), decided then done; unsubscribes', () => {
    const listeners = new ActionListeners();
    const heard: string[] = [];
    listeners.on(() => {
      throw new Error('bad listener');
    });
    const off = listeners.on((a, phase, results) => void heard.push(`${a.id} ${phase} ${results ? results.length : '-'}`));
    expect(listeners.exec(action('a'))).toBe(true);
    listeners.done({ action: action('a'), results: [{ actuator: 'edge', ok: true, attempts: 1, tookMs: 1 }], at: 0 });
    off();
    listeners.exec(action('b'));
    expect(heard).toEqual(['a decided -', 'a done 1']);
  });
});
