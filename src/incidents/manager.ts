import type { ActiveIncident } from '../detect/grade.ts';
import { pickLead } from '../detect/lead.ts';
import type { IncidentEvent, RegionEvidence } from '../model/incident.ts';
import { applyIncident, type LifecycleInput, type LifecycleResult } from './lifecycle.ts';
import { type Incident, type TimelineEntry } from '../model/incident.ts';
import type { Logger } from '../common/log.ts';
import type { Sample } from '../model/sample.ts';
import type { IncidentRepository } from '../store/ports.ts';
import type { EventBus } from '../common/event-bus.ts';
import type { IncidentChange, Topic } from '../model/topics.ts';
import type { Commit } from '../common/reload.ts';
import { soleOwnership, type Acting, type Ownership } from '../cluster/ownership.ts';
import { ownedStreamOf } from '../cluster/owned-stream.ts';
import { FencedError, type Fence } from '../store/fence.ts';

/**
 * Applies detector events and operator or controller actions to incidents through the pure
 * lifecycle, writes every transition with its timeline entries to the IncidentRepository, then
 * publishes it.
 *
 * Holds the latest incident per dedup key: open ones, and resolved ones until their reopen window
 * has passed (a recurrence within it reopens the same incident instead of opening a new one).
 * What it holds is the truth for the running hub, so a change is applied and published at once;
 * the writes go out in commit order (a timeline never gets an entry before an earlier one). A
 * write starts at once when none is running, so with the embedded store a change is on disk
 * before anyone hears about it.
 *
 * In a cluster it holds the incidents of the streams this hub owns (src/cluster/ownership.ts): a
 * change is applied only while the hub acts on the incident's stream (a probe's own incident: on
 * `probe:<id>`), and written under that lease's fence. A write the store refuses as fenced means
 * another hub owns the stream now: the change is dropped here, the other hub holds the truth.
 */

export interface IncidentManagerOptions {
  repository: IncidentRepository;
  bus: EventBus;
  reopenWindowMs: number;
  logger?: Logger;
  /**
   * The samples of one view at and just before the onset (oldest first, at most `count`), for the
   * timeline. Called when a region is first seen on an incident; the entry is written after the
   * transition's own entries.
   */
  onsetSamples?: (view: OnsetView, count: number) => Promise<Sample[]>;
  /** Samples per region kept on the timeline around the onset (default 5). */
  onsetSampleCount?: number;
  /** Which streams' incidents this hub acts on, under which fence (default: all, unfenced). */
  ownership?: Ownership;
}

/** One probe's view of an incident's line, around the onset it saw. */
export interface OnsetView {
  stream: string;
  line: string;
  region: string;
  probe: string;
  onset: number;
  windowMs: number;
}

/** Operator or controller inputs (everything but detector events). */
export type ActionInput = Exclude<LifecycleInput, { type: 'detector' }>;

/** Incidents resolved within the reopen window read back at a restart or a takeover, at most. */
const RESTORE_RESOLVED_MAX = 10_000;

export class IncidentManager {
  private readonly byKey = new Map<string, Incident>();
  /** Ids touched since start, newest last (bounded): lets the API list recent resolved incidents. */
  private readonly recentIds: string[] = [];
  private readonly opts: IncidentManagerOptions;
  private readonly ownership: Ownership;
  private reopenWindowMs: number;
  /** The last write queued, until every write is done. */
  private writing: Promise<void> | undefined;

  constructor(opts: IncidentManagerOptions) {
    this.opts = opts;
    this.ownership = opts.ownership ?? soleOwnership;
    this.reopenWindowMs = opts.reopenWindowMs;
  }

  /** A config reload: the reopen window applies to the changes from the commit on. */
  prepareReload(next: { reopenWindowMs: number }): Commit {
    return () => {
      this.reopenWindowMs = next.reopenWindowMs;
    };
  }

  /**
   * Loads the open incidents this hub owns from the repository (restart recovery; a shard taken
   * over: `belongs` says which) and returns them in the detector's shape for `restoreIncidents`,
   * so the same condition seen again updates them, never duplicates.
   */
  async restore(now: number, belongs: (stream: string) => boolean = (stream) => this.ownership.owns(stream)): Promise<ActiveIncident[]> {
    const out: ActiveIncident[] = [];
    // Resolved within the reopen window too: a relapse just after a restart or a handover reopens
    // the incident (and its ticket) as it would have on the hub that resolved it.
    const since = now - this.reopenWindowMs;
    const [open, recent] = await Promise.all([this.opts.repository.open(), this.opts.repository.history({ from: since, to: now + 1, limit: RESTORE_RESOLVED_MAX })]);
    const resolved = recent.filter((inc) => inc.status === 'resolved' && (inc.resolvedAt ?? inc.updatedAt) >= since);
    for (const inc of [...open, ...resolved]) {
      const stream = ownedStreamOf(inc);
      if (stream !== undefined && !belongs(stream)) continue;
      const prev = this.byKey.get(inc.key);
      if (prev && prev.openedAt > inc.openedAt) continue;
      this.byKey.set(inc.key, inc);
      if (inc.status === 'resolved') continue;
      this.remember(inc.id);
      out.push(toActive(inc));
    }
    return out;
  }

