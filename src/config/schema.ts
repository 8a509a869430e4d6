import { z } from 'zod';
import { durationSchema } from '../model/duration.ts';
import { DEFAULT_STATEMENT_TIMEOUT_MS } from '../store/postgres/session.ts';
import { ControlConfigSchema } from '../control/config-schema.ts';
import { ticketsConfigShape } from '../tickets/config-schema.ts';
import { DetectorSettingsSchema, RulesConfigSchema } from '../detect/rules-schema.ts';
import { REOPEN_WINDOW_MS } from '../incidents/lifecycle.ts';
import { envNameSchema, idSchema as id } from '../model/ids.ts';
import { CONTENT_MODES, StreamSchema } from '../model/stream.ts';
import { ContentThresholdsSchema, DEFAULT_CONTENT_THRESHOLDS } from '../model/content-thresholds.ts';
import { ProbeHealthThresholdsSchema } from '../model/probe-health.ts';
import { DEFAULT_SHARD_COUNT, MAX_SHARD_COUNT, NATS_SERVERS } from '../model/shard.ts';
import { DiscoveryConfigSchema } from '../discovery/config-schema.ts';
import { ClusterConfigSchema, refuseClusterConflicts } from '../cluster/config-schema.ts';


export const ProbeSettingsSchema = z.strictObject({
  windowMs: z.number().int().min(200).max(60_000).default(1000),
  decode: z.boolean().default(false),
  /** Content checks of every line without its own `content` (`full`, `light`, `off`; see StreamSchema). */
  content: z.enum(CONTENT_MODES).default('off'),
  /** When the content checks call a picture black or the sound silent (defaults and why: src/model/content-thresholds.ts). */
  contentThresholds: ContentThresholdsSchema.default(DEFAULT_CONTENT_THRESHOLDS),
  /**
   * Regions the hub's embedded probe watches from, one probe worker each (usually one: the
   * hub's own region; the lab demo simulates several). Remote probes name their own.
   */
  /** Default: the first of the config's `regions`, or `local`. */
  regions: z.array(id).min(1).optional(),
  /** Run the hub's in-process probes (`probe.regions`). false = only remote probes report (see `uplink`). */
  embedded: z.boolean().default(true),
  /**
   * When a probe marks a window's Sample `impaired` (it could not trust its own measurement): for
   * the embedded probes, and sent to remote probes with their assignment.
   */
  health: ProbeHealthThresholdsSchema.default(ProbeHealthThresholdsSchema.parse({})),
});

const LIGHT_WITH_DECODE = 'content: light cannot go with decode: true (decode already decodes every frame): use content: full, or decode: false';

/** A web origin: `http(s)://host[:port]`, nothing after it. */
const originSchema = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === s.replace(/\/$/, '');
  } catch {
    return false;
  }
}, 'must be an origin: http(s)://host[:port], without a path, query or user').transform((s) => new URL(s).origin);

export const HubSchema = z.strictObject({
  listen: z
    .string()
    .regex(/^[^:\s]+:\d{1,5}$/, 'must be HOST:PORT')
    .default('127.0.0.1:8080'),
  dataDir: z.string().min(1).default('./data'),
  /** Serve the API and the probe uplink over TLS (https + wss). PEM files. */
  tls: z.strictObject({ certFile: z.string().min(1), keyFile: z.string().min(1) }).optional(),
  /**
   * Web origins besides the hub's own whose pages may send commands and open /ws and /preview
   * (a console served elsewhere, e.g. `https://console.example.com`). Browsers name their page's
   * origin in `Origin`; any other is refused with 403 (docs/operations.md, security model).
   */
  allowedOrigins: z.array(originSchema).default([]),
});

const envName = envNameSchema;

/**
 * Remote probes (`streamguard probe --hub ws://HUB/probes`): one token per probe, read from an
 * environment variable at hub start (never from the file). The token names the probe and binds it
 * to a region; a probe can only report samples and heartbeats. docs/probe-protocol.md.
 */
