import type { StreamConfig } from '../model/stream.ts';
import { compileDetector, createDetector, restoreIncidents, type Detector, type DetectorInput } from '../detect/detector.ts';
import { forgetProbeIncidents, forgetStream } from '../detect/forget.ts';
import { toEvent } from '../detect/grade.ts';
import { soleOwnership, type Ownership, type OwnershipListener } from '../cluster/ownership.ts';
import { ownedStreamOf, probeOfStream } from '../cluster/owned-stream.ts';
import type { Blindness } from '../detect/probe-watch.ts';
import type { DetectorSettings, Rules } from '../detect/rules-schema.ts';
import type { IncidentEvent } from '../model/incident.ts';
import { createIngest, type Ingest, type IngestCallOptions, type IngestResult } from '../ingest/ingest.ts';
import type { Logger } from '../common/log.ts';
import type { ProbeImpairment, Sample } from '../model/sample.ts';
import type { Level } from '../model/severity.ts';
import type { IncidentRepository, SampleHistory } from '../store/ports.ts';
import { EventBus } from '../common/event-bus.ts';
import { IncidentManager, type OnsetView } from '../incidents/manager.ts';
import { REOPEN_WINDOW_MS } from '../incidents/lifecycle.ts';
import type { Commit } from '../common/reload.ts';

/**
 * The hub core: owns the clock, the detector, the incident manager and the sample ingest.
 *
 *   ingest(sample) ─▶ history queue + detector.step ─▶ IncidentEvent ─▶ IncidentManager ─▶ repository + bus
 *   tick (1 s)     ─▶ detector tick, flush samples, forget old resolved incidents
 *                     (a timer tick late by more than detector.hubStallMs: the hub itself was
 *                     frozen — GC pause, VM steal, SIGSTOP — and the detector is told first: resume)
 *   compaction     ─▶ history.compact(now − raw retention, now − rollup retention), in the background
 *
 * Everything runs on the event loop thread; with an injected clock and `tickMs: 0` a test drives it
 * entirely by hand (`ingest`, `tick`, `compact`).
 *
 * In a cluster (src/cluster/ownership.ts) the detector and the incidents hold the streams this hub
 * owns, and nothing else: a sample of another stream is stored, not detected on; a probe's own
 * incidents are raised by the owner of `probe:<id>` alone. A shard taken over is adopted as a
 * restart is recovered (its open incidents restored from the store), its line states warmed by
 * the recent stored samples; a shard given up is forgotten, nothing resolved.
 */

const MINUTE = 60_000;
/** How far back an adopted stream's stored samples are replayed to warm its line states (a few rules' `for` and `clearFor`, and the grace). */
const ADOPT_REPLAY_MS = 30_000;

export interface HubOptions {
  /** Where incidents and their timelines are written (restored from at start). */
  incidents: IncidentRepository;
  /** Where accepted samples go, compacted on a timer; read for the samples around an onset. */
  samples: Pick<SampleHistory, 'append' | 'samples' | 'compact'>;
  streams: readonly StreamConfig[];
  rules?: Rules;
  detector?: Partial<DetectorSettings>;
  /** Hub clock (unix ms). Default Date.now. */
  clock?: () => number;
  /** Tick period; 0 disables the timer (call tick() yourself). Default 1000. */
  tickMs?: number;
  /** Background compaction period; 0 disables the timer. Default 5 min. */
  compactEveryMs?: number;
  retention?: { rawMs: number; rollupsMs: number };
  reopenWindowMs?: number;
  /** Samples per ingest transaction at most (default 1000; a tick flushes whatever is queued). */
  maxBatch?: number;
  logger?: Logger;
  bus?: EventBus;
  /**
   * Who retired a stream that leaves at the reload under way, and why (a run-time removal: the
   * stream ended, it did not fail); undefined when it left the config file.
   */
  retirementOf?: (stream: string) => { by: string; reason: string } | undefined;
  /** Which streams this hub watches and acts on (default: all, the lone hub). The hub does not subscribe itself: its creator does, in order. */
  ownership?: Ownership;
}

/** What of the config the hub core follows at a reload (src/app/start.ts maps the config onto it). */
export type HubSettings = Required<Pick<HubOptions, 'streams' | 'rules' | 'detector' | 'reopenWindowMs' | 'retention' | 'compactEveryMs'>>;

