import type { Incident, TimelineEntry } from '../model/incident.ts';
import type { Sample } from '../model/sample.ts';
import type { IncidentRepository, SampleHistory, SampleRollup } from '../store/ports.ts';

/**
 * The evidence bundle a vendor's support asks for first: what each region sees now, the metric
 * history around the onset, the probes' error lines, and what the controller already did. Read
 * from the store only (no hub state), so the API can serve the same bundle for humans
 * (`GET /api/v1/incidents/:id/evidence`, see ticketRoutes) and it survives restarts.
 */

/** What the bundle is read from: the sample history and the incidents' timelines. */
export interface EvidenceSource {
  history: Pick<SampleHistory, 'samples' | 'rollups'>;
  timeline: IncidentRepository['timeline'];
}

export interface EvidenceOptions {
  /** History starts this long before the onset. Default 2 min. */
  beforeMs?: number;
  /** … and ends this long after it (or now, if earlier). Default 3 min. */
  afterMs?: number;
  /** Samples per (region, line) in `lastSamples`. Default 5. */
  lastPerRegion?: number;
  /** Points per series in `history` at most (evenly thinned, error samples kept). Default 120. */
  maxPoints?: number;
  /** Error lines at most (runs of the same error are merged first). Default 50. */
  maxErrorLines?: number;
}

export interface EvidencePoint {
  t: number;
  connected: boolean;
  fps: number;
  bitrateBps: number;
  stallMs: number;
  freezeMs: number;
  maxGapMs: number;
  latencyMs?: number;
  avSkewMs?: number;
  width?: number;
  height?: number;
  error?: string;
}

export interface EvidenceSeries {
  region: string;
  line: string;
  probe: string;
  points: EvidencePoint[];
}

export interface EvidenceAction {
  t: string;
  by: string;
  action: string;
  detail?: Record<string, unknown>;
}

export interface EvidenceBundle {
  incidentId: string;
  generatedAt: string;
  stream?: string;
  lines: string[];
  regions: string[];
  onset: string;
  window: { from: string; to: string };
  /** Region → the latest samples of each line of the stream (newest last). */
  lastSamples: Record<string, EvidenceSeries[]>;
  /** Per (region, line, probe): metrics from `beforeMs` before the onset to `afterMs` after. */
  history: EvidenceSeries[];
  /** Per-minute rollups, when the raw samples of the window were already compacted. */
  rollups?: SampleRollup[];
  /** "2026-11-24T22:14:33.000Z eu p-eu primary refused ×12" */
  probeErrors: string[];
  /** What the controller and operators did (timeline actions, mitigations, acknowledgements). */
  actions: EvidenceAction[];
}

/** Actors whose timeline actions are the ticket machinery itself, not news for the vendor. */
export const TICKET_ACTORS = new Set(['tickets', 'sla']);

export async function buildEvidence(store: EvidenceSource, incident: Incident, now: number, opts: EvidenceOptions = {}): Promise<EvidenceBundle> {
  const beforeMs = opts.beforeMs ?? 2 * 60_000;
  const afterMs = opts.afterMs ?? 3 * 60_000;
  const lastN = opts.lastPerRegion ?? 5;
  const maxPoints = opts.maxPoints ?? 120;
  const lines = incidentLines(incident);
  const from = incident.onset - beforeMs;
  const to = Math.max(from + 1, Math.min(now, incident.onset + afterMs) + 1);
  const bundle: EvidenceBundle = {
    incidentId: incident.id,
    generatedAt: new Date(now).toISOString(),
    lines,
    regions: Object.keys(incident.regions).sort(),
    onset: iso(incident.onset),
    window: { from: iso(from), to: iso(to) },
    lastSamples: {},
    history: [],
    probeErrors: [],
    actions: [],
  };
  if (incident.stream !== undefined) bundle.stream = incident.stream;

  if (incident.stream !== undefined) {
    const stream = incident.stream;
    // Latest samples: the last minute, every line of the stream (the healthy backup matters too).
    const recent = await store.history.samples({ stream, from: now - 60_000, to: now + 1 });
    for (const series of group(recent)) {
      (bundle.lastSamples[series.region] ??= []).push({ ...series, points: series.points.slice(-lastN) });
    }
    const around = (await store.history.samples({ stream, from, to })).filter((s) => lines.length === 0 || lines.includes(s.line));
    bundle.history = group(around).map((s) => ({ ...s, points: thin(s.points, maxPoints) }));
    bundle.probeErrors = errorLines(around, opts.maxErrorLines ?? 50);
    if (around.length === 0) {
      const rollups = (await store.history.rollups({ stream, from, to })).filter((r) => lines.length === 0 || lines.includes(r.line));
      if (rollups.length > 0) bundle.rollups = rollups;
    }
  }

  bundle.actions = await timelineActions(store, incident.id);
  return bundle;
}