export const NatsUplinkSchema = z
  .strictObject({
    /** nats://host:port, comma-separated for several servers. */
    url: z.string().regex(NATS_SERVERS, 'expected nats://host:port (comma-separated for several)'),
    /** Must equal the probes' --nats-shards. */
    shardCount: z.number().int().min(1).max(MAX_SHARD_COUNT).default(DEFAULT_SHARD_COUNT),
    /** `all`, or the shard numbers this hub consumes; a cluster's shard leases decide instead (it must stay `all` there). */
    shards: z.union([z.literal('all'), z.array(z.number().int().nonnegative()).min(1)]).default('all'),
    /** A message not acked within this is delivered again (to this hub, or to the shard's next owner). */
    ackWaitMs: z.number().int().min(1000).max(600_000).default(30_000),
    /**
     * The JetStream stream of samples the hubs declare (every hub of a deployment the same): its
     * copies on a NATS cluster (1: lost with its server; 3 or 5 ride out one or two), and how much of
     * what the hubs have not consumed it keeps while they are down, the oldest dropped first.
     */
    stream: z
      .strictObject({
        replicas: z.union([z.literal(1), z.literal(3), z.literal(5)], { error: 'must be 1, 3 or 5 (copies on a NATS cluster)' }).default(1),
        maxBytes: z.number().int().min(16 * 1024 ** 2).default(2 * 1024 ** 3),
        maxAge: durationSchema.pipe(z.number().min(60_000, 'at least 1m')).default(6 * 3_600_000),
      })
      .default({ replicas: 1, maxBytes: 2 * 1024 ** 3, maxAge: 6 * 3_600_000 }),
  })
  .superRefine((n, ctx) => {
    if (n.shards === 'all') return;
    n.shards.forEach((shard, index) => {
      if (shard >= n.shardCount) ctx.addIssue({ code: 'custom', path: ['shards', index], message: `shard ${shard} is not in 0..${n.shardCount - 1} (shardCount ${n.shardCount})` });
    });
  });

export const UplinkSchema = z.strictObject({
  probes: z.array(z.strictObject({ id, region: id, tokenEnv: envName })).default([]),
  /** Heartbeat both ways; a side silent for 3 heartbeats is dropped (and the probe reported blind). */
  heartbeatMs: z.number().int().min(100).max(60_000).default(1000),
  /** A bigger WebSocket message closes the connection (1009). */
  maxMessageBytes: z.number().int().min(16 * 1024).max(64 * 1024 * 1024).default(1024 * 1024),
  /** Samples also arrive over NATS JetStream (probes started with --nats): the shards this hub consumes. docs/architecture.md "The NATS path". */
  nats: NatsUplinkSchema.optional(),
});

export { durationSchema } from '../model/duration.ts';

/**
 * Operator API auth (`/ws` and the REST API, docs/ws-api.md): one token per person or tool, read
 * from an environment variable at hub start (never from the file). `viewer` reads, `operator`
 * also acts. With no tokens: a loopback listen (127.0.0.1, ::1, localhost) runs open (everyone is
 * an operator named "anonymous", with a warning); any other listen refuses /ws and every command.
 */
export const AuthSchema = z.strictObject({
  tokens: z.array(z.strictObject({ name: z.string().min(1).max(64), role: z.enum(['viewer', 'operator']), tokenEnv: envName })).default([]),
});


/** Sample history: raw samples for `retention.raw`, then per-minute rollups for `retention.rollups`. */
export const StoreSettingsSchema = z.strictObject({
  retention: z
    .strictObject({
      raw: durationSchema.default(6 * 3_600_000),
      rollups: durationSchema.default(30 * 86_400_000),
    })
    .default({ raw: 6 * 3_600_000, rollups: 30 * 86_400_000 }),
  /** How often the hub rolls up and prunes history in the background. */
  compactEvery: durationSchema.default(5 * 60_000),
  /**
   * Keep the store on a PostgreSQL server instead of the SQLite files in hub.dataDir (the shared
   * store of a cluster of hubs, docs/operations.md). The URL, with its credentials, is read from
   * the environment variable named (`postgres://user:password@host:5432/streamguard`), never from
   * the file. A statement running longer than `statementTimeout` is cancelled by the server (and
   * retried as any failed write is), so one hung statement cannot stop the store. Needs a restart
   * to change.
   */
  postgres: z.strictObject({ urlEnv: envName, statementTimeout: durationSchema.default(DEFAULT_STATEMENT_TIMEOUT_MS) }).optional(),
});

