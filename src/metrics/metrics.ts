import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Config, PerStream } from '../config/schema.ts';
import type { Controller } from '../control/controller.ts';
import type { TicketService } from '../tickets/service.ts';
import { LEVEL_RANK, SEVERITY_RANK, type Level, type Severity } from '../model/severity.ts';
import type { Incident } from '../model/incident.ts';
import { ProbeImpairmentSchema, type ProbeImpairment, type Sample } from '../model/sample.ts';
import type { EventBus } from '../common/event-bus.ts';
import type { Commit } from '../common/reload.ts';
import { soleOwnership, type Ownership } from '../cluster/ownership.ts';
import { registerClusterMetrics, type ClusterStatus } from './cluster-status.ts';
import { STREAM_STATES, selectStreams, type StreamSelection } from './stream-selection.ts';

const P = 'streamguard_';

/** The per-sample gauges, by the key their latest value is kept under in a view. */
const SAMPLE_GAUGES = {
  up: ['probe_up', '1 when the probe sees the line connected'],
  startup: ['startup_seconds', 'connect to first decodable video frame, last (re)connect'],
  latency: ['latency_seconds', 'live latency (HLS PROGRAM-DATE-TIME)'],
  fps: ['fps', 'video frames per second'],
  bitrate: ['bitrate_bps', 'received bits per second'],
  stall: ['stall_ratio', 'share of the last window without new media'],
  skew: ['av_skew_seconds', 'audio minus video timestamp at the same arrival (container)'],
  sync: ['av_sync_seconds', 'content A/V sync from markers, BT.1359 sign (+ audio leads)'],
  black: ['black_ratio', 'share of the last window showing a near-black picture (content checks)'],
  silence: ['silence_ratio', 'share of the last window with audio below -60 dBFS (content checks)'],
  loudness: ['loudness_lufs', 'EBU R128 short-term loudness at the end of the last window (content checks)'],
  truePeak: ['true_peak_dbtp', 'highest true peak in the last window (content checks)'],
} as const;
type SampleGauge = keyof typeof SAMPLE_GAUGES;

/** One (stream, line, region): its labels and latest values, handed to prom-client at scrape time. */
interface View {
  labels: { stream: string; line: string; region: string };
  last: Partial<Record<SampleGauge, number>>;
  freezeSeconds: number;
}
const VIEW = ['stream', 'line', 'region'] as const;

/** What the metrics read of the hub: its events, its open incidents, the detector's views and probes, its stalls, at scrape time. */
export interface MetricsHub {
  bus: Pick<EventBus, 'on'>;
  incidents: { open(): readonly Pick<Incident, 'severity' | 'stream' | 'probe'>[] };
  /** The current level of every probe's view of each line of a stream. */
  lineViews(stream: string): readonly { line: string; region: string; level: Level }[];
  /** Every probe the detector knows, with its impairment reason while an episode lasts. */
  probeStatus(): readonly { probe: string; impaired?: ProbeImpairment }[];
  /** The hub's own stalls (src/app/hub.ts). */
  stats: { stalls: number; stalledMs: number };
}

/** The streams (with their lines), regions and probes (id → region) the labels may name, and which streams get series. */
interface Known {
  streams: Map<string, Set<string>>;
  regions: Set<string>;
  probes: Map<string, string>;
  perStream: PerStream;
}

const IMPAIRMENTS = ProbeImpairmentSchema.options;
/** What of the config the label sets follow. */
type LabelConfig = Pick<Config, 'streams' | 'regions' | 'probe' | 'uplink' | 'metrics'>;

export interface HubMetricsOptions {
  /** Which streams are this hub's to export (default: every stream, a lone hub). */
  ownership?: Ownership;
}

/** Before the first scrape: nothing selected. */
const NO_SELECTION: StreamSelection = { exported: () => false, lineHealth: [], states: { ok: 0, degraded: 0, down: 0, unknown: 0 } };

/**
 * The Prometheus metrics of docs/architecture.md. Label values come only from the config (streams,
 * their lines, regions): a sample naming anything else is not exported, so cardinality stays
 * bounded at streams × lines × regions whatever probes send. Never URLs or errors in labels.
 * Per-stream series are those of the streams this hub owns (`ownership`: in a cluster every stream
 * is exported by one hub, so sums over the hubs count it once), as far as `metrics.perStream` lets.
 */