export interface HubStats {
  ticks: number;
  detectorEvents: number;
  /** Times the tick timer fired late by more than detector.hubStallMs (the hub was frozen), and by how much (the time it lost, at least). */
  stalls: number;
  stalledMs: number;
  compactions: number;
  lastCompaction?: { at: number; rolledUp: number; prunedRollups: number; tookMs: number };
}

/** What the detector knows of a probe (from its samples and heartbeats). */
export interface ProbeStatus {
  probe: string;
  region: string;
  /** Hub time of its last sample or heartbeat. */
  lastSeenAt: number;
  /** Why it is blind (it stopped reporting, or everything it sees fails), false when it is not. */
  blind: Blindness;
  /** While its impairment episode lasts (src/detect/impairment.ts): the latest reason it gave. */
  impaired?: ProbeImpairment;
}

/** One probe's current view of one line of a stream. */
export interface LineView {
  line: string;
  region: string;
  probe: string;
  level: Level;
}

export class Hub implements OwnershipListener {
  readonly bus: EventBus;
  readonly detector: Detector;
  readonly incidents: IncidentManager;
  readonly clock: () => number;
  readonly startedAt: number;
  readonly stats: HubStats = { ticks: 0, detectorEvents: 0, stalls: 0, stalledMs: 0, compactions: 0 };
  private readonly ingestor: Ingest;
  private readonly opts: HubOptions;
  private readonly ownership: Ownership;
  /** Streams being adopted: their samples are stored but not detected on until their state is rebuilt. */
  private readonly adopting = new Set<string>();
  private readonly log: Logger | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private compactTimer: NodeJS.Timeout | undefined;
  private compactEveryMs: number;
  private retention: { rawMs: number; rollupsMs: number };
  private compacting = false;
  private compactedBefore: number | undefined;
  /** What the hub's own stalls are measured on: performance.now, or an injected clock (a test's moves only when the test moves it). */
  private readonly monotonic: () => number;
  /** Monotonic time of the last timer tick, or of the timer's start before the first. */
  private lastTimerTick: number | undefined;
  private started = false;
  private stopped = false;

  constructor(opts: HubOptions) {
    this.opts = opts;
    this.ownership = opts.ownership ?? soleOwnership;
    this.log = opts.logger;
    this.clock = opts.clock ?? Date.now;
    // The wall clock steps on real hosts (NTP): a backward step would hide a freeze, a forward one invent it.
    this.monotonic = opts.clock ?? (() => performance.now());
    this.startedAt = this.clock();
    this.compactEveryMs = opts.compactEveryMs ?? 5 * 60_000;
    this.retention = opts.retention ?? { rawMs: 6 * 3_600_000, rollupsMs: 30 * 86_400_000 };
    this.bus = opts.bus ?? new EventBus(opts.logger);
    this.detector = createDetector({ streams: opts.streams, ...(opts.rules && { rules: opts.rules }), ...(opts.detector && { settings: opts.detector }) });
    this.ingestor = createIngest({
      history: opts.samples,
      onSample: (s) => this.onSample(s),
      ...(opts.maxBatch !== undefined && { maxBatch: opts.maxBatch }),
      ...(opts.logger && { logger: opts.logger }),
    });
    this.incidents = new IncidentManager({
      repository: opts.incidents,
      bus: this.bus,
      reopenWindowMs: opts.reopenWindowMs ?? REOPEN_WINDOW_MS,
      ownership: this.ownership,
      ...(opts.logger && { logger: opts.logger }),
      onsetSamples: (v, count) => this.onsetSamples(v, count),
    });
  }

  /** Restores the open incidents it owns from the repository into the detector, then starts the tick and compaction timers. */
  async start(): Promise<this> {
    if (this.started) return this;
    this.started = true;
    const restored = await this.incidents.restore(this.clock());
    if (restored.length > 0) {
      restoreIncidents(this.detector.ctx, this.detector.state, restored, this.clock());
      this.log?.info({ incidents: restored.map((i) => i.key) }, `restored ${restored.length} open incident(s) from the store`);
    }
    const tickMs = this.opts.tickMs ?? 1000;
    if (tickMs > 0) {
      // The first tick's lateness is measured from here: a hub frozen within its first period stalled too.
      this.lastTimerTick = this.monotonic();
      this.tickTimer = setInterval(() => this.timerTick(tickMs), tickMs);
      this.tickTimer.unref?.();
    }
    this.scheduleCompaction();
    return this;
  }