/**
 * Which streams get their own series on /metrics (docs/operations.md "Metrics and dashboards"):
 * `all`, every stream this hub owns; `problems`, only those with an open incident or a line
 * degraded or down from some region; `none`, no per-stream series, only the aggregates (streams
 * by state, incidents by severity, samples by region, the delay histograms). At 50,000 streams
 * `all` is millions of series per hub: `problems` or `none` keep a scrape small.
 */
export const PER_STREAM_MODES = ['all', 'problems', 'none'] as const;
export type PerStream = (typeof PER_STREAM_MODES)[number];
export const MetricsSettingsSchema = z.strictObject({ perStream: z.enum(PER_STREAM_MODES).default('all') });

export const IncidentSettingsSchema = z.strictObject({
  /**
   * A relapse within this time after an incident resolved reopens it instead of opening a new one
   * (REOPEN_WINDOW_MS, 2 min: a later fault is a new fault, with its own incident and ticket).
   */
  reopenWindow: durationSchema.default(REOPEN_WINDOW_MS),
});

/** A region listed twice would probe (and count) it twice; say which entry repeats which. */
function refuseDuplicateRegions(list: readonly string[] | undefined, path: string[], ctx: z.RefinementCtx): void {
  const first = new Map<string, number>();
  list?.forEach((region, index) => {
    const at = first.get(region);
    if (at !== undefined) ctx.addIssue({ code: 'custom', path: [...path, index], message: `duplicate region "${region}" (first at ${path.join('.')}[${at}])` });
    else first.set(region, index);
  });
}

/** Whether `config[key]` is a non-empty list (read on a config that may not have validated). */
function hasEntries(config: unknown, key: 'streams' | 'discovery'): boolean {
  const list = (config as Record<string, unknown> | null)?.[key];
  return Array.isArray(list) && list.length > 0;
}

