import { isWiderScope, widestScope, type Incident, type IncidentEvent, type IncidentKind, type Reason, type ResolveCause, type TimelineEntry } from '../model/incident.ts';
import type { Level, Severity } from '../model/severity.ts';

/**
 * Incident lifecycle, pure: (incident, event, now) → incident + timeline entries.
 *
 *   open ──ack──▶ acknowledged ──mitigate──▶ mitigating ──▶ resolved
 *     └──────────────mitigate────────────────────▲              │
 *   any non-resolved ──detector clear / resolve──▶ resolved     │
 *   resolved ──detector open/raise within reopenWindowMs──▶ open (reopenCount + 1)
 *   resolved ──detector open after the window──▶ a new incident (created: true)
 *   not resolved ──escalate (controller)──▶ severity raised to at least the escalation's; the
 *     detector cannot lower it below that while the incident lasts (it may raise it further);
 *     the floor ends with the incident (resolve/clear), a reopened incident starts without it
 *
 * "Resolved after the clear time": the detector emits `clear` only after the rules' clearFor
 * (hysteresis) has passed, so a detector clear resolves at once.
 * Everything is plain JSON (no Maps, Dates or class instances) and nothing is mutated: the
 * caller persists the returned incident and appends the returned entries (store TimelineEntry shape).
 */

export type LifecycleInput =
  | { type: 'detector'; event: IncidentEvent }
  | { type: 'acknowledge'; by: string; note?: string }
  | { type: 'mitigate'; by: string; action?: string; note?: string }
  /** Any action taken (failover, ticket opened, feature disabled …), recorded on the timeline. */
  | { type: 'action'; by: string; action: string; detail?: Record<string, unknown> }
  /** By hand, or (with `cause`) because the hub stopped watching what it is about. */
  | { type: 'resolve'; by: string; note?: string; cause?: ResolveCause }
  | { type: 'note'; by: string; note: string }
  /** The controller cannot fix it by itself: raise to at least `severity` (see the diagram above). */
  | { type: 'escalate'; by: string; severity: Severity; reason: string; why?: string };

export interface LifecycleOptions {
  /** A recurrence within this time after resolution reopens the incident. Default REOPEN_WINDOW_MS. */
  reopenWindowMs: number;
}

/**
 * A relapse is the same fault coming back right after it cleared (a line flapping, a publisher
 * that reconnects and drops again): one incident, one story. After two minutes of health a fault
 * is a new fault, with its own onset, evidence and ticket. Two minutes is well past the clear
 * times (2–15 s) and a failback hold-off (15 s); ten, the old default, folded distinct faults of a
 * restless stream into one incident reopened dozens of times.
 */
export const REOPEN_WINDOW_MS = 2 * 60_000;
export const DEFAULT_LIFECYCLE_OPTIONS: LifecycleOptions = { reopenWindowMs: REOPEN_WINDOW_MS };

export interface LifecycleResult {
  incident: Incident;
  entries: TimelineEntry[];
  /** True when `incident` is a new one (first open, or recurrence after the reopen window). */
  created: boolean;
  /** Set when the input was not applicable; `incident` is then unchanged and entries empty. */
  rejected?: string;
}

const RANK: Record<Severity, number> = { P0: 0, P1: 1, P2: 2, P3: 3 };

/** Opens a new incident from a detector event (normally `open`). */
export function openIncident(event: IncidentEvent, now: number): LifecycleResult {
  const id = `${event.key}@${now}`;
  const incident: Incident = {
    id,
    key: event.key,
    kind: event.kind,
    status: 'open',
    severity: event.severity,
    peakSeverity: event.severity,
    scope: event.scope,
    peakScope: event.scope,
    onset: event.onset,
    openedAt: now,
    detectionDelayMs: now - event.onset,
    updatedAt: now,
    reopenCount: 0,
    regions: {},
  };
  if (event.stream !== undefined) incident.stream = event.stream;
  if (event.line !== undefined) incident.line = event.line;
  if (event.probe !== undefined) incident.probe = event.probe;
  if (event.related) incident.related = [...event.related];
  const entries: TimelineEntry[] = [
    entry(id, now, 'opened', { severity: event.severity, scope: event.scope, onset: event.onset, detectionDelayMs: now - event.onset, cause: event.cause }),
  ];
  addRegions(incident, event, now, entries);
  return { incident, entries, created: true };
}

