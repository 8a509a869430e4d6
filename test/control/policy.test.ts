import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, type Policy } from '../../src/control/config-schema.ts';
import { effectiveHoldOff, evaluateLines, initialLineState, pinLine, unpinLine } from '../../src/control/policy.ts';
import type { Decision, IncidentView, LineControlState, StreamHealth } from '../../src/control/types.ts';
import type { Level } from '../../src/model/severity.ts';

const S = 's1';
const LINES = ['primary', 'backup'];
const T = 1_000_000;
const policy = (over: Partial<Policy> = {}): Policy => ({ ...DEFAULT_POLICY, features: {}, ...over });

/** `{ primary: 'down', backup: { eu: 'ok', us: 'down' } }`: a level for every region, or per region; `[level, since]` for a since. */
type Spec = Record<string, Level | Record<string, Level | [Level, number]>>;
function health(spec: Spec, regions = ['eu', 'us']): StreamHealth {
  const out: StreamHealth = {};
  for (const [line, v] of Object.entries(spec)) {
    out[line] = {};
    const per = typeof v === 'string' ? Object.fromEntries(regions.map((r) => [r, v])) : v;
    for (const [region, l] of Object.entries(per)) out[line]![region] = Array.isArray(l) ? { level: l[0], since: l[1] } : { level: l, since: 0 };
  }
  return out;
}
function down(line: string, onset = T - 1500): IncidentView {
  return { key: `${S}/${line}/down`, id: `${S}/${line}/down@${T}`, line, kind: 'down', severity: 'P1', onset, rules: ['disconnected'] };
}
const start = (lines = LINES, p = policy()): LineControlState => initialLineState(lines, p, 0);
const summary = (ds: Decision[]) =>
  ds.map((d) => (d.type === 'switch' ? `switch ${d.from}→${d.to} ${d.reason}` : d.type === 'escalate' ? `escalate ${d.reason} ${d.severity}` : d.type === 'note' ? `note ${d.reason}` : `feature ${d.feature} ${d.enabled}`));