export class HubMetrics {
  readonly registry = new Registry();
  private known: Known;
  private readonly regionSamples = new Map<string, number>();
  /** Impaired samples of known probes, by probe → reason. */
  private readonly impairedSamples = new Map<string, Map<ProbeImpairment, number>>();
  /** Every view, for scrapes. */
  private readonly views: View[] = [];
  /** The same views by stream → line → region: a sample finds its view without building a key string (≈ 5 % of the hub's CPU at 50k samples/s). */
  private readonly viewsByStream = new Map<string, Map<string, Map<string, View>>>();
  private readonly detectionDelay;
  private readonly reloadSuccessful: Gauge;
  private readonly reloadSuccessAt: Gauge;
  private readonly ownership: Ownership;
  /** Which streams the scrape under way exports (taken once per scrape, by `text`). */
  private selection = NO_SELECTION;

  constructor(
    config: LabelConfig,
    private readonly hub: MetricsHub,
    o: HubMetricsOptions = {},
  ) {
    this.ownership = o.ownership ?? soleOwnership;
    this.known = knownOf(config);
    const r = [this.registry];
    // Prometheus' own names for the same signal (prometheus_config_last_reload_*).
    this.reloadSuccessful = new Gauge({ name: `${P}config_last_reload_successful`, help: '1 when the last config reload succeeded, 0 when it failed (the running config was kept)', registers: r });
    this.reloadSuccessAt = new Gauge({ name: `${P}config_last_reload_success_timestamp_seconds`, help: 'time of the last successful config load (the hub start, then each reload taken)', registers: r });
    // Samples only update plain numbers; prom-client sees them at scrape time. Its labelled
    // children hash their labels on every set(), which cost ≈ 17 % of the hub's CPU at
    // 50,000 samples/s (bench/RESULTS.md, Uplink); a scrape every few seconds costs far less.
    const views = this.views;
    const exported = (v: View) => this.selection.exported(v.labels.stream);
    for (const [key, [name, help]] of Object.entries(SAMPLE_GAUGES) as [SampleGauge, readonly [string, string]][]) {
      new Gauge({
        name: P + name,
        help,
        labelNames: VIEW,
        registers: r,
        collect() {
          // Reset: a view a reload removed must not linger with its last value.
          this.reset();
          for (const v of views) {
            const value = v.last[key];
            if (value !== undefined && exported(v)) this.set(v.labels, value);
          }
        },
      });
    }
    new Counter({
      name: `${P}freeze_seconds_total`,
      help: 'time showing a frozen picture',
      labelNames: VIEW,
      registers: r,
      collect() {
        this.reset();
        for (const v of views) if (v.freezeSeconds > 0 && exported(v)) this.inc(v.labels, v.freezeSeconds);
      },
    });
    const regionSamples = this.regionSamples;
    for (const region of this.known.regions) regionSamples.set(region, 0);
    new Counter({
      name: `${P}samples_total`,
      help: 'samples received',
      labelNames: ['region'],
      registers: r,
      collect() {
        this.reset();
        for (const [region, n] of regionSamples) this.inc({ region }, n);
      },
    });
    this.detectionDelay = new Histogram({
      name: `${P}detection_delay_seconds`,
      help: 'fault onset to incident open',
      buckets: [0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30, 60],
      registers: r,
    });
    // Evaluated at scrape time from the hub's own state: always current, nothing to keep in sync.
    const selection = () => this.selection;
    const openIncidents = () => this.ownedIncidents();
    new Gauge({
      name: `${P}line_health`,
      help: 'worst view of the line per region: 0 ok, 1 degraded, 2 down',
      labelNames: VIEW,
      registers: r,
      collect() {
        this.reset();
        for (const { stream, line, region, level } of selection().lineHealth) this.set({ stream, line, region }, LEVEL_RANK[level]);
      },
    });
    new Gauge({
      name: `${P}streams`,
      help: 'streams this hub watches by state: down (every line down from some region), degraded (some line degraded or down), ok, unknown (no sample yet)',
      labelNames: ['state'],
      registers: r,
      collect() {
        const states = selection().states;
        for (const state of STREAM_STATES) this.set({ state }, states[state]);
      },
    });
    new Gauge({
      name: `${P}incidents_open`,
      help: 'open incidents by severity',
      labelNames: ['severity'],
      registers: r,
      collect() {
        const counts: Record<Severity, number> = { P0: 0, P1: 0, P2: 0, P3: 0 };
        for (const inc of openIncidents()) if (inc.severity in SEVERITY_RANK) counts[inc.severity as Severity]++;
        for (const [severity, n] of Object.entries(counts)) this.set({ severity }, n);
      },
    });
    const known = () => this.known;
    const probeStatus = () => this.hub.probeStatus();
    new Gauge({
      name: `${P}probe_impaired`,
      help: '1 for the reason a probe gave while it cannot trust its own measurements (its impairment episode), 0 for the others',
      labelNames: ['probe', 'region', 'reason'],
      registers: r,
      collect() {
        this.reset();
        const probes = known().probes;
        for (const p of probeStatus()) {
          const region = probes.get(p.probe);
          if (region === undefined) continue;
          for (const reason of IMPAIRMENTS) this.set({ probe: p.probe, region, reason }, p.impaired === reason ? 1 : 0);
        }
      },
    });
    const impairedSamples = this.impairedSamples;
    new Counter({
      name: `${P}probe_impaired_samples_total`,
      help: 'samples a probe marked as measured while it could not trust itself (not evaluated by the detector)',
      labelNames: ['probe', 'region', 'reason'],
      registers: r,
      collect() {
        this.reset();
        const probes = known().probes;
        for (const [probe, byReason] of impairedSamples) {
          const region = probes.get(probe);
          if (region === undefined) continue;
          for (const [reason, n] of byReason) this.inc({ probe, region, reason }, n);
        }
      },
    });
    const stats = () => this.hub.stats;
    new Counter({
      name: `${P}hub_stalls_total`,
      help: 'times the hub found itself frozen (its tick late by more than detector.hubStallMs: GC pause, VM steal, SIGSTOP)',
      registers: r,
      collect() {
        this.reset();
        this.inc(stats().stalls);
      },
    });
    new Counter({
      name: `${P}hub_stalled_seconds_total`,
      help: 'time the hub lost to its stalls (at least; not counted as probe silence)',
      registers: r,
      collect() {
        this.reset();
        this.inc(stats().stalledMs / 1000);
      },
    });
    collectDefaultMetrics({ register: this.registry });

    hub.bus.on('sample', (s) => this.observe(s));
    hub.bus.on('incident.opened', (c) => {
      if (c.detectionDelayMs !== undefined) this.detectionDelay.observe(c.detectionDelayMs / 1000);
    });
  }

