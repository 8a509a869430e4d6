import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { HubMetrics } from '../metrics/metrics.ts';
import { Controller } from '../control/index.ts';
import { controllerPorts } from './control-ports.ts';
import { TicketService, ticketRoutes, type TicketsConfig } from '../tickets/index.ts';
import { ticketHub } from './ticket-ports.ts';
import { type Config } from '../config/schema.ts';
import { ConfigInvalidError, loadConfig } from '../config/load.ts';
import type { IngestCallOptions, IngestResult } from '../ingest/ingest.ts';
import { log as rootLog, type Logger } from '../common/log.ts';
import type { Store } from '../store/ports.ts';
import { openStore, type OpenedStore } from './open-store.ts';
import { UplinkServer, type UplinkHub } from '../uplink/server.ts';
import type { Sample } from '../model/sample.ts';
import { NatsUplink } from '../uplink/nats-consumer.ts';
import { UPLINK_PATH } from '../model/probe-protocol.ts';
import { Authenticator } from '../auth/auth.ts';
import { OriginPolicy } from '../auth/origin.ts';
import type { CommandContext } from '../ws/commands.ts';
import { clusterDirectory, type ClusterDirectory, type StreamOwners } from '../cluster/directory.ts';
import { Silences } from '../incidents/silences.ts';
import { PREVIEW_PREFIX, PreviewServer } from '../console/preview.ts';
import { WS_PATH, WsApi } from '../ws/server.ts';
import { listen as listenHttp, type Listening } from '../http/index.ts';
import { hubHttpApp } from './http-app.ts';
import { dispatchUpgrades } from './upgrade.ts';
import type { EventBus } from '../common/event-bus.ts';
import { SharedHealth } from '../cluster/shared-health.ts';
import { streamChanges } from './stream-changes.ts';
import { ReloadError, type Commit } from '../common/reload.ts';
import { EmbeddedProbes } from './embedded-probes.ts';
import { Hub, type HubSettings } from './hub.ts';
import { ConfigReloader, reloadPart, type ReloadPart, type ReloadResult } from './reload.ts';
import { RunTimeStreams } from './run-time-streams.ts';
import { Discovery, discoveryHookRoutes } from '../discovery/index.ts';
import { clusterIdentity } from '../cluster/config-schema.ts';
import { LeaseManager } from '../cluster/lease-manager.ts';
import { clusterStreams, LeasedOwnership } from '../cluster/leased-ownership.ts';
import { soleOwnership, type Ownership } from '../cluster/ownership.ts';
import { discoveryStream } from '../cluster/owned-stream.ts';
import { PostgresClusterSession } from '../store/postgres/cluster-session.ts';

export interface StartHubOptions {
  /** Overrides config.hub.dataDir; the database is `<dataDir>/streamguard.db` (unless the config puts the store on PostgreSQL). */
  dataDir?: string;
  /** Overrides config.hub.listen (`HOST:PORT`, port 0 = any free port); false = no API server. */
  listen?: string | false;
  /** Start in-process probes for every stream × line of the config, one per `probe.regions`. Default true. */
  probes?: boolean;
  /** Use this store instead of opening the one the config chooses (the handle then does not close it). */
  store?: Store;
  clock?: () => number;
  /** Tick period (default 1000; 0 = tick by hand with handle.hub.tick()). */
  tickMs?: number;
  logger?: Logger;
  /** Run the controller (failover, features, actuators, /play). Default true. */
  control?: boolean;
  /** Run vendor tickets and SLA escalation. Default true. */
  tickets?: boolean;
  /** Environment for the token and secret variables of auth, remote probes and discovery, and the store's URL variable (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** WebSocket operator API tuning (tests): heartbeat, per-client buffer, message size. */
  ws?: { heartbeatMs?: number; maxBufferedBytes?: number; maxDropped?: number; maxMessageBytes?: number };
  /** Which streams this hub watches and acts on, without a `cluster` section (default: every one); the others' commands go to `owners`. */
  ownership?: Ownership;
  /** Where the streams of the other hubs of a cluster are owned (src/cluster/directory.ts). */
  owners?: StreamOwners;
}

