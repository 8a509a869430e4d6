import { describe, expect, it } from 'vitest';
import { acknowledgeSla, advanceSla, deadline, nextDueAt, pauseSla, resolveSla, resumeSla, severitySla, startSla, type SlaPolicy } from '../../src/tickets/sla.ts';

const MIN = 60_000;
const policy: SlaPolicy = {
  sla: { P0: 15 * MIN, P1: 60 * MIN },
  chain: [
    { name: 'account manager', channel: 'am', after: 0 },
    { name: '24/7 hotline', channel: 'hotline', after: 5 * MIN, severities: ['P0'] },
    { name: 'IM group', channel: 'im', after: 10 * MIN },
  ],
};

describe('SLA timers and escalation (pure, injected clock)', () => {
  it('P0: nothing before 15 min, then account manager, hotline 5 min later, IM group 10 min after that', () => {
    let s = startSla('i', 'P0', 0);
    expect(deadline(s, policy)).toBe(15 * MIN);
    expect(advanceSla(s, policy, 15 * MIN - 1).due).toEqual([]);
    let r = advanceSla(s, policy, 15 * MIN);
    expect(r.due.map((d) => d.name)).toEqual(['account manager']);
    s = r.state;
    expect(advanceSla(s, policy, 15 * MIN + 1000).due).toEqual([]); // never twice
    expect(nextDueAt(s, policy)).toBe(20 * MIN);
    r = advanceSla(s, policy, 20 * MIN);
    expect(r.due.map((d) => [d.name, d.channel, d.overdueMs])).toEqual([['24/7 hotline', 'hotline', 5 * MIN]]);
    s = r.state;
    r = advanceSla(s, policy, 30 * MIN);
    expect(r.due.map((d) => d.name)).toEqual(['IM group']);
    expect(nextDueAt(r.state, policy)).toBeUndefined();
  });

  it('a late tick fires every overdue step at once, in chain order', () => {
    const r = advanceSla(startSla('i', 'P0', 0), policy, 60 * MIN);
    expect(r.due.map((d) => d.index)).toEqual([0, 1, 2]);
    expect(r.state.fired).toEqual([0, 1, 2]);
  });

  it('P1: 60 min target, the P0-only hotline step is skipped with its delay', () => {
    const s = startSla('i', 'P1', 0);
    expect(advanceSla(s, policy, 60 * MIN - 1).due).toEqual([]);
    const a = advanceSla(s, policy, 60 * MIN);
    expect(a.due.map((d) => d.name)).toEqual(['account manager']);
    expect(nextDueAt(a.state, policy)).toBe(70 * MIN);
  });

  it('acknowledgement stops the chain and measures time to acknowledge', () => {
    let s = advanceSla(startSla('i', 'P0', 1000), policy, 1000 + 15 * MIN).state;
    const ack = acknowledgeSla(s, 'pd:alice', 1000 + 16 * MIN);
    expect(ack.timeToAckMs).toBe(16 * MIN);
    expect(ack.already).toBe(false);
    s = ack.state;
    expect(advanceSla(s, policy, 1000 + 60 * MIN).due).toEqual([]);
    expect(nextDueAt(s, policy)).toBeUndefined();
    const again = acknowledgeSla(s, 'pd:bob', 1000 + 20 * MIN);
    expect(again).toMatchObject({ already: true, timeToAckMs: 16 * MIN });
    expect(again.state.ackedBy).toBe('pd:alice');
  });

  it('resolution stops it; a severity without SLA never escalates; raising into an SLA starts the clock then', () => {
    expect(advanceSla(resolveSla(startSla('i', 'P0', 0), 1), policy, 99 * MIN).due).toEqual([]);
    const p2 = startSla('i', 'P2', 0);
    expect(advanceSla(p2, policy, 99 * MIN).due).toEqual([]);
    const raised = severitySla(p2, 'P0', 50 * MIN, policy);
    expect(raised.startedAt).toBe(50 * MIN);
    expect(advanceSla(raised, policy, 64 * MIN).due).toEqual([]);
    expect(advanceSla(raised, policy, 65 * MIN).due).toHaveLength(1);
  });

  it('P1 raised to P0 keeps counting from the start: the shorter deadline may already be past', () => {
    const s = severitySla(startSla('i', 'P1', 0), 'P0', 20 * MIN, policy);
    expect(s.startedAt).toBe(0);
    expect(advanceSla(s, policy, 20 * MIN).due.map((d) => d.name)).toEqual(['account manager', '24/7 hotline']);
  });

  it('paused (a silence), nothing is due; resumed, every step is due that much later, one by one', () => {
    let s = pauseSla(startSla('i', 'P0', 0), 10 * MIN);
    expect(advanceSla(s, policy, 99 * MIN).due).toEqual([]);
    expect(nextDueAt(s, policy)).toBeUndefined();
    expect(pauseSla(s, 20 * MIN)).toBe(s); // already paused: from the first pause
    s = resumeSla(s, 70 * MIN); // paused 60 min: the 15 min deadline is now 75 min
    expect(resumeSla(s, 80 * MIN)).toBe(s);
    expect(deadline(s, policy)).toBe(75 * MIN);
    expect(advanceSla(s, policy, 75 * MIN - 1).due).toEqual([]);
    const r = advanceSla(s, policy, 75 * MIN);
    expect(r.due.map((d) => [d.name, d.overdueMs])).toEqual([['account manager', 0]]);
    expect(nextDueAt(r.state, policy)).toBe(80 * MIN);
    // A second pause adds up.
    s = resumeSla(pauseSla(r.state, 76 * MIN), 86 * MIN);
    expect(nextDueAt(s, policy)).toBe(90 * MIN);
    expect(acknowledgeSla(s, 'pd:alice', 86 * MIN).timeToAckMs).toBe(86 * MIN); // time to acknowledge is wall time
  });

  it('a state stored before pauses existed (no pausedMs) counts as never paused', () => {
    const { pausedMs: _none, ...old } = resumeSla(pauseSla(startSla('i', 'P0', 0), 0), 0);
    expect(deadline(old, policy)).toBe(15 * MIN);
  });

  it('an acknowledged or resolved clock is not paused; raising into an SLA while paused starts it paused, from then', () => {
    const acked = acknowledgeSla(startSla('i', 'P0', 0), 'x', 1).state;
    expect(pauseSla(acked, 2)).toBe(acked);
    const resolved = resolveSla(startSla('i', 'P0', 0), 1);
    expect(pauseSla(resolved, 2)).toBe(resolved);
    let p2 = resumeSla(pauseSla(startSla('i', 'P2', 0), 0), 30 * MIN);
    p2 = pauseSla(p2, 40 * MIN);
    const raised = severitySla(p2, 'P0', 50 * MIN, policy);
    expect(raised).toMatchObject({ startedAt: 50 * MIN, pausedAt: 50 * MIN });
    expect(raised.pausedMs).toBeUndefined(); // the 30 min paused before the target existed do not count
    expect(deadline(resumeSla(raised, 60 * MIN), policy)).toBe(75 * MIN);
  });

  it('a restart (reopen) gets a new generation and a fresh chain', () => {
    const first = advanceSla(startSla('i', 'P0', 0), policy, 99 * MIN).state;
    const again = startSla('i', 'P0', 100 * MIN, first);
    expect(again.generation).toBe(1);
    expect(again.fired).toEqual([]);
  });
});