  /**
   * A config reload (prepared, then applied by the returned commit): the detector moves onto the
   * new streams, rules and settings (src/detect/reconfigure.ts); the open incidents of a stream or
   * line that left are resolved: with cause `retired`, by whoever retired it at run time
   * (`retirementOf`), else by `config` with cause `removed-from-config`; the
   * reopen window, retention and compaction period apply from then on.
   */
  prepareReload(next: HubSettings): Commit {
    const ctx = compileDetector({ streams: next.streams, rules: next.rules, settings: next.detector });
    const reopen = this.incidents.prepareReload({ reopenWindowMs: next.reopenWindowMs });
    return () => {
      const now = this.clock();
      const before = this.detector.ctx.streams;
      const events = this.detector.reconfigure(ctx, now);
      this.resolveRemoved(before, ctx.streams, now);
      for (const ev of events) this.onEvent(ev, now);
      reopen();
      this.retention = next.retention;
      if (next.compactEveryMs !== this.compactEveryMs) {
        this.compactEveryMs = next.compactEveryMs;
        if (this.compactTimer) clearInterval(this.compactTimer);
        this.compactTimer = undefined;
        if (this.started && !this.stopped) this.scheduleCompaction();
      }
    };
  }

  /**
   * Streams this hub owns from now on (a shard taken over): their open incidents restored from the
   * store, as at a restart, and their line states warmed by replaying their recent stored samples.
   * The replay's own events are dropped: it retells what the last owner already decided (the
   * stored incidents say it), so a handover neither resolves nor reopens anything. A restored
   * incident then waits for fresh views as after a restart (src/detect/grade.ts); a condition the
   * replay shows still active that no stored incident has (the last owner stopped before raising
   * it) is raised now.
   */
  async adopt(streams: readonly string[]): Promise<void> {
    if (streams.length === 0) return;
    const adopted = new Set(streams);
    for (const s of streams) this.adopting.add(s);
    try {
      const since = this.clock() - ADOPT_REPLAY_MS;
      const real = streams.filter((s) => probeOfStream(s) === undefined);
      const [restored, recent] = await Promise.all([
        this.incidents.restore(this.clock(), (stream) => adopted.has(stream)),
        Promise.all(real.map((stream) => this.opts.samples.samples({ stream, from: since, to: this.clock() + ADOPT_REPLAY_MS }))),
      ]);
      const now = this.clock();
      for (const sample of recent.flat().sort((a, b) => a.t - b.t || a.seq - b.seq)) this.detector.step(sample, Math.min(now, sample.t));
      // A stream incident restored over the replay's: it waits for fresh views to settle it. A
      // probe's incident the replay already holds keeps its live episode (restoring would reset it).
      const active = new Set(this.detector.activeIncidents().map((i) => i.key));
      restoreIncidents(this.detector.ctx, this.detector.state, restored.filter((i) => i.probe === undefined || !active.has(i.key)), now);
      for (const inc of this.detector.activeIncidents()) {
        const stream = ownedStreamOf(inc);
        // Held and not resolved: continued. Resolved (within the reopen window) or unknown: raised, so a relapse the last owner did not record reopens it.
        if (stream === undefined || !adopted.has(stream) || (this.incidents.byDedupKey(inc.key)?.status ?? 'resolved') !== 'resolved') continue;
        this.onEvent(toEvent('open', inc, now), now);
      }
      this.log?.info({ streams: streams.length, incidents: restored.map((i) => i.key), samples: recent.reduce((n, r) => n + r.length, 0) }, 'adopted streams');
    } finally {
      for (const s of streams) this.adopting.delete(s);
    }
  }

  /** Streams another hub owns from now on (a shard lost or given up): their detector state and incidents forgotten, nothing resolved, nothing written. */
  release(streams: readonly string[]): void {
    if (streams.length === 0) return;
    for (const s of streams) {
      const probe = probeOfStream(s);
      if (probe === undefined) forgetStream(this.detector.state, s);
      else forgetProbeIncidents(this.detector.state, probe);
    }
    this.incidents.forget(new Set(streams));
    this.log?.info({ streams: streams.length }, 'released streams');
  }

