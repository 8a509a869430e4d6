import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES, mergeRules, RuleSchema, RulesConfigSchema } from '../../src/detect/rules-schema.ts';

describe('rules schema', () => {
  it('every default rule is valid', () => {
    for (const [name, rule] of Object.entries(DEFAULT_RULES)) expect(RuleSchema.safeParse(rule).success, name).toBe(true);
  });

  it('defaults encode the agreed thresholds', () => {
    expect(DEFAULT_RULES['av-sync-lead']).toMatchObject({ metric: 'avSyncMs', op: '>', threshold: 90, clearThreshold: 45 });
    expect(DEFAULT_RULES['av-sync-lag']).toMatchObject({ metric: 'avSyncMs', op: '<', threshold: -185, clearThreshold: -125 });
    expect(DEFAULT_RULES.disconnected).toMatchObject({ yields: 'down', for: 0 });
    expect(DEFAULT_RULES['low-fps']).toMatchObject({ metric: 'fpsRatio', threshold: 0.8 });
  });

  it('an empty section gives the defaults', () => {
    expect(RulesConfigSchema.parse(undefined)).toEqual(DEFAULT_RULES);
    expect(RulesConfigSchema.parse({})).toEqual(DEFAULT_RULES);
  });

  it('merges partial overrides per rule name and adds new rules', () => {
    const rules = mergeRules({
      freeze: { threshold: 0.3, for: 1000 },
      stall: { enabled: false },
      'latency-hard': { metric: 'latencyOverBudgetMs', op: '>', threshold: 2000, for: 0, clearThreshold: 0, clearFor: 5000, yields: 'down' },
    });
    expect(rules.freeze).toEqual({ ...DEFAULT_RULES.freeze, threshold: 0.3, for: 1000 });
    expect(rules.stall?.enabled).toBe(false);
    expect(rules['latency-hard']).toMatchObject({ yields: 'down', whenMissing: 'hold', enabled: true });
    expect(rules.disconnected).toEqual(DEFAULT_RULES.disconnected);
    expect(DEFAULT_RULES.freeze.threshold).toBe(0.5); // defaults untouched
  });

  it.each([
    [{ freeze: { clearThreshold: 900 } }, ['freeze', 'clearThreshold']],
    [{ 'new-rule': { threshold: 1 } }, ['new-rule', 'metric']],
    [{ freeze: { for: -1 } }, ['freeze', 'for']],
    [{ freeze: { metric: 'nope' } }, ['freeze', 'metric']],
    [{ freeze: { typo: 1 } }, ['freeze']],
    [{ Bad_Name: {} }, ['Bad_Name']],
  ])('rejects %j with a path', (input, path) => {
    const r = RulesConfigSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.map(String))).toContainEqual(path);
  });
});