export interface HubHandle {
  hub: Hub;
  bus: EventBus;
  store: Store;
  /** The one entry point for samples; validated unless `{ trusted: true }`. */
  ingest(sample: unknown, opts?: IngestCallOptions): IngestResult;
  /** The remote probe endpoint (`/probes` on the API server; undefined when listen is false). */
  uplink: UplinkServer | undefined;
  /** Samples over NATS JetStream, the shards of `uplink.nats.shards`, or in a cluster those it leases (undefined without `uplink.nats`). */
  nats: NatsUplink | undefined;
  /** This hub as one of a cluster (undefined without `cluster`: it runs alone). */
  cluster: HubCluster | undefined;
  /** Vendor tickets, outbox and SLA escalation (undefined with `tickets: false` or an injected store). */
  tickets: TicketService | undefined;
  /** Failover and feature control (undefined with `control: false`). */
  controller: Controller | undefined;
  /** The operator WebSocket API on `/ws` (undefined when listen is false). */
  ws: WsApi | undefined;
  /** The console's live previews on `/preview/<stream>/<line>` (undefined when listen is false). */
  preview: PreviewServer | undefined;
  /** Active silences (WS pushes; new tickets and SLA escalations of matching incidents). */
  silences: Silences;
  /** The streams added, changed and removed at run time (commands and discovery), overlaid on the file's. */
  streams: RunTimeStreams;
  /** The discovery sources of the config, polled and called back. */
  discovery: Discovery;
  /**
   * Takes a reloaded config file whole, overlaid by the run-time streams (src/config/stream-overlay.ts)
   * — streams, probes, detection, incidents, control, tickets, auth, remote probes, metrics,
   * discovery — or refuses it (src/app/reload.ts: errors at their YAML paths; the
   * restart-only keys hub.listen, hub.dataDir, store.postgres, hub.tls, uplink.nats and cluster) and keeps the running one.
   */
  reload(config: Config): ReloadResult;
  /** Reads and validates a config file, then reload(); a file that does not validate is refused with its errors. */
  reloadFile(file: string): ReloadResult;
  /** The API server (its request listener is the express app of src/app/http-app.ts); undefined when listen is false. */
  server: Listening['server'] | undefined;
  /** Bound API address `HOST:PORT`, and its base URL (undefined when listen is false). */
  address: string | undefined;
  url: string | undefined;
  /** Database file (undefined for an injected store or PostgreSQL). */
  dbFile: string | undefined;
  /** Where the store is, for people: the SQLite file or the PostgreSQL URL without its password (undefined for an injected store). */
  storeLocation: string | undefined;
  /** Stops probes, flushes samples, closes the API server and the store. Idempotent. */
  stop(): Promise<void>;
}

/** A hub of a cluster: its name, where the others reach it, the streams it owns and its shard leases. */
export interface HubCluster {
  hub: string;
  advertiseUrl: string;
  ownership: Ownership;
  leases: LeaseManager;
}

export { DB_FILE } from './open-store.ts';

/**
 * Starts a hub from a validated config: store (SQLite in the data dir, or PostgreSQL; throws
 * StoreOpenError when it is corrupt, locked, unreachable or its URL variable unset), restart recovery, detector ticks and compaction, the REST API, and the
 * in-process probes. Embeddable (the `npm start` demo runs it next to the lab).
 */
