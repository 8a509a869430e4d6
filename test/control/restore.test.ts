import { describe, expect, it } from 'vitest';
import type { ControlAction } from '../../src/actuators/types.ts';
import { lastSwitches } from '../../src/control/restore.ts';
import type { AuditEntry } from '../../src/store/ports.ts';

const sw = (stream: string, to: string, over: Partial<ControlAction> = {}): ControlAction => ({ id: `${stream}>${to}`, type: 'switch', stream, at: 0, actor: 'policy:failover', policy: 'failover', reason: 'failover', why: '', dryRun: false, from: 'x', to, ...over });
const row = (t: number, action: string, data?: unknown): AuditEntry => ({ t, actor: 'policy:failover', action, target: '', reason: '', data });

describe('restore: the last executed switch of each stream', () => {
  it('takes the newest switch row per stream, skipping outcomes, dry-runs and rows without an action', () => {
    const rows = [
      row(9, 'control.switch.done', { id: 'x' }),
      row(8, 'control.switch', { action: sw('s1', 'primary', { dryRun: true }) }),
      row(7, 'control.switch'),
      row(6, 'control.switch', { action: sw('s1', 'backup') }),
      row(5, 'control.switch', { action: sw('s2', 'primary') }),
      row(4, 'control.switch', { action: sw('s1', 'primary') }),
      row(3, 'operator.pin', { action: sw('s3', 'backup') }),
    ];
    expect(lastSwitches(rows).map((s) => [s.action.stream, s.action.to, s.at])).toEqual([
      ['s1', 'backup', 6],
      ['s2', 'primary', 5],
    ]);
    expect(lastSwitches([])).toEqual([]);
  });
});