  /**
   * The controller's numbers, read at scrape time: active line, feature flags and failovers; and
   * the fault-onset → action-done histogram it observes into (`streamguard_action_delay_seconds`).
   */
  attachController(controller: Pick<Controller, 'metrics' | 'actionDelay'>): void {
    const r = [this.registry];
    const read = () => controller.metrics();
    const exported = (stream: string) => this.selection.exported(stream);
    const owns = (stream: string) => this.ownership.owns(stream);
    const perStream = () => this.known.perStream;
    new Gauge({
      name: `${P}active_line`,
      help: '1 on the line the stream is served from',
      labelNames: ['stream', 'line'],
      registers: r,
      collect() {
        this.reset();
        for (const { stream, line } of read().activeLine) if (exported(stream)) this.set({ stream, line }, 1);
      },
    });
    new Gauge({
      name: `${P}feature_enabled`,
      help: '1 when the feature module is on for the stream',
      labelNames: ['stream', 'feature'],
      registers: r,
      collect() {
        this.reset();
        for (const f of read().featureEnabled) if (exported(f.stream)) this.set({ stream: f.stream, feature: f.feature }, f.enabled ? 1 : 0);
      },
    });
    new Counter({
      name: `${P}failovers_total`,
      help: 'line switches (failover, failback, manual); by stream only with metrics.perStream all',
      labelNames: ['stream', 'from', 'to', 'reason'],
      registers: r,
      collect() {
        this.reset();
        // A counter must not come and go with its stream's problems (rate() would lose its
        // increases): unless every stream is exported, the streams' switches are summed.
        const byStream = perStream() === 'all';
        for (const f of read().failoversTotal) {
          if (!owns(f.stream)) continue;
          this.inc(byStream ? { stream: f.stream, from: f.from, to: f.to, reason: f.reason } : { from: f.from, to: f.to, reason: f.reason }, f.value);
        }
      },
    });
    this.registry.registerMetric(controller.actionDelay);
  }