  /** The one entry point for samples (see src/ingest). Untrusted (validated) unless `trusted`. */
  ingest(sample: unknown, opts?: IngestCallOptions): IngestResult {
    if (this.stopped) return { ok: false, error: 'hub is stopping' };
    return this.ingestor.ingest(sample, opts);
  }

  /** A probe keep-alive (remote uplink), for probes that have nothing else to send. */
  heartbeat(probe: string, region: string, intervalMs?: number): void {
    this.step({ type: 'heartbeat', probe, region, ...(intervalMs !== undefined && { intervalMs }) });
  }

  /** Writes every queued sample in one transaction (also done on every tick); resolves once durable. Rejects if the store fails. */
  flush(): Promise<number> {
    return this.ingestor.flush();
  }

  get ingestStats() {
    return { ...this.ingestor.stats, pending: this.ingestor.pending };
  }

  /** Every probe the detector has heard of. */
  probeStatus(): ProbeStatus[] {
    return [...this.detector.state.probes.values()].map((p) => ({
      probe: p.probe,
      region: p.region,
      lastSeenAt: p.lastSeenAt,
      blind: p.blind,
      ...(p.impairment?.reason !== undefined && { impaired: p.impairment.reason }),
    }));
  }

  /** The current level of every probe's view of each line of a stream (none before its first sample). */
  lineViews(stream: string): LineView[] {
    const views = this.detector.state.streams.get(stream);
    if (!views) return [];
    return [...views.lines].flatMap(([line, states]) => states.map((st) => ({ line, region: st.region, probe: st.probe, level: st.level })));
  }

  /** One hub tick: detector time-based checks, a sample flush, forgetting old resolved incidents. */
  tick(): void {
    this.stats.ticks++;
    const now = this.clock();
    try {
      this.step({ type: 'tick' });
    } finally {
      this.ingestor.flush().catch((err: unknown) => this.log?.error({ err, pending: this.ingestor.pending }, 'writing samples failed; kept queued, retrying on the next tick'));
      this.incidents.prune(now);
    }
  }

  /**
   * A tick of the timer. Firing late by more than `hubStallMs` beyond its period means the hub
   * itself was frozen, and every in-process watchdog would fire at once: the lateness — the time
   * it was frozen at least — is handed to the detector before the tick, so it counts as nobody's
   * silence. At least, not at most: when within the period it froze is unknown, and excusing the
   * whole time since the previous tick would, on a hub late at every tick, never let a silent probe
   * be found. What is left (up to a period) is covered by the silence threshold being longer than
   * a period plus a heartbeat. The samples queued in the sockets meanwhile are taken as they come,
   * before or after this tick: remote probes measured them unfrozen.
   */
  private timerTick(periodMs: number): void {
    const now = this.monotonic();
    const late = now - (this.lastTimerTick ?? now) - periodMs;
    this.lastTimerTick = now;
    if (late > this.detector.ctx.settings.hubStallMs) {
      this.stats.stalls++;
      this.stats.stalledMs += late;
      this.log?.warn({ pausedMs: late }, 'the hub was frozen (its tick fired late): that time is not counted as probe silence');
      this.step({ type: 'resume', pausedMs: late });
    }
    this.tick();
  }

