import { SEVERITIES, type Severity } from '../../src/model/severity.ts';
import type { Episode } from '../../test/helpers/incident-episodes.ts';
import type { SwitchRow } from '../../test/helpers/hub-rest.ts';

/** A fault the soak injected on purpose, with its ground-truth times from the lab's truth log. */
export interface ScriptedFault {
  label: string;
  kind: string;
  stream: string;
  line: string;
  startedAt: number;
  /** Unset while still active at the end of the run. */
  endedAt?: number;
  /** The incident kind that detects it (a kill is seen as `down`, a freeze as `degraded`); any kind when unset. */
  detectedAs?: Episode['kind'];
}

/** A ticket the vendor desk received (one POST), keyed by the incident id the hub sent as external_id. */
export interface TicketRow {
  id: number;
  createdAt: number;
  incidentId?: string;
  priority?: string;
  subject: string;
}

export interface SoakInput {
  /** The measured window (hub/bench clock): episodes, switches and tickets outside it are not scored. */
  from: number;
  to: number;
  episodes: readonly Episode[];
  faults: readonly ScriptedFault[];
  switches: readonly SwitchRow[];
  tickets: readonly TicketRow[];
  /** How long after a fault's end its incidents, switches and failback still count as its own. */
  toleranceMs: number;
}

export interface FaultOutcome extends ScriptedFault {
  detected: boolean;
  /** An incident of the kind it should be seen as was already open on its line when it began: nothing new could open, nothing can be timed. */
  masked: boolean;
  /** First matching episode's start − the fault's start. */
  delayMs?: number;
  incidentId?: string;
  severity?: Severity;
}

export interface SoakScore {
  falseIncidents: Record<Severity, number>;
  falseEpisodes: Episode[];
  trueEpisodes: number;
  falseSwitches: SwitchRow[];
  switches: number;
  falseTickets: TicketRow[];
  tickets: number;
  faults: FaultOutcome[];
  /** Not detected and not masked. */
  missed: FaultOutcome[];
  masked: FaultOutcome[];
  detection: { n: number; p50Ms: number | null; p95Ms: number | null; maxMs: number | null; byKind: Record<string, { n: number; p50Ms: number | null; p95Ms: number | null }> };
}

const faultEnd = (f: ScriptedFault, runEnd: number) => f.endedAt ?? runEnd;

/**
 * An episode is explained by a fault when it is on the fault's stream and line and starts between
 * the fault's start and its end + tolerance (any kind: a blackhole may also stall a line first).
 */
function causedBy(e: Episode, f: ScriptedFault, input: SoakInput): boolean {
  return e.stream === f.stream && e.line === f.line && e.startAt >= f.startedAt && e.startAt <= faultEnd(f, input.to) + input.toleranceMs;
}

/** It detects the fault when it is also of the kind the fault should be seen as (a stall noticed on a killed line is not its detection). */
function detects(e: Episode, f: ScriptedFault, input: SoakInput): boolean {
  return causedBy(e, f, input) && (f.detectedAs === undefined || e.kind === f.detectedAs);
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function delays(outcomes: readonly FaultOutcome[]) {
  const v = outcomes.flatMap((o) => (o.delayMs === undefined ? [] : [o.delayMs])).sort((a, b) => a - b);
  return { n: v.length, p50Ms: percentile(v, 50), p95Ms: percentile(v, 95), maxMs: v.at(-1) ?? null };
}

/**
 * Scores one soak run. False incident: an episode started in the window that no scripted fault
 * explains. False switch: a policy switch neither inside a fault window of its stream (start to
 * end + tolerance) nor the failback undoing such a switch. False ticket: a desk ticket created
 * for an incident whose episode at that moment is false.
 */
export function scoreSoak(input: SoakInput): SoakScore {
  const inWindow = (t: number) => t >= input.from && t <= input.to;
  const episodes = input.episodes.filter((e) => inWindow(e.startAt)).sort((a, b) => a.startAt - b.startAt);
  const isTrue = (e: Episode) => input.faults.some((f) => causedBy(e, f, input));
  const falseEpisodes = episodes.filter((e) => !isTrue(e));
  const falseIncidents = Object.fromEntries(SEVERITIES.map((s) => [s, falseEpisodes.filter((e) => e.severity === s).length])) as Record<Severity, number>;

  const faults: FaultOutcome[] = input.faults.map((f) => {
    const first = episodes.find((e) => detects(e, f, input));
    if (first) return { ...f, detected: true, masked: false, delayMs: first.startAt - f.startedAt, incidentId: first.incidentId, severity: first.severity };
    const open = input.episodes.find((e) => e.stream === f.stream && e.line === f.line && (f.detectedAs === undefined || e.kind === f.detectedAs) && e.startAt < f.startedAt && (e.endAt === undefined || e.endAt > f.startedAt));
    return { ...f, detected: false, masked: open !== undefined, ...(open && { incidentId: open.incidentId, severity: open.severity }) };
  });
  const byKindNames = [...new Set(faults.map((f) => f.kind))];
  const byKind = Object.fromEntries(byKindNames.map((k) => {
    const { n, p50Ms, p95Ms } = delays(faults.filter((f) => f.kind === k));
    return [k, { n, p50Ms, p95Ms }];
  }));

  // Switches in time order per stream: a failback back to where a fault's switch came from is the fault's too.
  const switches = input.switches.filter((s) => inWindow(s.t)).sort((a, b) => a.t - b.t);
  const lastOnStream = new Map<string, { row: SwitchRow; inFault: boolean }>();
  const falseSwitches: SwitchRow[] = [];
  for (const s of switches) {
    const inFault = input.faults.some((f) => f.stream === s.stream && s.t >= f.startedAt && s.t <= faultEnd(f, input.to) + input.toleranceMs);
    const previous = lastOnStream.get(s.stream);
    const undoesFaultSwitch = previous !== undefined && previous.inFault && previous.row.from === s.to;
    if (!inFault && !undoesFaultSwitch) falseSwitches.push(s);
    lastOnStream.set(s.stream, { row: s, inFault });
  }

  const tickets = input.tickets.filter((t) => inWindow(t.createdAt));
  const episodeAt = (incidentId: string, t: number) =>
    input.episodes.filter((e) => e.incidentId === incidentId && e.startAt <= t).sort((a, b) => b.startAt - a.startAt)[0];
  const falseTickets = tickets.filter((t) => {
    const episode = t.incidentId === undefined ? undefined : episodeAt(t.incidentId, t.createdAt);
    // A ticket whose incident the hub does not list cannot be tied to a fault: not explained, so false.
    return episode === undefined || !isTrue(episode);
  });

  return {
    falseIncidents,
    falseEpisodes,
    trueEpisodes: episodes.length - falseEpisodes.length,
    falseSwitches,
    switches: switches.length,
    falseTickets,
    tickets: tickets.length,
    faults,
    missed: faults.filter((f) => !f.detected && !f.masked),
    masked: faults.filter((f) => f.masked),
    detection: { ...delays(faults), byKind },
  };
}