  /** Forgets the incidents of streams another hub owns now (a shard given up): nothing resolved, nothing written. */
  forget(streams: ReadonlySet<string>): void {
    for (const [key, inc] of this.byKey) {
      const stream = ownedStreamOf(inc);
      if (stream !== undefined && streams.has(stream)) this.byKey.delete(key);
    }
  }

  /** Incidents that are not resolved. */
  open(): Incident[] {
    return [...this.byKey.values()].filter((i) => i.status !== 'resolved');
  }

  /** The latest incident for a dedup key (open, or resolved within the reopen window). */
  byDedupKey(key: string): Incident | undefined {
    return this.byKey.get(key);
  }

  /** Ids of incidents opened, changed or restored since start, newest first. */
  recent(): string[] {
    return [...this.recentIds].reverse();
  }

  /** Applies one detector event at hub time `now`. Returns the change, or undefined when nothing applied. */
  onDetectorEvent(event: IncidentEvent, now: number): IncidentChange | undefined {
    const acting = this.actingOn(event);
    if (!acting) {
      this.opts.logger?.debug({ key: event.key, type: event.type }, 'detector event of a stream this hub does not act on now; ignored');
      return undefined;
    }
    const current = this.byKey.get(event.key);
    if (!current && (event.type === 'clear' || event.type === 'lower')) {
      this.opts.logger?.warn({ key: event.key, type: event.type }, 'detector event for an incident the hub does not hold; ignored');
      return undefined;
    }
    let result: LifecycleResult;
    try {
      result = applyIncident(current, { type: 'detector', event }, now, { reopenWindowMs: this.reopenWindowMs });
    } catch (err) {
      this.opts.logger?.error({ err, key: event.key, type: event.type }, 'incident lifecycle refused a detector event');
      return undefined;
    }
    if (result.rejected) {
      this.opts.logger?.debug({ key: event.key, type: event.type, why: result.rejected }, 'detector event not applied');
      return undefined;
    }
    return this.commit(result, event, now, acting.fence);
  }

  /**
   * Applies an operator/controller action (acknowledge, mitigate, action, note, resolve) to an
   * incident by id: the one held here, else `stored` (the caller read it from the repository: an
   * incident resolved and forgotten). Throws when there is neither. Rejected when this hub does
   * not act on the incident's stream now (another hub owns it).
   */
  act(id: string, input: ActionInput, now: number, stored?: Incident): LifecycleResult {
    const current = [...this.byKey.values()].find((i) => i.id === id) ?? (stored?.id === id ? stored : undefined);
    if (!current) throw new Error(`no incident "${id}"`);
    const acting = this.actingOn(current);
    if (!acting) return { incident: current, entries: [], created: false, rejected: `this hub does not act on ${ownedStreamOf(current) ?? current.key} now (another hub owns it)` };
    const result = applyIncident(current, input, now, { reopenWindowMs: this.reopenWindowMs });
    if (!result.rejected) this.commit(result, undefined, now, acting.fence);
    return result;
  }

  /** The stream's open lead incident (src/detect/lead.ts, the detector's rule), if it has one. */
  leadOf(stream: string, lineOrder: readonly string[]): Incident | undefined {
    // A reopened incident counts from its reopen, as the detector sees it (its ActiveIncident opened then).
    const mine = this.open()
      .filter((i): i is Incident & { line: string } => i.stream === stream && i.line !== undefined)
      .map((incident) => ({ incident, line: incident.line, kind: incident.kind, severity: incident.severity, openedAt: incident.reopenedAt ?? incident.openedAt }));
    return pickLead(mine, lineOrder)?.incident;
  }

