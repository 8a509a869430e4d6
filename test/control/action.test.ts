import { describe, expect, it } from 'vitest';
import { actionDetail, actionName, isActed, toAction } from '../../src/control/action.ts';
import type { Decision } from '../../src/control/types.ts';
import type { StreamConfig } from '../../src/model/stream.ts';

const T = 1_700_000_000_000;
const cfg = { id: 's1', lines: { primary: { url: 'rtmp://127.0.0.1/live/s1' }, backup: { url: 'http://127.0.0.1:8000/s1.flv', regionUrls: { us: 'http://us.example/s1.flv' } } } } as unknown as StreamConfig;
const failover: Decision = { type: 'switch', stream: 's1', policy: 'failover', from: 'primary', to: 'backup', reason: 'failover', why: 'primary down', incidentKey: 's1/primary/down', onset: T - 1500 };

describe('decision → action', () => {
  it('a switch: idempotency key from stream, type, target and time; the target line\'s URLs; the linked incident', () => {
    const a = toAction(failover, { cfg, now: T, dryRun: false, incident: { id: 's1/primary/down@1', key: 's1/primary/down' } });
    expect(a).toEqual({
      id: `s1:switch:primary>backup:${T}`,
      type: 'switch',
      stream: 's1',
      at: T,
      actor: 'policy:failover',
      policy: 'failover',
      reason: 'failover',
      why: 'primary down',
      dryRun: false,
      onset: T - 1500,
      incidentId: 's1/primary/down@1',
      incidentKey: 's1/primary/down',
      from: 'primary',
      to: 'backup',
      url: 'http://127.0.0.1:8000/s1.flv',
      urls: { us: 'http://us.example/s1.flv' },
    });
  });

  it('without an incident it keeps the decision\'s key; an operator is the actor; feature, escalate and note targets', () => {
    const manual = toAction({ type: 'feature', stream: 's1', policy: 'pin', feature: 'gifts', enabled: false, reason: 'manual', why: 'x', by: 'alice', incidentKey: 's1/backup/down' }, { cfg, now: T, dryRun: true });
    expect(manual).toMatchObject({ id: `s1:feature:gifts=off:${T}`, actor: 'operator:alice', incidentKey: 's1/backup/down', feature: 'gifts', enabled: false, dryRun: true });
    expect(manual.incidentId).toBeUndefined();
    expect(toAction({ type: 'escalate', stream: 's1', policy: 'failover', reason: 'no-healthy-line', severity: 'P0', why: 'x' }, { cfg, now: T, dryRun: false })).toMatchObject({ id: `s1:escalate:no-healthy-line=P0:${T}`, severity: 'P0' });
    expect(toAction({ type: 'note', stream: 's1', policy: 'pin', reason: 'pin-set', why: 'x' }, { cfg, now: T, dryRun: false }).id).toBe(`s1:note:pin-set:${T}`);
  });

  it('names, detail and whether it is carried out', () => {
    const at = (d: Decision, dryRun = false) => toAction(d, { cfg, now: T, dryRun });
    const on = at({ type: 'feature', stream: 's1', policy: 'features', feature: 'gifts', enabled: true, reason: 'recovered', why: 'x' });
    const note = at({ type: 'note', stream: 's1', policy: 'pin', reason: 'pin-expired', why: 'x' });
    const esc = at({ type: 'escalate', stream: 's1', policy: 'flap-damping', reason: 'flapping', severity: 'P1', why: 'x' });
    expect([at(failover), on, note, esc].map(actionName)).toEqual(['switch', 'feature.enable', 'note.pin-expired', 'escalate.flapping']);
    expect(actionDetail(at(failover))).toEqual({ reason: 'failover', from: 'primary', to: 'backup' });
    expect(actionDetail(on)).toEqual({ reason: 'recovered', feature: 'gifts', enabled: true });
    expect(actionDetail(esc)).toEqual({ reason: 'flapping', severity: 'P1' });
    expect([at(failover), at(failover, true), note, esc].map(isActed)).toEqual([true, false, false, true]);
  });
});