/**
 * Applies one input. `incident` undefined means none exists for the key yet: only a detector
 * event can create one.
 */
export function applyIncident(
  incident: Incident | undefined,
  input: LifecycleInput,
  now: number,
  options: LifecycleOptions = DEFAULT_LIFECYCLE_OPTIONS,
): LifecycleResult {
  if (!incident) {
    if (input.type === 'detector' && (input.event.type === 'open' || input.event.type === 'raise' || input.event.type === 'update')) return openIncident(input.event, now);
    throw new Error(`no incident to apply "${input.type}" to (only a detector open/raise/update creates one)`);
  }
  const id = incident.id;
  switch (input.type) {
    case 'detector':
      return applyDetector(incident, input.event, now, options);
    case 'acknowledge': {
      if (incident.status !== 'open') return reject(incident, `cannot acknowledge a ${incident.status} incident`);
      const next: Incident = { ...incident, status: 'acknowledged', acknowledgedAt: now, updatedAt: now };
      return done(next, [entry(id, now, 'acknowledged', { by: input.by, note: input.note })]);
    }
    case 'mitigate': {
      if (incident.status !== 'open' && incident.status !== 'acknowledged') return reject(incident, `cannot mitigate a ${incident.status} incident`);
      const next: Incident = { ...incident, status: 'mitigating', mitigatingAt: now, updatedAt: now };
      if (next.acknowledgedAt === undefined) next.acknowledgedAt = now; // acting on it acknowledges it
      return done(next, [entry(id, now, 'mitigating', { by: input.by, action: input.action, note: input.note })]);
    }
    case 'action':
      return done({ ...incident, updatedAt: now }, [entry(id, now, 'action', { by: input.by, action: input.action, ...input.detail })]);
    case 'note':
      return done({ ...incident, updatedAt: now }, [entry(id, now, 'note', { by: input.by, note: input.note })]);
    case 'escalate': {
      if (incident.status === 'resolved') return reject(incident, 'cannot escalate a resolved incident');
      const floor = incident.escalation && RANK[incident.escalation.severity] <= RANK[input.severity] ? incident.escalation : { severity: input.severity, by: input.by, reason: input.reason, at: now };
      const next: Incident = { ...incident, escalation: floor, updatedAt: now };
      const entries = [entry(id, now, 'escalated', { by: input.by, severity: input.severity, reason: input.reason, why: input.why, from: incident.severity })];
      setSeverity(next, atLeast(incident.severity, input.severity), now, entries, undefined, input.by);
      return done(next, entries);
    }
    case 'resolve': {
      if (incident.status === 'resolved') return reject(incident, 'already resolved');
      const next: Incident = { ...incident, status: 'resolved', resolvedAt: now, updatedAt: now };
      delete next.escalation;
      const why = input.cause !== undefined ? { cause: input.cause } : { manual: true };
      return done(next, [entry(id, now, 'resolved', { by: input.by, note: input.note, ...why })]);
    }
  }
}