describe('failover (one evaluation)', () => {
  const cases: { name: string; lines?: string[]; spec: Spec; policy?: Partial<Policy>; expect: string[]; active: string }[] = [
    { name: 'primary down everywhere, backup ok → backup', spec: { primary: 'down', backup: 'ok' }, expect: ['switch primary→backup failover'], active: 'backup' },
    { name: 'primary down in one region, backup ok there → backup', spec: { primary: { eu: 'down', us: 'ok' }, backup: 'ok' }, expect: ['switch primary→backup failover'], active: 'backup' },
    { name: 'both down → no switch, says so (P0)', spec: { primary: 'down', backup: 'down' }, expect: ['escalate no-healthy-line P0'], active: 'primary' },
    { name: 'backup never seen → no switch (P0)', spec: { primary: 'down' }, expect: ['escalate no-healthy-line P0'], active: 'primary' },
    { name: 'backup down elsewhere → not a candidate (P1: primary only down in eu)', spec: { primary: { eu: 'down', us: 'ok' }, backup: { eu: 'ok', us: 'down' } }, expect: ['escalate no-healthy-line P1'], active: 'primary' },
    { name: 'backup degraded in the affected region → not healthy there', spec: { primary: 'down', backup: { eu: 'degraded', us: 'ok' } }, expect: ['escalate no-healthy-line P0'], active: 'primary' },
    { name: 'primary degraded, failoverAt down → stays', spec: { primary: 'degraded', backup: 'ok' }, expect: [], active: 'primary' },
    { name: 'primary degraded, failoverAt degraded → backup', spec: { primary: 'degraded', backup: 'ok' }, policy: { failoverAt: 'degraded' }, expect: ['switch primary→backup failover'], active: 'backup' },
    { name: 'healthy primary → nothing', spec: { primary: 'ok', backup: 'ok' }, expect: [], active: 'primary' },
    { name: 'primary not yet seen → nothing to judge', spec: { backup: 'ok' }, expect: [], active: 'primary' },
    {
      name: 'best candidate: fewest bad regions beats config order',
      lines: ['primary', 'backup', 'backup2'],
      spec: { primary: { eu: 'down', us: 'ok' }, backup: { eu: 'ok', us: 'degraded' }, backup2: 'ok' },
      expect: ['switch primary→backup2 failover'],
      active: 'backup2',
    },
    { name: 'equal candidates: config order', lines: ['primary', 'backup', 'backup2'], spec: { primary: 'down', backup: 'ok', backup2: 'ok' }, expect: ['switch primary→backup failover'], active: 'backup' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const lines = c.lines ?? LINES;
      const p = policy(c.policy);
      const r = evaluateLines(start(lines, p), { stream: S, lines, health: health(c.spec), incidents: [down('primary')] }, p, T);
      expect(summary(r.decisions)).toEqual(c.expect);
      expect(r.state.active).toBe(c.active);
    });
  }

  describe('a content fault alone (black picture, silence, loudness: RegionHealth.content)', () => {
    const content = (level: Level) => ({ level, since: 0, content: true as const });
    const cases: { name: string; primary: StreamHealth[string]; policy?: Partial<Policy>; expect: string[] }[] = [
      { name: 'black in every region → backup', primary: { eu: content('down'), us: content('down') }, expect: ['switch primary→backup failover'] },
      { name: 'black in one region only → no switch (viewers there are rerouted per region)', primary: { eu: content('down'), us: { level: 'ok', since: 0 } }, expect: [] },
      { name: 'black in eu, disconnected in us → unusable everywhere: backup', primary: { eu: content('down'), us: { level: 'down', since: 0 } }, expect: ['switch primary→backup failover'] },
      { name: 'black in eu, degraded in us (failoverAt down) → no switch', primary: { eu: content('down'), us: { level: 'degraded', since: 0 } }, expect: [] },
      { name: 'too loud in one region, failoverAt degraded → no switch', primary: { eu: content('degraded'), us: { level: 'ok', since: 0 } }, policy: { failoverAt: 'degraded' }, expect: [] },
      { name: 'too loud everywhere, failoverAt degraded → backup', primary: { eu: content('degraded'), us: content('degraded') }, policy: { failoverAt: 'degraded' }, expect: ['switch primary→backup failover'] },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const p = policy(c.policy);
        const r = evaluateLines(start(LINES, p), { stream: S, lines: LINES, health: { primary: c.primary, backup: health({ backup: 'ok' }).backup! }, incidents: [down('primary')] }, p, T);
        expect(summary(r.decisions)).toEqual(c.expect);
      });
    }
  });

  it('start-up: a line that has not reported yet is awaited, not declared missing', () => {
    const p = policy();
    const inp = { stream: S, lines: LINES, health: health({ primary: 'down' }), incidents: [down('primary')], awaiting: true };
    let r = evaluateLines(start(), inp, p, T);
    expect(r.decisions).toEqual([]);
    r = evaluateLines(r.state, { ...inp, health: health({ primary: 'down', backup: 'ok' }) }, p, T + 500);
    expect(summary(r.decisions)).toEqual(['switch primary→backup failover']);
    // grace over, still unseen: said
    expect(summary(evaluateLines(start(), { ...inp, awaiting: false }, p, T).decisions)).toEqual(['escalate no-healthy-line P0']);
  });

  it('a failover carries the incident and its onset; nothing is mutated', () => {
    const s0 = start();
    const frozen = JSON.stringify(s0);
    const r = evaluateLines(s0, { stream: S, lines: LINES, health: health({ primary: 'down', backup: 'ok' }), incidents: [down('primary', T - 1800)] }, policy(), T);
    expect(r.decisions[0]).toMatchObject({ type: 'switch', policy: 'failover', incidentKey: 's1/primary/down', onset: T - 1800 });
    expect(r.decisions[0]!.why).toMatch(/"primary" unusable \(eu: down, us: down\)/);
    expect(JSON.stringify(s0)).toBe(frozen);
    expect(r.state).toMatchObject({ active: 'backup', since: T, switches: [T], failovers: [T] });
  });

  it('"no healthy line" is said once, and again only after the line was usable in between', () => {
    const p = policy();
    const bad = { stream: S, lines: LINES, health: health({ primary: 'down', backup: 'down' }), incidents: [down('primary')] };
    let r = evaluateLines(start(), bad, p, T);
    expect(summary(r.decisions)).toEqual(['escalate no-healthy-line P0']);
    r = evaluateLines(r.state, bad, p, T + 1000);
    expect(r.decisions).toEqual([]);
    r = evaluateLines(r.state, { ...bad, health: health({ primary: 'ok', backup: 'down' }) }, p, T + 2000);
    expect(summary(r.decisions)).toEqual(['note line-usable-again']);
    r = evaluateLines(r.state, bad, p, T + 3000);
    expect(summary(r.decisions)).toEqual(['escalate no-healthy-line P0']);
    // The backup comes back: switch at once.
    r = evaluateLines(r.state, { ...bad, health: health({ primary: 'down', backup: 'ok' }) }, p, T + 4000);
    expect(summary(r.decisions)).toEqual(['switch primary→backup failover']);
  });
});

