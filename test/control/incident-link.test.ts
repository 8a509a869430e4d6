import { describe, expect, it } from 'vitest';
import { linkedIncident } from '../../src/control/incident-link.ts';
import type { Decision } from '../../src/control/types.ts';
import type { Incident } from '../../src/model/incident.ts';

const T = 1_700_000_000_000;

describe('the incident an action belongs to', () => {
  const incident = (key: string) => ({ id: `${key}@${T}`, key }) as Incident;
  /** The incidents held, by dedup key; the lead is the first given. */
  const held = (...keys: string[]) => ({
    leadOf: (stream: string) => (keys[0]?.startsWith(`${stream}/`) ? incident(keys[0]) : undefined),
    byDedupKey: (key: string) => (keys.includes(key) ? incident(key) : undefined),
  });
  const lines = ['primary', 'backup'];

  it('an escalation goes to the stream\'s lead, else to its own key', () => {
    const esc: Decision = { type: 'escalate', stream: 's1', policy: 'failover', reason: 'no-healthy-line', severity: 'P0', why: 'x', incidentKey: 's1/primary/down' };
    expect(linkedIncident(esc, held('s1/backup/down', 's1/primary/down'), lines)).toEqual({ id: `s1/backup/down@${T}`, key: 's1/backup/down' });
    expect(linkedIncident(esc, held('s2/primary/down', 's1/primary/down'), lines)).toEqual({ id: `s1/primary/down@${T}`, key: 's1/primary/down' });
  });

  it('a switch: its own key first, then the down or degraded incident of the line it leaves, then of the line it goes to', () => {
    const failback: Decision = { type: 'switch', stream: 's1', policy: 'failback', from: 'backup', to: 'primary', reason: 'failback', why: 'x', incidentKey: 's1/primary/down' };
    expect(linkedIncident(failback, held('s1/backup/down', 's1/primary/down'), lines)?.key).toBe('s1/primary/down');
    const manual: Decision = { type: 'switch', stream: 's1', policy: 'pin', from: 'primary', to: 'backup', reason: 'manual', why: 'x' };
    expect(linkedIncident(manual, held('s1/backup/down', 's1/primary/degraded'), lines)?.key).toBe('s1/primary/degraded');
    expect(linkedIncident(manual, held('s1/backup/degraded'), lines)?.key).toBe('s1/backup/degraded');
    expect(linkedIncident(manual, held(), lines)).toBeUndefined();
  });
});