  /** Resolves when every change so far is written. */
  async settled(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /** Forgets resolved incidents whose reopen window has passed (they stay in the repository). */
  prune(now: number): void {
    for (const [key, inc] of this.byKey) {
      if (inc.status === 'resolved' && now - (inc.resolvedAt ?? inc.updatedAt) > this.reopenWindowMs) this.byKey.delete(key);
    }
  }

  /** Whether this hub acts on what `item` belongs to now, and under which fence. */
  private actingOn(item: { stream?: string | undefined; probe?: string | undefined }): Acting | undefined {
    const stream = ownedStreamOf(item);
    // Every incident has a stream or a probe; one with neither would belong to no shard.
    return stream === undefined ? undefined : this.ownership.actingOn(stream);
  }

  private commit(result: LifecycleResult, event: IncidentEvent | undefined, now: number, fence: Fence | undefined): IncidentChange {
    const inc = result.incident;
    const entries = result.entries;
    // Read now, at the transition (the samples just ingested included), written after its entries.
    const onsetEntries = entries
      .filter((e) => e.type === 'region-seen' && inc.stream !== undefined && inc.line !== undefined)
      .map((e) => this.onsetEntry(inc, e, event, now));
    this.write(async () => {
      try {
        await this.opts.repository.save(inc, entries, fence);
        const found = (await Promise.all(onsetEntries)).filter((e): e is TimelineEntry => e !== undefined);
        if (found.length > 0) await this.opts.repository.save(inc, found, fence);
      } catch (err) {
        if (!(err instanceof FencedError)) throw err;
        this.opts.logger?.warn({ incident: inc.id, key: inc.key }, `incident change not written: ${err.message}; another hub owns it now, dropped here`);
        if (this.byKey.get(inc.key) === inc) this.byKey.delete(inc.key);
      }
    });
    this.byKey.set(inc.key, inc);
    this.remember(inc.id);

    const change: IncidentChange = { incident: inc, entries };
    if (event) change.event = event;
    const types = new Set(entries.map((e) => e.type));
    let topic: Topic;
    if (result.created) {
      topic = 'incident.opened';
      change.detectionDelayMs = inc.detectionDelayMs;
    } else if (types.has('reopened')) {
      topic = 'incident.reopened';
      if (event) change.detectionDelayMs = now - event.onset;
    } else if (types.has('resolved')) topic = 'incident.resolved';
    else if (types.has('severity-raised')) topic = 'incident.raised';
    else if (types.has('severity-lowered')) topic = 'incident.lowered';
    else topic = 'incident.updated';
    this.opts.bus.publish(topic, change);
    return change;
  }

  /**
   * Runs `work` after every write queued before it; at once when none is running (so the
   * embedded store's synchronous part runs before the change is published).
   */
  private write(work: () => Promise<void>): void {
    const run = () => work().catch((err: unknown) => this.opts.logger?.error({ err }, 'writing an incident change failed'));
    const tail = this.writing ? this.writing.then(run) : run();
    this.writing = tail;
    void tail.then(() => {
      if (this.writing === tail) this.writing = undefined;
    });
  }

  /** The `onset-samples` entry for a region first seen, or undefined when there are none. */
  private async onsetEntry(inc: Incident, e: TimelineEntry, event: IncidentEvent | undefined, now: number): Promise<TimelineEntry | undefined> {
    const fetch = this.opts.onsetSamples;
    if (!fetch) return undefined;
    const region = String(e.data.region);
    const probe = String(e.data.probe);
    const onset = Number(e.data.firstSeen);
    const ev: RegionEvidence | undefined = event?.regions.find((r) => r.region === region);
    try {
      // Up to the first bad sample: the onset itself lies inside that sample's window.
      const samples = await fetch({ stream: inc.stream!, line: inc.line!, region, probe, onset: ev?.sample?.t ?? onset, windowMs: ev?.sample?.windowMs ?? 1000 }, this.opts.onsetSampleCount ?? 5);
      return samples.length > 0 ? { incidentId: inc.id, t: now, type: 'onset-samples', data: { region, probe, samples } } : undefined;
    } catch (err) {
      this.opts.logger?.warn({ err, incident: inc.id }, 'could not read the samples around the onset');
      return undefined;
    }
  }

  private remember(id: string): void {
    const i = this.recentIds.indexOf(id);
    if (i >= 0) this.recentIds.splice(i, 1);
    this.recentIds.push(id);
    if (this.recentIds.length > 1000) this.recentIds.shift();
  }
}

/** A stored incident in the detector's shape, for restoreIncidents. */
export function toActive(inc: Incident): ActiveIncident {
  const regions: RegionEvidence[] = Object.entries(inc.regions).map(([region, r]) => ({
    region,
    probe: r.probe,
    level: r.level,
    onset: r.firstSeen,
    seenAt: r.firstSeenAt,
    reasons: r.reasons,
  }));
  const active: ActiveIncident = {
    key: inc.key,
    kind: inc.kind,
    severity: inc.severity,
    scope: inc.scope,
    openedAt: inc.reopenedAt ?? inc.openedAt,
    onset: inc.onset,
    regions,
    firstSeen: Object.fromEntries(Object.entries(inc.regions).map(([region, r]) => [region, r.firstSeen])),
  };
  if (inc.stream !== undefined) active.stream = inc.stream;
  if (inc.line !== undefined) active.line = inc.line;
  if (inc.probe !== undefined) active.probe = inc.probe;
  if (inc.related) active.related = [...inc.related];
  return active;
}