/** What the controller and operators did to an incident (timeline actions, mitigations, acknowledgements), oldest first. */
export async function timelineActions(store: Pick<EvidenceSource, 'timeline'>, incidentId: string): Promise<EvidenceAction[]> {
  return actionsIn(await store.timeline(incidentId));
}

/** The actions in timeline entries already read (see timelineActions). */
export function actionsIn(timeline: readonly TimelineEntry[]): EvidenceAction[] {
  const out: EvidenceAction[] = [];
  for (const e of timeline) {
    const data = (e.data ?? {}) as Record<string, unknown>;
    const by = typeof data.by === 'string' ? data.by : 'detector';
    if (TICKET_ACTORS.has(by)) continue;
    if (e.type === 'action' || e.type === 'mitigating' || e.type === 'acknowledged') {
      const { by: _by, action, ...detail } = data;
      const a: EvidenceAction = { t: iso(e.t), by, action: typeof action === 'string' ? action : e.type };
      if (Object.keys(detail).length > 0) a.detail = detail;
      out.push(a);
    }
  }
  return out;
}

/** The lines an incident is about: its own and the related keys' (`stream/line/kind`). */
export function incidentLines(incident: Incident): string[] {
  const out = new Set<string>();
  if (incident.line !== undefined) out.add(incident.line);
  for (const k of incident.related ?? []) {
    const parts = k.split('/');
    if (parts.length === 3 && parts[1]) out.add(parts[1]);
  }
  return [...out].sort();
}

function group(samples: readonly Sample[]): EvidenceSeries[] {
  const by = new Map<string, EvidenceSeries>();
  for (const s of samples) {
    const k = `${s.region}\u0000${s.line}\u0000${s.probe}`;
    let series = by.get(k);
    if (!series) by.set(k, (series = { region: s.region, line: s.line, probe: s.probe, points: [] }));
    series.points.push(point(s));
  }
  return [...by.values()].sort((a, b) => a.region.localeCompare(b.region) || a.line.localeCompare(b.line) || a.probe.localeCompare(b.probe));
}

function point(s: Sample): EvidencePoint {
  const p: EvidencePoint = { t: s.t, connected: s.connected, fps: s.fps, bitrateBps: s.bitrateBps, stallMs: s.stallMs, freezeMs: s.freezeMs, maxGapMs: s.maxGapMs };
  if (s.latencyMs !== undefined) p.latencyMs = s.latencyMs;
  if (s.avSkewMs !== undefined) p.avSkewMs = s.avSkewMs;
  if (s.width !== undefined) p.width = s.width;
  if (s.height !== undefined) p.height = s.height;
  if (s.error !== undefined) p.error = s.error;
  return p;
}

/** Keeps at most `max` points, evenly spread, always keeping the first, the last and the first of every error run. */
function thin(points: EvidencePoint[], max: number): EvidencePoint[] {
  if (points.length <= max) return points;
  const step = points.length / max;
  const keep = new Set<number>([0, points.length - 1]);
  for (let i = 0; i < max; i++) keep.add(Math.floor(i * step));
  points.forEach((p, i) => {
    if (p.error !== undefined && points[i - 1]?.error !== p.error) keep.add(i);
  });
  return [...keep].sort((a, b) => a - b).map((i) => points[i]!);
}

function errorLines(samples: readonly Sample[], max: number): string[] {
  const runs: { s: Sample; n: number }[] = [];
  const last = new Map<string, { s: Sample; n: number }>();
  for (const s of [...samples].sort((a, b) => a.t - b.t)) {
    const k = `${s.region}\u0000${s.probe}\u0000${s.line}`;
    const prev = last.get(k);
    if (s.error === undefined) {
      last.delete(k);
      continue;
    }
    if (prev && prev.s.error === s.error) {
      prev.n++;
      continue;
    }
    const run = { s, n: 1 };
    runs.push(run);
    last.set(k, run);
  }
  const out = runs.map(({ s, n }) => `${iso(s.t)} ${s.region} ${s.probe} ${s.line} ${s.error}${n > 1 ? ` ×${n}` : ''}`);
  return out.length > max ? [...out.slice(0, max - 1), `… ${out.length - max + 1} more`] : out;
}

function iso(t: number): string {
  return new Date(t).toISOString();
}
