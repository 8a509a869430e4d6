import { z } from 'zod';
import { SampleSchema } from './sample.ts';
import { LevelSchema, SeveritySchema } from './severity.ts';

/**
 * The incident vocabulary shared by the detector (which emits IncidentEvents), incident
 * management (which keeps Incidents and their timeline), the controller, tickets, the store and
 * the operator interfaces. Declared once as schemas: the store validates what it reads back.
 */

/**
 * down / degraded: a stream's line; blind: a probe that cannot see (silent, or every stream failing
 * at once); impaired: a probe that says it cannot trust its own measurements (Sample.impaired).
 */
export const IncidentKindSchema = z.enum(['down', 'degraded', 'blind', 'impaired']);
export type IncidentKind = z.infer<typeof IncidentKindSchema>;

/**
 * How far an incident reaches:
 * stream = every line down in every region; line = one line in every region;
 * regional = some regions; single-probe = one probe disagrees with others in its region;
 * probe = the probe itself (blind or impaired).
 */
export const IncidentScopeSchema = z.enum(['stream', 'line', 'regional', 'single-probe', 'probe']);
export type IncidentScope = z.infer<typeof IncidentScopeSchema>;

/** Whether scope a reaches further than b (the enum lists the widest first). */
export function isWiderScope(a: IncidentScope, b: IncidentScope): boolean {
  return IncidentScopeSchema.options.indexOf(a) < IncidentScopeSchema.options.indexOf(b);
}

/** One active rule behind a level. */
export const ReasonSchema = z.object({
  rule: z.string(),
  metric: z.string(),
  value: z.number(),
  threshold: z.number(),
  yields: LevelSchema,
  /** t (probe clock) of the first bad sample of the run that tripped the rule. */
  since: z.number(),
  /** The rule's bad side: `>` trips above threshold (too loud), `<` below it (too quiet). */
  op: z.enum(['>', '<']).optional(),
  /** How long the rule needs the value bad before it trips (ms). */
  forMs: z.number().optional(),
  /** How long the bad run had lasted (probe clock, from `since`) when this evidence was taken. */
  lastedMs: z.number().optional(),
});
export type Reason = z.infer<typeof ReasonSchema>;

/** What one region (through one probe) sees for an incident. */
export const RegionEvidenceSchema = z.object({
  region: z.string(),
  probe: z.string(),
  level: LevelSchema,
  /** t of the first bad sample, probe clock (for probe incidents: hub time the probe went blind-worthy). */
  onset: z.number(),
  /** Hub time at which this view changed to `level`. */
  seenAt: z.number(),
  reasons: z.array(ReasonSchema),
  /** The first bad sample of this view (the onset), when known. */
  sample: SampleSchema.optional(),
});
export type RegionEvidence = z.infer<typeof RegionEvidenceSchema>;

export const IncidentEventTypeSchema = z.enum(['open', 'raise', 'lower', 'update', 'clear']);
export type IncidentEventType = z.infer<typeof IncidentEventTypeSchema>;

export const IncidentEventSchema = z.object({
  type: IncidentEventTypeSchema,
  /** Dedup key: `stream/line/down`, `stream/line/degraded`, `probe/<probe>/blind` or `probe/<probe>/impaired`. */
  key: z.string(),
  kind: IncidentKindSchema,
  severity: SeveritySchema,
  /** Severity before a raise/lower/clear. */
  previous: SeveritySchema.optional(),
  scope: IncidentScopeSchema,
  stream: z.string().optional(),
  line: z.string().optional(),
  probe: z.string().optional(),
  /** Earliest first-bad-sample t over the evidence (probe clocks; hub clock for probe incidents). */
  onset: z.number(),
  /** Hub time of this event (the injected `now`). */
  at: z.number(),
  /** Hub time the incident opened. */
  openedAt: z.number(),
  /** Current evidence, one entry per region (for clear: the last evidence). */
  regions: z.array(RegionEvidenceSchema),
  /**
   * Why: 'blip' (cleared within blipMs, lowered to P3), 'probe-blind' (evidence withdrawn),
   * 'stream-down' (P0 lead), 'source-degraded' (every line degraded by the same rule: the source's).
   */
  cause: z.enum(['blip', 'probe-blind', 'stream-down', 'source-degraded']).optional(),
  /** For a P0 or source-degraded lead: the other lines' keys that are part of the same fault. */
  related: z.array(z.string()).optional(),
});
export type IncidentEvent = z.infer<typeof IncidentEventSchema>;

