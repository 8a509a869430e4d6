import { describe, expect, it } from 'vitest';
import type { ControlAction } from '../../src/actuators/types.ts';
import { ACTION_DELAY_BUCKETS, ActionStats } from '../../src/control/action-stats.ts';

const T = 1_700_000_000_000;
const sw = (over: Partial<ControlAction> = {}): ControlAction => ({ id: 'x', type: 'switch', stream: 's1', at: T, actor: 'policy:failover', policy: 'failover', reason: 'failover', why: '', dryRun: false, from: 'primary', to: 'backup', ...over });
const ok = { actuator: 'edge', ok: true, attempts: 1, tookMs: 5 };

describe('action stats', () => {
  it('counts actions by type and outcome, and executed switches by stream, lines and reason', () => {
    const s = new ActionStats();
    s.exec(sw());
    s.exec(sw());
    s.exec(sw({ dryRun: true }));
    s.exec(sw({ type: 'note', reason: 'pin-set', from: undefined, to: undefined }));
    s.done({ action: sw(), results: [ok], at: T });
    s.done({ action: sw(), results: [ok, { ...ok, actuator: 'cdn', ok: false }], at: T });
    expect(s.failoversTotal()).toEqual([{ stream: 's1', from: 'primary', to: 'backup', reason: 'failover', value: 2 }]);
    expect(s.actionsTotal()).toEqual([
      { type: 'switch', outcome: 'decided', value: 2 },
      { type: 'switch', outcome: 'dry-run', value: 1 },
      { type: 'note', outcome: 'decided', value: 1 },
      { type: 'switch', outcome: 'done', value: 1 },
      { type: 'switch', outcome: 'failed', value: 1 },
    ]);
  });

  it('action_delay_seconds: onset → done, for successful actions with an onset (a clock step back counts as 0)', async () => {
    const s = new ActionStats();
    s.done({ action: sw({ onset: T - 1500 }), results: [ok], at: T });
    s.done({ action: sw({ onset: T + 500 }), results: [], at: T });
    s.done({ action: sw({ onset: T - 1500 }), results: [{ ...ok, ok: false }], at: T });
    s.done({ action: sw(), results: [ok], at: T });
    const { values } = await s.actionDelay.get();
    const v = (name: string, le?: number) => values.find((x) => x.metricName === `streamguard_action_delay_seconds_${name}` && (le === undefined || x.labels.le === le))!.value;
    expect(v('count')).toBe(2);
    expect(v('sum')).toBe(1.5);
    expect(ACTION_DELAY_BUCKETS.map((le) => v('bucket', le))).toEqual([1, 1, 1, 2, 2, 2, 2, 2, 2]);
  });
});
