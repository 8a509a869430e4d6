import { describe, expect, it } from 'vitest';
import type { ControlAction } from '../../src/actuators/types.ts';
import { auditTarget, decisionEntry, outcomeEntry, outcomeName, resultSummary } from '../../src/control/recorder.ts';

const T = 1_700_000_000_000;
const sw: ControlAction = { id: 'a1', type: 'switch', stream: 's1', at: T, actor: 'policy:failover', policy: 'failover', reason: 'failover', why: 'primary down', dryRun: false, from: 'primary', to: 'backup', incidentId: 'inc-1' };
const ok = { actuator: 'edge', ok: true, attempts: 1, tookMs: 12 };
const failed = { actuator: 'cdn', ok: false, attempts: 2, tookMs: 80, error: 'HTTP 500' };

describe('what is recorded of an action', () => {
  it('target names the stream and what changes', () => {
    expect(auditTarget(sw)).toBe('stream:s1 line:primary>backup');
    expect(auditTarget({ ...sw, type: 'feature', feature: 'gifts' })).toBe('stream:s1 feature:gifts');
    expect(auditTarget({ ...sw, type: 'note' })).toBe('stream:s1');
  });

  it('the decision: who, why (dry-run said so), the whole action and its incident', () => {
    expect(decisionEntry(sw)).toEqual({ t: T, actor: 'policy:failover', action: 'control.switch', target: 'stream:s1 line:primary>backup', reason: 'primary down', data: { action: sw, incidentId: 'inc-1' } });
    const dry = { ...sw, dryRun: true };
    delete dry.incidentId;
    expect(decisionEntry(dry)).toMatchObject({ reason: 'dry-run: primary down', data: { action: dry } });
    expect(decisionEntry(dry).data).not.toHaveProperty('incidentId');
  });

  it('the outcome: done only when every actuator succeeded, each one summarised', () => {
    expect(resultSummary([ok, failed])).toBe('edge: ok (1 attempt, 12 ms); cdn: HTTP 500 (2 attempts, 80 ms)');
    expect(outcomeName({ action: sw, results: [ok] })).toBe('switch.done');
    expect(outcomeEntry({ action: sw, results: [ok, failed], at: T + 100 })).toEqual({
      t: T + 100,
      actor: 'policy:failover',
      action: 'control.switch.failed',
      target: 'stream:s1 line:primary>backup',
      reason: 'edge: ok (1 attempt, 12 ms); cdn: HTTP 500 (2 attempts, 80 ms)',
      data: { id: 'a1', results: [ok, failed], incidentId: 'inc-1' },
    });
  });
});
