import { describe, expect, it } from 'vitest';
import { incidentsByStream, policyInput } from '../../src/control/policy-input.ts';
import type { Incident } from '../../src/model/incident.ts';

const T = 1_000_000;
const incident = (stream: string | undefined, line: string, rules: string[]) =>
  ({ id: `${stream}/${line}/down@1`, key: `${stream}/${line}/down`, stream, line, kind: 'down', severity: 'P1', onset: T, regions: { eu: { reasons: rules.map((rule) => ({ rule })) } } }) as unknown as Incident;

describe('policy input', () => {
  it('open incidents by stream, in the policies\' shape, only for the streams wanted', () => {
    const by = incidentsByStream([incident('s1', 'primary', ['latency', 'disconnected']), incident('s2', 'primary', []), incident(undefined, 'x', []), incident('s1', 'backup', [])], (s) => s === 's1');
    expect([...by.keys()]).toEqual(['s1']);
    expect(by.get('s1')).toEqual([
      { key: 's1/primary/down', id: 's1/primary/down@1', line: 'primary', kind: 'down', severity: 'P1', onset: T, rules: ['disconnected', 'latency'] },
      { key: 's1/backup/down', id: 's1/backup/down@1', line: 'backup', kind: 'down', severity: 'P1', onset: T, rules: [] },
    ]);
  });

  it('awaiting: in the start-up grace with a line not reported yet', () => {
    const ok = { eu: { level: 'ok' as const, since: 0 } };
    const lines = ['primary', 'backup'];
    expect(policyInput('s1', lines, { primary: ok }, [], T + 1, T).awaiting).toBe(true);
    expect(policyInput('s1', lines, { primary: ok }, [], T, T).awaiting).toBeUndefined(); // grace over
    expect(policyInput('s1', lines, { primary: ok, backup: ok }, [], T + 1, T).awaiting).toBeUndefined(); // every line seen
    expect(policyInput('s1', lines, {}, [], undefined, T)).toEqual({ stream: 's1', lines, health: {}, incidents: [] });
  });
});