export const ConfigSchema = z
  .strictObject({
    hub: HubSchema.default(HubSchema.parse({})),
    probe: ProbeSettingsSchema.default(ProbeSettingsSchema.parse({})),
    /** Every region probes may report from; defaults to the embedded probe's regions. */
    regions: z.array(id).min(1).optional(),
    /** The streams of the file; run-time changes overlay them (src/config/stream-overlay.ts). */
    streams: z.array(StreamSchema).default([]),
    /** Media servers whose published streams come and go at run time (src/discovery). */
    discovery: DiscoveryConfigSchema,
    /** Detection rule overrides by rule name, merged onto DEFAULT_RULES (src/detect/README.md). */
    rules: RulesConfigSchema,
    /** Grading and probe-watch settings (blip time, heartbeat, all-failing checks, baselines). */
    detector: DetectorSettingsSchema.default(DetectorSettingsSchema.parse({})),
    store: StoreSettingsSchema.default(StoreSettingsSchema.parse({})),
    incidents: IncidentSettingsSchema.default(IncidentSettingsSchema.parse({})),
    uplink: UplinkSchema.default(UplinkSchema.parse({})),
    /** Which streams get their own series on /metrics. */
    metrics: MetricsSettingsSchema.default(MetricsSettingsSchema.parse({})),
    /** Operator API tokens and roles (docs/ws-api.md). */
    auth: AuthSchema.default(AuthSchema.parse({})),
    /** Failover, failback, features and actuators (docs/control.md). */
    control: ControlConfigSchema.default(ControlConfigSchema.parse({})),
    /** Vendors (ticket desks, PagerDuty, IM, email), SLA escalation and incident roles (docs/tickets.md). */
    ...ticketsConfigShape,
    /** Several hubs sharing the streams by shard (src/cluster); absent: this hub runs alone. */
    cluster: ClusterConfigSchema.optional(),
  })
  .superRefine((config, ctx) => {
    const sources = new Map<string, number>();
    config.discovery.forEach((d, index) => {
      const first = sources.get(d.name);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['discovery', index, 'name'], message: `duplicate discovery source "${d.name}" (first at discovery[${first}])` });
      else sources.set(d.name, index);
    });
    refuseDuplicateRegions(config.regions, ['regions'], ctx);
    refuseDuplicateRegions(config.probe.regions, ['probe', 'regions'], ctx);
    const regions = new Set(config.regions ?? config.probe.regions ?? ['local']);
    const known = [...regions].join(', ');
    config.probe.regions?.forEach((region, index) => {
      if (!regions.has(region)) ctx.addIssue({ code: 'custom', path: ['probe', 'regions', index], message: `unknown region "${region}" (regions: ${known})` });
    });
    config.streams.forEach((stream, s) => {
      for (const [line, { regionUrls, decode, content }] of Object.entries(stream.lines)) {
        for (const region of Object.keys(regionUrls ?? {})) {
          if (!regions.has(region)) ctx.addIssue({ code: 'custom', path: ['streams', s, 'lines', line, 'regionUrls', region], message: `unknown region "${region}" (regions: ${known})` });
        }
        // Light content checks beside a full decode would be a second, redundant decoder. The
        // probe-wide pair is reported once, below; a line is reported where it sets either.
        const light = (content ?? config.probe.content) === 'light' && (decode ?? config.probe.decode);
        if (light && (content !== undefined || decode !== undefined)) {
          ctx.addIssue({ code: 'custom', path: ['streams', s, 'lines', line, content !== undefined ? 'content' : 'decode'], message: LIGHT_WITH_DECODE });
        }
      }
    });
    if (config.probe.decode && config.probe.content === 'light') ctx.addIssue({ code: 'custom', path: ['probe', 'content'], message: LIGHT_WITH_DECODE });
    const probeIds = new Map<string, number>();
    config.uplink.probes.forEach((p, index) => {
      if (!regions.has(p.region)) ctx.addIssue({ code: 'custom', path: ['uplink', 'probes', index, 'region'], message: `unknown region "${p.region}" (regions: ${known})` });
      if (p.id.startsWith('hub-')) ctx.addIssue({ code: 'custom', path: ['uplink', 'probes', index, 'id'], message: `"hub-…" names the hub's embedded probes; pick another id` });
      const first = probeIds.get(p.id);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['uplink', 'probes', index, 'id'], message: `duplicate probe id "${p.id}" (first at uplink.probes[${first}])` });
      else probeIds.set(p.id, index);
    });
    const tokenNames = new Map<string, number>();
    config.auth.tokens.forEach((t, index) => {
      const first = tokenNames.get(t.name);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['auth', 'tokens', index, 'name'], message: `duplicate token name "${t.name}" (first at auth.tokens[${first}])` });
      else tokenNames.set(t.name, index);
    });
    const vendors = new Set(config.vendors.map((v) => v.name));
    config.escalation.chain.forEach((step, i) => {
      if (!vendors.has(step.channel)) ctx.addIssue({ code: 'custom', path: ['escalation', 'chain', i, 'channel'], message: `no vendor named "${step.channel}"` });
    });
    refuseClusterConflicts(config, ctx);
    const seen = new Map<string, number>();
    config.streams.forEach((stream, index) => {
      const first = seen.get(stream.id);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['streams', index, 'id'], message: `duplicate stream id "${stream.id}" (first at streams[${first}])` });
      } else {
        seen.set(stream.id, index);
      }
    });
  })
  // Reported with the other errors of the file, not only once the rest is valid.
  .refine((config) => hasEntries(config, 'streams') || hasEntries(config, 'discovery'), { path: ['streams'], message: 'at least one stream is required (or a discovery source)', when: () => true })
  .transform((config) => {
    const probeRegions = config.probe.regions ?? [config.regions?.[0] ?? 'local'];
    return { ...config, probe: { ...config.probe, regions: probeRegions }, regions: config.regions ?? probeRegions };
  });

export type Config = z.infer<typeof ConfigSchema>;