describe('failback', () => {
  const onBackup = (at: number, failovers = 1): LineControlState => ({ active: 'backup', since: at, switches: Array(failovers).fill(at), failovers: Array(failovers).fill(at) });
  const input = (primarySince: number) => ({ stream: S, lines: LINES, health: health({ primary: { eu: ['ok', primarySince], us: ['ok', primarySince - 5000] }, backup: 'ok' }), incidents: [] });

  const cases: { name: string; state: LineControlState; policy?: Partial<Policy>; primarySince: number; now: number; expect: string[] }[] = [
    { name: 'before the hold-off → stays', state: onBackup(T), primarySince: T + 10_000, now: T + 39_999, expect: [] },
    { name: 'after the hold-off (the latest region counts) → fails back', state: onBackup(T), primarySince: T + 10_000, now: T + 40_000, expect: ['switch backup→primary failback'] },
    { name: 'sticky → stays', state: onBackup(T), policy: { failback: 'sticky' }, primarySince: T, now: T + 3_600_000, expect: [] },
    { name: 'min dwell not over → stays', state: onBackup(T), policy: { minDwellMs: 60_000 }, primarySince: T - 60_000, now: T + 59_000, expect: [] },
    { name: 'min dwell over → fails back', state: onBackup(T), policy: { minDwellMs: 60_000 }, primarySince: T - 60_000, now: T + 60_000, expect: ['switch backup→primary failback'] },
    { name: 'hold-off grows with failovers (3 × 30 s)', state: onBackup(T, 3), policy: { maxSwitchesPerHour: 20 }, primarySince: T, now: T + 89_000, expect: [] },
    { name: 'grown hold-off over → fails back', state: onBackup(T, 3), policy: { maxSwitchesPerHour: 20 }, primarySince: T, now: T + 90_000, expect: ['switch backup→primary failback'] },
    { name: 'grown hold-off is capped', state: onBackup(T, 50), policy: { maxSwitchesPerHour: 200, maxHoldOffMs: 300_000 }, primarySince: T, now: T + 300_000, expect: ['switch backup→primary failback'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const p = policy(c.policy);
      const r = evaluateLines(c.state, input(c.primarySince), p, c.now);
      expect(summary(r.decisions)).toEqual(c.expect);
    });
  }

  it('primary degraded somewhere → no failback', () => {
    const r = evaluateLines(onBackup(T), { stream: S, lines: LINES, health: health({ primary: { eu: 'ok', us: 'degraded' }, backup: 'ok' }), incidents: [] }, policy(), T + 3_600_000);
    expect(r.decisions).toEqual([]);
  });

  it('effective hold-off', () => {
    const p = policy({ holdOffMs: 30_000, maxHoldOffMs: 300_000 });
    expect([0, 1, 2, 9, 10, 20].map((n) => effectiveHoldOff({ ...onBackup(T), failovers: Array(n).fill(T) }, p))).toEqual([30_000, 30_000, 60_000, 270_000, 300_000, 300_000]);
  });
});