/**
 * Why an incident was resolved without its fault being seen to clear: `removed-from-config`, its
 * stream (or line) left the config at a reload and is no longer watched; `retired`, an operator or
 * a discovery source removed it at run time (the stream ended: no outage). A vendor must not read
 * such a resolve as a fix (src/tickets says so in the message).
 */
export const ResolveCauseSchema = z.enum(['removed-from-config', 'retired']);
export type ResolveCause = z.infer<typeof ResolveCauseSchema>;

export const IncidentStatusSchema = z.enum(['open', 'acknowledged', 'mitigating', 'resolved']);
export type IncidentStatus = z.infer<typeof IncidentStatusSchema>;

export const RegionSeenSchema = z.object({
  probe: z.string(),
  /** t of the first bad sample seen from this region (probe clock). */
  firstSeen: z.number(),
  /** Hub time the region's evidence reached the incident. */
  firstSeenAt: z.number(),
  level: LevelSchema,
  reasons: z.array(ReasonSchema),
});
export type RegionSeen = z.infer<typeof RegionSeenSchema>;

export const EscalationSchema = z.object({
  severity: SeveritySchema,
  by: z.string(),
  reason: z.string(),
  at: z.number(),
});
export type Escalation = z.infer<typeof EscalationSchema>;

export const IncidentSchema = z.object({
  /** `${key}@${openedAt}`: deterministic, unique per occurrence. */
  id: z.string(),
  key: z.string(),
  kind: IncidentKindSchema,
  stream: z.string().optional(),
  line: z.string().optional(),
  probe: z.string().optional(),
  status: IncidentStatusSchema,
  severity: SeveritySchema,
  /** Highest severity it ever had. */
  peakSeverity: SeveritySchema,
  /** How far it reaches now: it narrows again as regions recover. */
  scope: IncidentScopeSchema,
  /**
   * The widest scope it ever reached: what a resolved incident reports (its regions are every region
   * that ever saw it). Absent on incidents stored before it was kept: their scope stands in.
   */
  peakScope: IncidentScopeSchema.optional(),
  /** First bad sample t (probe clock). */
  onset: z.number(),
  openedAt: z.number(),
  /** openedAt − onset: the detection delay (clock offset between probe and hub included). */
  detectionDelayMs: z.number(),
  /** Hub time of the latest reopen: the detector's "opened" for this occurrence (lead rule, blips). */
  reopenedAt: z.number().optional(),
  acknowledgedAt: z.number().optional(),
  mitigatingAt: z.number().optional(),
  resolvedAt: z.number().optional(),
  updatedAt: z.number(),
  reopenCount: z.number().int(),
  /** region → first-seen evidence, kept for the whole life of the incident. */
  regions: z.record(z.string(), RegionSeenSchema),
  related: z.array(z.string()).optional(),
  /**
   * The controller escalated it (no healthy line, flapping held): a severity floor for the
   * detector's grades until the incident resolves.
   */
  escalation: EscalationSchema.optional(),
});
export type Incident = z.infer<typeof IncidentSchema>;

/** The widest scope an incident reached (one stored before peakScope was kept: its scope). */
export function widestScope(inc: Pick<Incident, 'scope' | 'peakScope'>): IncidentScope {
  return inc.peakScope ?? inc.scope;
}

/** One entry of an incident's timeline: detector changes, operator and controller actions, tickets. */
export const TimelineEntrySchema = z.object({
  incidentId: z.string(),
  t: z.number(),
  type: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type TimelineEntry = z.infer<typeof TimelineEntrySchema>;