  /** The cluster series: shards owned, their lease epochs, takeovers, fenced writes (a hub of a cluster only). */
  attachCluster(status: ClusterStatus): void {
    registerClusterMetrics(this.registry, status);
  }

  /** Samples the probe uplink refused, by region and reason (both from bounded sets: the config, SAMPLE_REFUSALS). */
  attachUplink(uplink: { refusals(): readonly { region: string; reason: string; count: number }[] }): void {
    new Counter({
      name: `${P}samples_refused_total`,
      help: 'remote probe samples refused (malformed, out_of_range, not_itself, unassigned, clock)',
      labelNames: ['region', 'reason'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const { region, reason, count } of uplink.refusals()) this.inc({ region, reason }, count);
      },
    });
  }

  /** The store's WAL files against their bounds (src/store/sqlite/wal-guard.ts), read at scrape time. */
  attachStoreWal(store: { walFiles(): readonly { file: string; walBytes: number; boundBytes: number }[] }): void {
    const r = [this.registry];
    new Gauge({
      name: `${P}store_wal_bytes`,
      help: "size of a store file's WAL (file: hub, inbox, history)",
      labelNames: ['file'],
      registers: r,
      collect() {
        for (const w of store.walFiles()) this.set({ file: w.file }, w.walBytes);
      },
    });
    new Gauge({
      name: `${P}store_wal_bound_bytes`,
      help: "the bound a store file's WAL stays below unless a reader holds it (docs/operations.md)",
      labelNames: ['file'],
      registers: r,
      collect() {
        for (const w of store.walFiles()) this.set({ file: w.file }, w.boundBytes);
      },
    });
  }

  /**
   * tickets_total{vendor,severity}, and the SLA signal: an escalation step runs only when a vendor
   * missed its response target, so any increase of sla_escalations_total is an SLA breach.
   */
  attachTickets(tickets: TicketService): void {
    const read = () => tickets.metrics();
    new Counter({
      name: `${P}sla_escalations_total`,
      help: 'escalation steps run because a vendor missed its response target',
      registers: [this.registry],
      async collect() {
        this.reset();
        this.inc((await read()).escalationsTotal);
      },
    });
    new Counter({
      name: `${P}vendor_acks_total`,
      help: 'vendor acknowledgements received',
      registers: [this.registry],
      async collect() {
        this.reset();
        this.inc((await read()).vendorAcksTotal);
      },
    });
    new Counter({
      name: `${P}tickets_total`,
      help: 'vendor tickets opened',
      labelNames: ['vendor', 'severity'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const t of (await read()).ticketsTotal) this.inc({ vendor: t.vendor, severity: t.severity }, t.value);
      },
    });
  }

  /** A config load's outcome (the hub start, then every reload): `ok` false keeps the last success time. */
  configLoaded(ok: boolean, at: number): void {
    this.reloadSuccessful.set(ok ? 1 : 0);
    if (ok) this.reloadSuccessAt.set(at / 1000);
  }

  /**
   * A config reload: the label sets follow the new streams, lines and regions from the commit on;
   * the series of those that left are gone (a stream added back starts afresh).
   */
  prepareReload(config: LabelConfig): Commit {
    const next = knownOf(config);
    return () => {
      this.known = next;
      const keep = (v: View) => next.streams.get(v.labels.stream)?.has(v.labels.line) === true && next.regions.has(v.labels.region);
      const kept = this.views.filter(keep);
      this.views.splice(0, this.views.length, ...kept);
      for (const [stream, byLine] of this.viewsByStream) {
        for (const [line, byRegion] of byLine) {
          for (const [region, v] of byRegion) if (!keep(v)) byRegion.delete(region);
          if (byRegion.size === 0) byLine.delete(line);
        }
        if (byLine.size === 0) this.viewsByStream.delete(stream);
      }
      for (const region of this.regionSamples.keys()) if (!next.regions.has(region)) this.regionSamples.delete(region);
      for (const region of next.regions) if (!this.regionSamples.has(region)) this.regionSamples.set(region, 0);
      for (const probe of this.impairedSamples.keys()) if (!next.probes.has(probe)) this.impairedSamples.delete(probe);
    };
  }

  /** Text exposition for a scrape. */
  async text(): Promise<string> {
    const known = this.known;
    const withIncident = new Set<string>();
    for (const inc of this.hub.incidents.open()) if (inc.stream !== undefined) withIncident.add(inc.stream);
    this.selection = selectStreams({
      mode: known.perStream,
      ownership: this.ownership,
      streams: known.streams,
      regions: known.regions,
      lineViews: (stream) => this.hub.lineViews(stream),
      withIncident,
    });
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private observe(s: Sample): void {
    const n = this.regionSamples.get(s.region);
    if (n === undefined) return;
    this.regionSamples.set(s.region, n + 1);
    if (s.impaired !== undefined) this.countImpaired(s.probe, s.impaired);
    const v = this.view(s);
    if (!v) return;
    const last = v.last;
    last.up = s.connected ? 1 : 0;
    last.fps = s.fps;
    last.bitrate = s.bitrateBps;
    last.stall = Math.min(1, s.stallMs / s.windowMs);
    if (s.startupMs !== undefined) last.startup = s.startupMs / 1000;
    if (s.latencyMs !== undefined) last.latency = s.latencyMs / 1000;
    if (s.avSkewMs !== undefined) last.skew = s.avSkewMs / 1000;
    if (s.avSyncMs !== undefined) last.sync = s.avSyncMs / 1000;
    if (s.blackMs !== undefined) last.black = Math.min(1, s.blackMs / s.windowMs);
    if (s.silenceMs !== undefined) last.silence = Math.min(1, s.silenceMs / s.windowMs);
    if (s.loudnessLufs !== undefined) last.loudness = s.loudnessLufs;
    if (s.truePeakDbtp !== undefined) last.truePeak = s.truePeakDbtp;
    if (s.freezeMs > 0) v.freezeSeconds += s.freezeMs / 1000;
  }

  private countImpaired(probe: string, reason: ProbeImpairment): void {
    if (!this.known.probes.has(probe)) return;
    let byReason = this.impairedSamples.get(probe);
    if (!byReason) this.impairedSamples.set(probe, (byReason = new Map()));
    byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
  }

  /** The view of a (stream, line, region) the config knows, made on its first sample. */
  private view(s: Sample): View | undefined {
    let v = this.viewsByStream.get(s.stream)?.get(s.line)?.get(s.region);
    if (v) return v;
    if (!this.known.streams.get(s.stream)?.has(s.line)) return undefined;
    v = { labels: { stream: s.stream, line: s.line, region: s.region }, last: {}, freezeSeconds: 0 };
    this.views.push(v);
    let byLine = this.viewsByStream.get(s.stream);
    if (!byLine) this.viewsByStream.set(s.stream, (byLine = new Map()));
    let byRegion = byLine.get(s.line);
    if (!byRegion) byLine.set(s.line, (byRegion = new Map()));
    byRegion.set(s.region, v);
    return v;
  }

  /** The open incidents of the streams this hub owns (a probe's incident by its pseudo-stream `probe:<id>`). */
  private ownedIncidents(): ReturnType<MetricsHub['incidents']['open']> {
    const open = this.hub.incidents.open();
    return open.filter((inc) => this.ownership.owns(inc.stream ?? `probe:${inc.probe}`));
  }
}

function knownOf(config: LabelConfig): Known {
  // The probes a label may name: the uplink's (their token binds the region) and the hub's embedded ones.
  const probes = new Map<string, string>(config.uplink.probes.map((p) => [p.id, p.region]));
  if (config.probe.embedded) for (const region of config.probe.regions ?? []) probes.set(`hub-${region}`, region);
  return { streams: new Map(config.streams.map((s) => [s.id, new Set(Object.keys(s.lines))])), regions: new Set(config.regions), probes, perStream: config.metrics.perStream };
}