function applyDetector(incident: Incident, ev: IncidentEvent, now: number, options: LifecycleOptions): LifecycleResult {
  if (ev.key !== incident.key) return reject(incident, `event for ${ev.key} applied to ${incident.key}`);
  const id = incident.id;
  const entries: TimelineEntry[] = [];

  if (incident.status === 'resolved') {
    if (ev.type === 'clear' || ev.type === 'lower') {
      // Late news about something already resolved (e.g. manual resolve, then the detector clears).
      if (ev.type === 'clear') return done({ ...incident, updatedAt: now }, [entry(id, now, 'cleared', { severity: ev.severity, cause: ev.cause, afterResolve: true })]);
      return reject(incident, 'incident is resolved');
    }
    const resolvedAt = incident.resolvedAt ?? incident.updatedAt;
    if (now - resolvedAt > options.reopenWindowMs) return openIncident(ev, now);
    const next: Incident = { ...incident, regions: { ...incident.regions }, status: 'open', updatedAt: now, reopenedAt: now, reopenCount: incident.reopenCount + 1 };
    delete next.resolvedAt;
    delete next.acknowledgedAt;
    delete next.mitigatingAt;
    entries.push(entry(id, now, 'reopened', { severity: ev.severity, onset: ev.onset, afterMs: now - resolvedAt, reopenCount: next.reopenCount }));
    setSeverity(next, ev.severity, now, entries, ev.cause);
    setScope(next, ev, now, entries);
    addRegions(next, ev, now, entries);
    return done(next, entries);
  }

  const next: Incident = { ...incident, regions: { ...incident.regions }, updatedAt: now };
  if (ev.related) next.related = [...ev.related];
  switch (ev.type) {
    case 'open':
    case 'raise':
    case 'lower':
    case 'update':
      setSeverity(next, incident.escalation ? atLeast(ev.severity, incident.escalation.severity) : ev.severity, now, entries, ev.cause);
      setScope(next, ev, now, entries);
      addRegions(next, ev, now, entries);
      break;
    case 'clear':
      // A clear carries the last evidence's scope: what the incident reached stays as it was.
      // The escalation ends with the incident: the resolved incident shows the detector's last grade (peakSeverity keeps the raise).
      delete next.escalation;
      setSeverity(next, ev.severity, now, entries, ev.cause);
      next.status = 'resolved';
      next.resolvedAt = now;
      entries.push(entry(id, now, 'resolved', { cause: ev.cause ?? 'cleared', durationMs: now - incident.openedAt }));
      break;
  }
  return done(next, entries);
}

function setSeverity(inc: Incident, severity: Severity, now: number, entries: TimelineEntry[], cause: IncidentEvent['cause'], by?: string): void {
  if (severity === inc.severity) return;
  const from = inc.severity;
  inc.severity = severity;
  if (RANK[severity] < RANK[inc.peakSeverity]) inc.peakSeverity = severity;
  entries.push(entry(inc.id, now, RANK[severity] < RANK[from] ? 'severity-raised' : 'severity-lowered', { from, to: severity, cause, by }));
}

/**
 * The detector's scope (how far the incident reaches: some regions, the whole line, the stream), a
 * timeline entry when it changes: a change of reach is news for operators and vendors alike, not
 * a silent field update.
 */
function setScope(inc: Incident, ev: IncidentEvent, now: number, entries: TimelineEntry[]): void {
  if (ev.scope === inc.scope) return;
  entries.push(entry(inc.id, now, 'scope-changed', { from: inc.scope, to: ev.scope, regions: ev.regions.map((r) => r.region), ...(ev.cause !== undefined && { cause: ev.cause }) }));
  inc.scope = ev.scope;
  if (isWiderScope(ev.scope, widestScope(inc))) inc.peakScope = ev.scope;
}

/** The more severe of the two. */
function atLeast(a: Severity, b: Severity): Severity {
  return RANK[b] < RANK[a] ? b : a;
}

function addRegions(inc: Incident, ev: IncidentEvent, now: number, entries: TimelineEntry[]): void {
  for (const r of ev.regions) {
    if (Object.hasOwn(inc.regions, r.region)) continue; // a region may be named "constructor"
    inc.regions[r.region] = { probe: r.probe, firstSeen: r.onset, firstSeenAt: now, level: r.level, reasons: r.reasons.map((x) => ({ ...x })) };
    entries.push(entry(inc.id, now, 'region-seen', { region: r.region, probe: r.probe, firstSeen: r.onset, level: r.level, reasons: r.reasons.map((x) => ({ ...x })), sample: r.sample ? { ...r.sample } : undefined }));
  }
}

function entry(incidentId: string, t: number, type: string, data: Record<string, unknown>): TimelineEntry {
  const clean: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) if (v !== undefined) clean[k] = v;
  return { incidentId, t, type, data: clean };
}

function done(incident: Incident, entries: TimelineEntry[]): LifecycleResult {
  return { incident, entries, created: false };
}

function reject(incident: Incident, why: string): LifecycleResult {
  return { incident, entries: [], created: false, rejected: why };
}