export async function startHub(fileConfig: Config, opts: StartHubOptions = {}): Promise<HubHandle> {
  const logger = opts.logger ?? rootLog.child({ component: 'hub' });
  const dataDir = resolve(opts.dataDir ?? fileConfig.hub.dataDir);
  /** The store opened (and closed) here, unless one was injected. */
  const opened: OpenedStore | undefined = opts.store ? undefined : await openStore(fileConfig, { dataDir, env: opts.env ?? process.env, logger: logger.child({ sub: 'store' }) });
  const store: Store = opts.store ?? opened!.store;
  const dbFile = opened?.sqlite?.file;
  let hub: Hub | undefined;
  let http: Listening | undefined;
  let uplink: UplinkServer | undefined;
  let nats: NatsUplink | undefined;
  let controller: Controller | undefined;
  let tickets: TicketService | undefined;
  let ws: WsApi | undefined;
  let preview: PreviewServer | undefined;
  let metrics: HubMetrics | undefined;
  let auth: Authenticator | undefined;
  let probes: EmbeddedProbes | undefined;
  let cluster: HubCluster | undefined;
  let clusterSession: PostgresClusterSession | undefined;
  /** In a cluster: which hub owns each stream, where it listens (the commands for others' streams go there). */
  let directory: ClusterDirectory | undefined;
  /** In a cluster: the silences other hubs set, followed (the owner of an incident's stream must honour them). */
  let followSilences: NodeJS.Timeout | undefined;
  /** In a cluster (a hub on PostgreSQL sharing the streams): the line health of every hub's streams. */
  let sharedHealth: SharedHealth | undefined;
  const clock = opts.clock ?? Date.now;
  const [silences, runTime] = await Promise.all([
    Silences.load(clock, store.silences),
    RunTimeStreams.load({ registry: store.streams, audit: store.audit, clock, logger: logger.child({ sub: 'streams' }) }, fileConfig),
  ]).catch(async (err: unknown) => {
    await opened?.store.close();
    throw err;
  });
  /** The config the hub starts with: the file's streams overlaid by the run-time ones. */
  const config = runTime.startConfig();
  /** The config as last reloaded (the stream ids and configs the API, WS and previews know). */
  let current = config;
  /** In a cluster, the streams follow the shard leases (taken once every part below has subscribed). */
  const leased = config.cluster && new LeasedOwnership({ shardCount: config.uplink.nats!.shardCount, fenceFor: (shard) => cluster?.leases.fenceFor(shard), streams: clusterStreams(config), logger: logger.child({ sub: 'cluster' }) });
  const ownership: Ownership = leased ?? opts.ownership ?? soleOwnership;
  const discovery = new Discovery({ streams: runTime, polls: (source) => ownership.owns(discoveryStream(source)), ...(opts.env && { env: opts.env }), logger: logger.child({ sub: 'discovery' }) });
  /** Starts the discovery sources' polls: once every part of the hub is up. */
  let startDiscovery!: Commit;
  try {
    hub = await new Hub({
      incidents: store.incidents,
      samples: store.samples,
      ...hubSettings(config),
      logger,
      retirementOf: (stream) => runTime.retirementOf(stream),
      ownership,
      ...(opts.clock && { clock: opts.clock }),
      ...(opts.tickMs !== undefined && { tickMs: opts.tickMs }),
    }).start();
    const h = hub;
    ownership.subscribe(h);
    if (opts.control !== false) {
      controller = await new Controller({ ...controllerPorts(h, store.audit, store.control, ownership), streams: config.streams, config: config.control, logger: logger.child({ sub: 'control' }), ...(opts.tickMs !== undefined && { tickMs: opts.tickMs }) }).start();
    }
    if (opts.tickets !== false) {
      tickets = new TicketService({ hub: ticketHub(h, store), storage: store, config: ticketsSettings(config), muter: silences, ownership, logger: logger.child({ sub: 'tickets' }), ...(opts.clock && { clock: opts.clock }), ...(opts.tickMs !== undefined && { tickMs: opts.tickMs }) }).start();
    }
    const listen = opts.listen ?? config.hub.listen;
    try {
      auth = new Authenticator({ tokens: config.auth.tokens, listen, ...(opts.env && { env: opts.env }) });
    } catch (err) {
      throw new HubConfigError((err as Error).message);
    }
    if (listen !== false && auth.mode === 'open') logger.warn({ listen }, 'no auth tokens configured: the operator API runs open on loopback (everyone is operator "anonymous")');
    if (listen !== false && auth.mode === 'locked') logger.warn({ listen }, 'no auth tokens configured and listening beyond loopback: /ws and every command are refused (configure auth.tokens)');
    const commandCtx: CommandContext = { hub: h, store, streams: () => current.streams, streamEditor: runTime, controller, tickets, silences,
      ownership,
      // The directory exists once the hub joined (below); until then no owner is known: 503, retry.
      owners: opts.owners ?? (leased && { get self() { return cluster?.hub ?? ''; }, ownerOf: (stream: string) => (directory ? directory.ownerOf(stream) : Promise.resolve(undefined)) }),
    };
    const shareHealth = async (self: string) => {
      if (!opened?.postgres) return;
      sharedHealth = await SharedHealth.start({
        self,
        store: opened.postgres.health,
        ownership,
        health: (stream) => controller?.health(stream) ?? {},
        onChange: (listener) => streamChanges(h.bus, listener),
        notify: (stream, owner) => h.bus.publish('health.followed', { stream, owner }),
        logger: logger.child({ sub: 'cluster' }),
      });
      commandCtx.sharedHealth = sharedHealth;
    };
    if (!leased && opts.owners) await shareHealth(opts.owners.self);
    startDiscovery = discovery.prepareReload(config.discovery);
    if (listen !== false) {
      const tls = config.hub.tls && { cert: readPem('hub.tls.certFile', config.hub.tls.certFile), key: readPem('hub.tls.keyFile', config.hub.tls.keyFile) };
      const m = (metrics = new HubMetrics(config, h, { ownership }));
      m.configLoaded(true, h.clock());
      if (controller) m.attachController(controller);
      if (tickets) m.attachTickets(tickets);
      if (opened?.sqlite) m.attachStoreWal(opened.sqlite);
      // A probe beats over its WebSocket to this hub alone: over NATS the other hubs hear it too (the owner of its own incidents may be one of them).
      const beats: UplinkHub = {
        clock: () => h.clock(),
        ingest: (s, o) => h.ingest(s, o),
        flush: () => h.flush(),
        heartbeat: (probe, region, intervalMs) => {
          h.heartbeat(probe, region, intervalMs);
          nats?.shareHeartbeat(probe, region, intervalMs);
        },
      };
      uplink = new UplinkServer({ hub: beats, history: store.samples, config, logger: logger.child({ sub: 'uplink' }), ...(opts.env && { env: opts.env }) });
      m.attachUplink(uplink);
      preview = new PreviewServer({ streams: () => current.streams, region: config.probe.regions[0]!, auth, logger: logger.child({ sub: 'preview' }) });
      ws = new WsApi({
        ctx: commandCtx,
        auth,
        logger: logger.child({ sub: 'ws' }),
        // Samples arrive over NATS to the owner of their shard; a console here watching another hub's stream follows them there.
        ...(config.uplink.nats && { followSamples: (stream: string, push: (s: Sample) => void) => nats?.watchSamples(stream, push) ?? (() => undefined) }),
        ...opts.ws,
      });
      const httpLog = logger.child({ sub: 'http' });
      const origins = new OriginPolicy({ listen, allowedOrigins: config.hub.allowedOrigins });
      const app = hubHttpApp({
        auth,
        origins,
        health: {
          hub: h,
          audit: store.audit,
          samples: store.samples,
          localProbeLines: () => probes?.lines ?? 0,
          uplink: () => uplink?.status(),
          probeFreshMs: Math.max(10_000, 3 * (config.detector.heartbeatMs ?? 1000)),
        },
        metrics: m,
        incidents: { repository: store.incidents, recent: () => h.incidents.recent() },
        history: { reads: { samples: store.samples, flush: () => h.flush() }, incidents: store.incidents, audit: store.audit, streams: () => current.streams.map((s) => s.id), clock: h.clock },
        commands: commandCtx,
        control: controller,
        tickets: tickets && ticketRoutes(tickets, {}),
        discovery: discoveryHookRoutes(discovery),
        logger: httpLog,
      });
      const i = listen.lastIndexOf(':');
      http = await listenHttp(app, Number(listen.slice(i + 1)), listen.slice(0, i), { ...(tls && { tls }) });
      dispatchUpgrades(http.server, { [WS_PATH]: ws.handleUpgrade, [UPLINK_PATH]: uplink.handleUpgrade, [PREVIEW_PREFIX]: preview.handleUpgrade }, { origins, logger: httpLog });
    }
    probes = new EmbeddedProbes({
      enabled: opts.probes !== false,
      onSample: (s) => {
        const r = h.ingest(s, { trusted: true });
        if (!r.ok) logger.warn({ stream: s.stream, line: s.line, error: r.error }, 'local sample refused');
      },
    });
    probes.prepareReload(config)();
    if (config.uplink.nats) {
      const n = (nats = new NatsUplink({ hub: h, config, logger: logger.child({ sub: 'nats' }) }));
      await n.start();
      const { shards, shardCount } = config.uplink.nats;
      if (leased) leased.consumeWith(n);
      else for (const shard of shards === 'all' ? Array.from({ length: shardCount }, (_, i) => i) : shards) await n.own(shard);
    }
    if (config.cluster && leased) {
      const env = opts.env ?? process.env;
      const identity = clusterIdentity(config.cluster, { env, listenPort: http && Number(http.address.slice(http.address.lastIndexOf(':') + 1)) });
      const urlEnv = config.store.postgres!.urlEnv;
      const source = `store.postgres.urlEnv (${urlEnv})`;
      const url = env[urlEnv];
      if (!url) throw new HubConfigError(`${source}: environment variable ${urlEnv} is not set; the cluster's leases need the store's PostgreSQL URL`);
      clusterSession = await PostgresClusterSession.open(url, { expireMs: config.cluster.lease.expireMs, source, logger: logger.child({ sub: 'cluster' }) });
      const leases = new LeaseManager({ hub: identity.hub, config: config.cluster.lease, shards: config.uplink.nats!.shardCount, leases: clusterSession.leases, heartbeats: clusterSession.heartbeats, listener: leased, logger: logger.child({ sub: 'leases' }) });
      cluster = { ...identity, ownership: leased, leases };
      directory = clusterDirectory(identity.hub, clusterSession, config.uplink.nats!.shardCount);
      await directory.advertise(identity.advertiseUrl);
      await shareHealth(identity.hub);
      const pg = opened?.postgres;
      metrics?.attachCluster({
        shards: () => leases.leases(),
        get takeovers() {
          return leases.takeovers;
        },
        get fenced() {
          return pg?.fencedRefusals ?? 0;
        },
      });
      followSilences = setInterval(() => silences.refresh().catch((err: unknown) => logger.warn({ err }, 'reading the silences of the cluster failed; retrying in 1 s')), 1000);
      followSilences.unref();
      // Last: every part has subscribed, so a shard taken is adopted by all of them before its samples flow.
      leases.start();
      logger.info({ hub: identity.hub, advertiseUrl: identity.advertiseUrl, shards: config.uplink.nats!.shardCount }, 'joined the cluster');
    }
  } catch (err) {
    clearInterval(followSilences);
    await sharedHealth?.stop();
    await cluster?.leases.stop();
    await leased?.settled();
    await clusterSession?.close();
    await discovery.stop();
    await probes?.stop();
    await controller?.stop();
    await tickets?.stop();
    ws?.close();
    preview?.close();
    await nats?.stop();
    await uplink?.close();
    await http?.close();
    await hub?.stop();
    await opened?.store.close();
    throw err instanceof ReloadError ? new HubConfigError(err.message) : err;
  }

  let stopping: Promise<void> | undefined;
  const h = hub;
  // In commit order: the tickets and the controller follow the new config before the hub
  // resolves the incidents of removed streams; `current` (what the API knows) last.
  const parts: ReloadPart[] = [
    ...reloadPart('vendors', tickets, (t, next) => t.prepareReload(ticketsSettings(next))),
    ...reloadPart('control', controller, (c, next) => c.prepareReload({ streams: next.streams, config: next.control })),
    ...reloadPart('detector', h, (hb, next) => hb.prepareReload(hubSettings(next))),
    ...reloadPart('streams', leased, (o, next) => o.prepareReload(clusterStreams(next))),
    ...reloadPart('probe', probes, (p, next) => p.prepareReload(next)),
    ...reloadPart('streams', metrics, (m, next) => m.prepareReload(next)),
    ...reloadPart('uplink', uplink, (u, next) => u.prepareReload(next)),
    ...reloadPart('uplink', nats, (n, next) => n.prepareReload(next)),
    ...reloadPart('auth', auth, (a, next) => a.prepareReload(next.auth.tokens)),
    ...reloadPart('discovery', discovery, (d, next) => d.prepareReload(next.discovery)),
    { section: 'streams', prepare: (next) => () => void (current = next) },
  ];
  const reloader = new ConfigReloader(config, { parts, clock: h.clock, logger: logger.child({ sub: 'reload' }), onOutcome: (ok, at) => metrics?.configLoaded(ok, at) });
  runTime.attach((next) => reloader.reload(next));
  const refuse = (errors: Parameters<ConfigReloader['refuse']>[0]) => reloader.refuse(errors);
  startDiscovery();
  return {
    hub: h,
    bus: h.bus,
    store,
    ingest: (sample, o) => h.ingest(sample, o),
    uplink,
    nats,
    cluster,
    controller,
    tickets,
    ws,
    preview,
    silences,
    streams: runTime,
    discovery,
    reload: (next) => runTime.reloadFile(next, refuse),
    reloadFile: (file) => {
      try {
        return runTime.reloadFile(loadConfig(file), refuse);
      } catch (err) {
        if (err instanceof ConfigInvalidError) return reloader.refuse(err.errors);
        throw err;
      }
    },
    server: http?.server,
    address: http?.address,
    url: http ? `${config.hub.tls ? 'https' : 'http'}://${http.address}` : undefined,
    dbFile,
    storeLocation: opened?.location,
    stop: () =>
      (stopping ??= (async () => {
        // First: the shards are released at once (the others take them now, not at their expiry).
        clearInterval(followSilences);
        await sharedHealth?.stop();
        await cluster?.leases.stop();
        await leased?.settled();
        await clusterSession?.close();
        await runTime.stop();
        reloader.close();
        await discovery.stop();
        await probes?.stop();
        await controller?.stop();
        await tickets?.stop();
        try {
          ws?.close();
          preview?.close();
          await nats?.stop();
          await uplink?.close();
          await h.stop();
        } finally {
          await http?.close();
          await opened?.store.close();
        }
      })()),
  };
}


/** A config error found at start (e.g. an unreadable TLS file): `streamguard run` prints it and exits 1. */
export class HubConfigError extends Error {
  override name = 'HubConfigError';
}

function readPem(what: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new HubConfigError(`${what}: cannot read ${file}: ${(err as Error).message}`);
  }
}

/** What of the config the hub core follows, at start and at every reload. */
function hubSettings(config: Config): HubSettings {
  return {
    streams: config.streams,
    rules: config.rules,
    detector: config.detector,
    reopenWindowMs: config.incidents.reopenWindow,
    retention: { rawMs: config.store.retention.raw, rollupsMs: config.store.retention.rollups },
    compactEveryMs: config.store.compactEvery,
  };
}

/** What of the config the tickets follow, at start and at every reload. */
function ticketsSettings(config: Config): TicketsConfig {
  return { vendors: config.vendors, escalation: config.escalation, roles: config.roles };
}
