import { describe, expect, it } from 'vitest';
import { actionWords } from '../../src/tickets/action-words.ts';

const t = '2026-11-24T22:14:35.000Z';

describe('what was done, in words', () => {
  it('says each controller action by its fields, and an outcome by its actuators without their errors', () => {
    expect(actionWords({ t, by: 'policy:failover', action: 'switch', detail: { id: 'x', why: 'line "primary" unusable', dryRun: false, reason: 'failover', from: 'primary', to: 'backup' } })).toBe(
      '2026-11-24 22:14:35 UTC policy:failover: switched to line backup (from primary): line "primary" unusable',
    );
    expect(actionWords({ t, by: 'policy:failover', action: 'switch', detail: { dryRun: true, from: 'primary', to: 'backup' } })).toContain('(dry run: decided, not carried out)');
    expect(actionWords({ t, by: 'policy:flap-damping', action: 'escalate.flapping', detail: { why: '3 switches in the last hour', severity: 'P1' } })).toBe('2026-11-24 22:14:35 UTC policy:flap-damping: raised the incident to at least P1: 3 switches in the last hour');
    expect(actionWords({ t, by: 'policy:flap-damping', action: 'escalate.flapping.done', detail: { results: [{ actuator: 'edge', ok: true }] } })).toBe('2026-11-24 22:14:35 UTC policy:flap-damping: escalate.flapping carried out (edge: ok)');
    const failed = actionWords({ t, by: 'policy:failover', action: 'switch.failed', detail: { results: [{ actuator: 'edge', ok: false, error: 'POST https://user:pw@edge.example/x: HTTP 500' }] } });
    expect(failed).toBe('2026-11-24 22:14:35 UTC policy:failover: switch FAILED (edge: failed)');
    expect(actionWords({ t, by: 'policy:features', action: 'feature.disable', detail: { feature: 'beauty-filter', why: 'freeze' } })).toContain('disabled feature beauty-filter: freeze');
    expect(actionWords({ t, by: 'alice', action: 'acknowledged' })).toBe('2026-11-24 22:14:35 UTC alice: acknowledged the incident');
    expect(actionWords({ t, by: 'bob', action: 'called the CDN' })).toBe('2026-11-24 22:14:35 UTC bob: called the CDN');
  });
});