  /**
   * Rolls raw samples older than the raw retention into minutes and prunes old rollups. The range
   * since the previous run is done one minute per transaction, yielding to the event loop between
   * minutes, so detection is never blocked for longer than one minute of history takes to roll up
   * (the first run after start does everything older than the retention at once).
   */
  async compact(): Promise<HubStats['lastCompaction']> {
    if (this.compacting || this.stopped) return undefined;
    this.compacting = true;
    const started = performance.now();
    const now = this.clock();
    const { rawMs, rollupsMs } = this.retention;
    const target = now - rawMs;
    const rollupBefore = now - rollupsMs;
    let rolledUp = 0;
    let prunedRollups = 0;
    try {
      await this.ingestor.flush();
      const steps: number[] = [];
      if (this.compactedBefore !== undefined) for (let b = this.compactedBefore + MINUTE; b < target; b += MINUTE) steps.push(b);
      steps.push(target);
      for (const before of steps) {
        if (this.stopped) break;
        const r = await this.opts.samples.compact(before, rollupBefore);
        rolledUp += r.rolledUp;
        prunedRollups += r.prunedRollups;
        this.compactedBefore = before;
        if (before !== target) await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const result = { at: now, rolledUp, prunedRollups, tookMs: Math.round((performance.now() - started) * 10) / 10 };
      this.stats.compactions++;
      this.stats.lastCompaction = result;
      this.bus.publish('store.compacted', result);
      if (rolledUp > 0 || prunedRollups > 0) this.log?.info(result, 'compacted sample history');
      return result;
    } catch (err) {
      this.log?.error({ err }, 'compaction failed; retrying at the next period');
      return undefined;
    } finally {
      this.compacting = false;
    }
  }

  /** Stops the timers, writes every queued sample and waits for the incident writes. Does not close the store (its owner does). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.compactTimer) clearInterval(this.compactTimer);
    try {
      await this.ingestor.flush();
    } finally {
      await this.incidents.settled();
    }
  }

  private scheduleCompaction(): void {
    if (this.compactEveryMs <= 0) return;
    this.compactTimer = setInterval(() => void this.compact(), this.compactEveryMs);
    this.compactTimer.unref?.();
  }

  /** Resolves the open incidents of the streams and lines in `before` that `after` no longer has. */
  private resolveRemoved(before: ReadonlyMap<string, StreamConfig>, after: ReadonlyMap<string, StreamConfig>, now: number): void {
    for (const inc of this.incidents.open()) {
      if (inc.stream === undefined) continue;
      const was = before.get(inc.stream);
      if (!was) continue;
      const is = after.get(inc.stream);
      let what: string;
      if (!is) what = `stream "${inc.stream}"`;
      else if (inc.line !== undefined && inc.line in was.lines && !(inc.line in is.lines)) what = `line "${inc.line}" of stream "${inc.stream}"`;
      else continue;
      const retired = this.opts.retirementOf?.(inc.stream);
      const input = retired
        ? { type: 'resolve' as const, by: retired.by, cause: 'retired' as const, note: `${what} was retired: ${retired.reason}` }
        : { type: 'resolve' as const, by: 'config', cause: 'removed-from-config' as const, note: `${what} was removed from the config` };
      try {
        this.incidents.act(inc.id, input, now);
      } catch (err) {
        this.log?.error({ err, incident: inc.id }, 'resolving an incident of a removed stream failed');
      }
    }
  }

  private onSample(sample: Sample): void {
    if (this.bus.has('sample')) this.bus.publish('sample', sample);
    if (this.adopting.has(sample.stream) || !this.ownership.owns(sample.stream)) return;
    this.step(sample);
  }

  private step(input: DetectorInput): void {
    const now = this.clock();
    const sample = 'seq' in input && this.bus.has('line.level') ? input : undefined;
    const from = sample && this.viewLevel(sample);
    const events = this.detector.step(input, now);
    const to = sample && this.viewLevel(sample);
    if (sample && to !== undefined && to !== from) this.bus.publish('line.level', { stream: sample.stream, line: sample.line, region: sample.region, probe: sample.probe, ...(from !== undefined && { from }), to, at: now });
    for (const ev of events) this.onEvent(ev, now);
  }

  /** The sample's probe's current view of its line: a level change that opens no incident still changes what a console shows. */
  private viewLevel(s: Sample): Level | undefined {
    return this.detector.state.probes.get(s.probe)?.views.get(s.stream)?.get(s.line)?.level;
  }

  private onEvent(ev: IncidentEvent, now: number): void {
    // A probe's own incident: the detector sees the probe on every hub it reports to; one raises it.
    if (ev.stream === undefined && ev.probe !== undefined && !this.ownership.owns(ownedStreamOf(ev)!)) return;
    this.stats.detectorEvents++;
    this.bus.publish('detector.event', ev);
    this.incidents.onDetectorEvent(ev, now);
  }

  private async onsetSamples(v: OnsetView, count: number): Promise<Sample[]> {
    try {
      await this.ingestor.flush();
    } catch {
      // the store is failing; whatever is stored is still worth reading
    }
    const from = v.onset - (count + 5) * v.windowMs;
    const rows = await this.opts.samples.samples({ stream: v.stream, line: v.line, region: v.region, from, to: v.onset + 1 });
    return rows.filter((s) => s.probe === v.probe).slice(-count);
  }
}