describe('flap damping', () => {
  it('primary flapping every 5 s for 10 min: switches capped, then held on the backup and escalated once', () => {
    const p = policy({ holdOffMs: 2000, minDwellMs: 1000, maxSwitchesPerHour: 4 });
    let state = start(LINES, p);
    const all: Decision[] = [];
    let switches = 0;
    for (let t = 0; t <= 600_000; t += 1000) {
      const phase = Math.floor(t / 5000);
      const level: Level = phase % 2 === 1 ? 'down' : 'ok';
      const since = phase * 5000;
      const r = evaluateLines(state, { stream: S, lines: LINES, health: health({ primary: { eu: [level, since], us: [level, since] }, backup: 'ok' }), incidents: level === 'down' ? [down('primary', since)] : [] }, p, T + t);
      state = r.state;
      all.push(...r.decisions);
      switches += r.decisions.filter((d) => d.type === 'switch').length;
    }
    expect(switches).toBeLessThanOrEqual(4);
    expect(summary(all)).toEqual(['switch primary→backup failover', 'switch backup→primary failback', 'switch primary→backup failover', 'escalate flapping P1']);
    expect(state.active).toBe('backup');
    expect(state.hold).toMatchObject({ reason: 'flapping' });
    expect(all.find((d) => d.type === 'escalate')!.why).toMatch(/3 switches in the last hour \(max 4\): holding line "backup"/);
  });

  it('a held line that goes down is still left (a down line is never held)', () => {
    const p = policy({ maxSwitchesPerHour: 2 });
    const held: LineControlState = { active: 'backup', since: T, switches: [T, T], failovers: [T], hold: { since: T, reason: 'flapping' } };
    const r = evaluateLines(held, { stream: S, lines: LINES, health: health({ primary: 'ok', backup: 'down' }), incidents: [down('backup')] }, p, T + 1000);
    expect(summary(r.decisions)).toEqual(['switch backup→primary failover']);
  });

  it('the hold ends when the hour lets a failback and a failover through again', () => {
    const p = policy({ maxSwitchesPerHour: 4, holdOffMs: 1000 });
    const held: LineControlState = { active: 'backup', since: T, switches: [T, T + 1, T + 2], failovers: [T, T + 2], hold: { since: T + 2, reason: 'flapping' } };
    const inp = { stream: S, lines: LINES, health: health({ primary: 'ok', backup: 'ok' }), incidents: [] };
    expect(evaluateLines(held, inp, p, T + 3_599_999).decisions).toEqual([]);
    const r = evaluateLines(held, inp, p, T + 3_600_001);
    expect(summary(r.decisions)).toEqual(['note hold-released', 'switch backup→primary failback']);
    expect(r.state.hold).toBeUndefined();
  });
});

describe('manual pin', () => {
  const ok = { stream: S, lines: LINES, health: health({ primary: 'ok', backup: 'ok' }), incidents: [] };

  it('pins a line with expiry and reason; policies wait; expiry resumes them', () => {
    const p = policy({ holdOffMs: 1000, minDwellMs: 0 });
    let r = pinLine(start(), S, LINES, { line: 'backup', until: T + 60_000, reason: 'vendor maintenance on primary', by: 'alice' }, T);
    expect(summary(r.decisions)).toEqual(['note pin-set', 'switch primary→backup manual']);
    expect(r.decisions[1]).toMatchObject({ by: 'alice', policy: 'pin' });
    r = evaluateLines(r.state, ok, p, T + 59_999);
    expect(r.decisions).toEqual([]); // no failback while pinned
    r = evaluateLines(r.state, ok, p, T + 60_000);
    expect(summary(r.decisions)).toEqual(['note pin-expired', 'switch backup→primary failback']);
  });

  it('a pinned line that is down is reported once, not switched away from', () => {
    let r = pinLine(start(), S, LINES, { line: 'primary', until: T + 60_000, reason: 'test', by: 'bob' }, T);
    expect(summary(r.decisions)).toEqual(['note pin-set']);
    const bad = { ...ok, health: health({ primary: 'down', backup: 'ok' }), incidents: [down('primary')] };
    r = evaluateLines(r.state, bad, policy(), T + 1000);
    expect(summary(r.decisions)).toEqual(['escalate pinned-line-unusable P1']);
    r = evaluateLines(r.state, bad, policy(), T + 2000);
    expect(r.decisions).toEqual([]);
    r = evaluateLines(r.state, bad, policy(), T + 60_000);
    expect(summary(r.decisions)).toEqual(['note pin-expired', 'switch primary→backup failover']);
  });

  it('refuses unknown lines, past expiries and empty reasons; unpin releases', () => {
    expect(() => pinLine(start(), S, LINES, { line: 'nope', until: T + 1, reason: 'x', by: 'a' }, T)).toThrow(/no line "nope"/);
    expect(() => pinLine(start(), S, LINES, { line: 'backup', until: T, reason: 'x', by: 'a' }, T)).toThrow(/expiry/);
    expect(() => pinLine(start(), S, LINES, { line: 'backup', until: T + 1, reason: ' ', by: 'a' }, T)).toThrow(/reason/);
    const pinned = pinLine(start(), S, LINES, { line: 'backup', until: T + 60_000, reason: 'x', by: 'a' }, T).state;
    const r = unpinLine(pinned, S, 'a', 'done');
    expect(r.state.pin).toBeUndefined();
    expect(summary(r.decisions)).toEqual(['note pin-cleared']);
  });
});
