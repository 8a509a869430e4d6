import type { Policy } from './config-schema.ts';
import type { Decision, FeatureState, IncidentView, PolicyResult } from './types.ts';

/**
 * Feature modules, pure: (features, input, policy, now) → (features, decisions).
 *
 * `policy.features` maps an incident kind (`down`, `degraded`) or a detector rule name (`latency`,
 * `freeze`, `av-sync-lag`, …) to features to disable. Incidents count when they are on the line
 * in use (`active`) or stream-wide (P0): a broken backup nobody watches disables nothing.
 * A disabled feature is re-enabled when its triggers have been gone for `featureHoldOff`.
 * An operator pin forces a feature on or off until it expires.
 * Features start enabled.
 */

export type Features = Record<string, FeatureState>;

export interface FeatureInput {
  stream: string;
  active: string;
  incidents: readonly IncidentView[];
}

/** feature → triggers ("<incident key> (<kind or rule>)") and the earliest incident behind it. */
export function featureTriggers(input: FeatureInput, policy: Policy): Map<string, { triggers: string[]; incident: IncidentView }> {
  const out = new Map<string, { triggers: string[]; incident: IncidentView }>();
  const incidents = input.incidents.filter((i) => i.line === input.active || i.severity === 'P0').sort((a, b) => a.onset - b.onset);
  for (const inc of incidents) {
    for (const match of [inc.kind, ...inc.rules]) {
      for (const feature of policy.features[match] ?? []) {
        let t = out.get(feature);
        if (!t) out.set(feature, (t = { triggers: [], incident: inc }));
        const why = `${inc.key} (${match})`;
        if (!t.triggers.includes(why)) t.triggers.push(why);
      }
    }
  }
  return out;
}

export function evaluateFeatures(prev: Features, input: FeatureInput, policy: Policy, now: number): PolicyResult<Features> {
  const { stream } = input;
  const state: Features = { ...prev };
  const decisions: Decision[] = [];
  const triggered = featureTriggers(input, policy);
  const names = new Set<string>([...Object.values(policy.features).flat(), ...Object.keys(state)]);

  for (const feature of [...names].sort()) {
    let f: FeatureState = { ...(state[feature] ?? { enabled: true, by: 'default', since: now }) };
    const t = triggered.get(feature);

    if (f.pin && now >= f.pin.until) {
      const pin = f.pin;
      delete f.pin;
      decisions.push({ type: 'note', stream, policy: 'pin', reason: 'pin-expired', by: pin.by, why: `pin of feature "${feature}" ${pin.value ? 'on' : 'off'} by ${pin.by} expired ("${pin.reason}")` });
      if (!f.enabled) f.by = 'policy';
      if (!t && !f.enabled) {
        f = { enabled: true, by: 'policy', since: now };
        decisions.push({ type: 'feature', stream, policy: 'pin', feature, enabled: true, reason: 'pin-expired', why: `operator pin expired and nothing disables "${feature}"` });
      }
    }
    if (f.pin) {
      state[feature] = f;
      continue;
    }

    if (t) {
      if (f.enabled) {
        f = { enabled: false, by: 'policy', since: now, triggers: t.triggers };
        decisions.push({ type: 'feature', stream, policy: 'features', feature, enabled: false, reason: 'incident', why: `disabled while ${t.triggers.join(', ')}`, incidentKey: t.incident.key, onset: t.incident.onset });
      } else if (f.by === 'policy') {
        f.triggers = t.triggers;
        delete f.clearSince;
      }
    } else if (!f.enabled && f.by === 'policy') {
      if (f.clearSince === undefined) f.clearSince = now;
      if (now - f.clearSince >= policy.featureHoldOffMs) {
        const was = f.triggers ?? [];
        const goneFor = now - f.clearSince;
        f = { enabled: true, by: 'policy', since: now };
        decisions.push({
          type: 'feature',
          stream,
          policy: 'features',
          feature,
          enabled: true,
          reason: 'recovered',
          why: `re-enabled: ${was.join(', ') || 'its triggers'} gone for ${Math.round(goneFor / 1000)} s`,
          ...(was[0] && { incidentKey: was[0].replace(/ \(.*\)$/, '') }),
        });
      }
    }
    state[feature] = f;
  }
  return { state, decisions };
}

/** Operator pin of a feature on or off until `until`. */
export function pinFeature(prev: Features, stream: string, pin: { feature: string; enabled: boolean; until: number; reason: string; by: string }, now: number): PolicyResult<Features> {
  if (!(pin.until > now)) throw new Error('a pin needs an expiry in the future');
  if (!pin.reason.trim()) throw new Error('a pin needs a reason');
  const state: Features = { ...prev };
  const cur = state[pin.feature] ?? { enabled: true, by: 'default' as const, since: now };
  const decisions: Decision[] = [
    { type: 'note', stream, policy: 'pin', reason: 'pin-set', by: pin.by, why: `feature "${pin.feature}" pinned ${pin.enabled ? 'on' : 'off'} by ${pin.by} until ${new Date(pin.until).toISOString()}: ${pin.reason}` },
  ];
  const next: FeatureState = { ...cur, pin: { value: pin.enabled, until: pin.until, reason: pin.reason, by: pin.by, at: now } };
  if (cur.enabled !== pin.enabled) {
    next.enabled = pin.enabled;
    next.by = 'operator';
    next.since = now;
    delete next.triggers;
    delete next.clearSince;
    decisions.push({ type: 'feature', stream, policy: 'pin', feature: pin.feature, enabled: pin.enabled, reason: 'manual', by: pin.by, why: `${pin.by}: ${pin.reason}` });
  }
  state[pin.feature] = next;
  return { state, decisions };
}

/** Removes a feature pin; the policy decides again at the next evaluation (like an expiry). */
export function unpinFeature(prev: Features, stream: string, feature: string, by: string, reason: string): PolicyResult<Features> {
  const cur = prev[feature];
  if (!cur?.pin) return { state: prev, decisions: [] };
  const next: FeatureState = { ...cur, by: 'policy' };
  delete next.pin;
  // Nothing the policy knows keeps it off: re-enabled at the next evaluation unless a trigger is active.
  if (!next.enabled) next.clearSince = 0;
  return {
    state: { ...prev, [feature]: next },
    decisions: [{ type: 'note', stream, policy: 'pin', reason: 'pin-cleared', by, why: `pin of feature "${feature}" cleared by ${by}: ${reason}` }],
  };
}
