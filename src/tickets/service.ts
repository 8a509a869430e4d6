import { actingStream } from '../cluster/incident-stream.ts';
import { soleOwnership, type Ownership, type OwnershipListener } from '../cluster/ownership.ts';
import { INCIDENT_TOPICS } from '../model/topics.ts';
import type { OutboxRow } from '../store/ports.ts';
import type { Logger } from '../common/log.ts';
import { ReloadError, type Commit, type ReloadIssue } from '../common/reload.ts';
import { TicketActing } from './acting.ts';
import { catchUp } from './catch-up.ts';
import { ChangeRouter } from './change-router.ts';
import { CoalesceStage } from './coalesce-stage.ts';
import type { TicketsConfig, VendorConfig } from './config-schema.ts';
import { TicketCounters, type TicketMetrics } from './counters.ts';
import { TicketRequestError } from './request-error.ts';
import type { DrillReport } from './drill.ts';
import { EnqueueStage } from './enqueue.ts';
import { Escalation, type AckResult } from './escalation.ts';
import { buildEvidence, type EvidenceBundle, type EvidenceOptions } from './evidence.ts';
import { incidentReader, type ReadIncident } from './incident-reader.ts';
import { LiveDrill } from './live-drill.ts';
import { ManualTickets, type ManualTicketResult } from './manual.ts';
import { MuteStage, type Muter } from './mute.ts';
import { DeliveryOutcomes } from './outcomes.ts';
import { OutboxDelivery, type RetryPolicy } from './outbox.ts';
import type { TicketHub, TicketStorage } from './ports.ts';
import { MessageRenderer } from './render.ts';
import { VendorRouting } from './routing.ts';
import { SerialQueue } from './serial.ts';
import { SlaClocks, StartSlaStage } from './sla-clocks.ts';
import type { SlaState } from './sla.ts';
import { Pipeline } from './stage.ts';
import { TicketTimeline } from './timeline.ts';
import type { TicketVendor } from './types.ts';
import { createVendor } from './vendors.ts';

export interface TicketServiceOptions {
  hub: TicketHub;
  storage: TicketStorage;
  config: TicketsConfig;
  /**
   * Maintenance silences: while it names one for an incident, the incident's new tickets are held
   * back and its SLA clock is paused (updates to tickets already open still go out). Asked again
   * on every tick: once it answers undefined, a held incident still open gets its tickets then,
   * and a paused clock resumes.
   */
  muter?: Muter;
  env?: NodeJS.ProcessEnv;
  clock?: () => number;
  /** Tick period (SLA + outbox); 0: no timer, call tick() yourself. Default 1000. */
  tickMs?: number;
  retry?: Partial<RetryPolicy>;
  evidence?: EvidenceOptions;
  /** Link for humans to an incident (console URL), put in every message. */
  link?: (incidentId: string) => string;
  /** Replace the adapter built from config for a vendor name (tests, custom integrations). */
  adapters?: Record<string, TicketVendor>;
  /**
   * Which incidents' tickets this hub acts on (by their stream), under which fence; default
   * soleOwnership (a lone hub: every incident, unfenced). In a cluster, only the incidents of the
   * shards this hub leases are ticketed, escalated and delivered here.
   */
  ownership?: Ownership;
  logger?: Logger;
}

/**
 * Vendor tickets, the face the hub's wiring, HTTP and WebSocket layers use. It follows the hub's
 * incident topics, runs each change through the stages (change-router.ts: which notices; mute.ts,
 * coalesce-stage.ts, enqueue.ts, sla-clocks.ts), and on a tick (default 1 s) fires due escalation steps
 * (escalation.ts) and drains the outbox to the vendors (outbox.ts), every step on the incident
 * timeline (`by: "tickets"` or `by: "sla"`). Changes, ticks and operator requests are taken one
 * at a time, in order (serial.ts); deliveries run beside them.
 *
 * In a cluster it acts only on the incidents of the streams this hub owns (acting.ts), every write
 * fenced; a shard taken over (adopt) has its SLA clocks, held incidents and tickets caught up here,
 * a shard lost (release) has them stop here, its pending rows left to the new owner.
 */
export class TicketService implements OwnershipListener {
  private readonly queue = new SerialQueue();
  private readonly counters = new TicketCounters();
  private readonly routing: VendorRouting;
  private readonly clocks: SlaClocks;
  private readonly readIncident: ReadIncident;
  private readonly router: ChangeRouter;
  private readonly escalation: Escalation;
  private readonly manual: ManualTickets;
  private readonly drills: LiveDrill;
  private readonly delivery: OutboxDelivery;
  private readonly mute: MuteStage;
  private readonly acting: TicketActing;
  private readonly ownership: Ownership;
  /** The adapter per configured vendor name: one map for the service's life, refilled by a reload. */
  private readonly adapters: Map<string, TicketVendor>;
  private readonly clock: () => number;
  private readonly log: Logger | undefined;
  private unsubs: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private started = false;

  constructor(private readonly opts: TicketServiceOptions) {
    const { hub, storage, config } = opts;
    this.clock = opts.clock ?? Date.now;
    this.log = opts.logger;
    this.ownership = opts.ownership ?? soleOwnership;
    this.acting = new TicketActing(this.ownership, this.counters, opts.logger);
    this.adapters = this.buildAdapters(config);
    this.routing = new VendorRouting(config);
    this.clocks = new SlaClocks(storage.sla, this.routing, this.acting);
    this.readIncident = incidentReader(hub.stored, opts.logger);
    const timeline = new TicketTimeline(hub.incidents, hub.stored, opts.logger);
    const enqueue = new EnqueueStage(storage.outbox, this.counters, this.acting, this.clock);
    const coalesce = new CoalesceStage({ outbox: storage.outbox, updateEvery: (vendor) => this.routing.vendor(vendor)?.updateEvery ?? 0, clock: this.clock, acting: this.acting });
    const send = new Pipeline([coalesce, enqueue]);
    const startSla = new StartSlaStage(this.clocks);
    this.mute = new MuteStage(opts.muter, storage.outbox, timeline);
    this.router = new ChangeRouter({ routing: this.routing, outbox: storage.outbox, opens: new Pipeline([this.mute, coalesce, enqueue, startSla]), send, mute: this.mute, clocks: this.clocks, readIncident: this.readIncident });
    this.escalation = new Escalation({ clocks: this.clocks, readIncident: this.readIncident, muter: opts.muter, timeline, send, counters: this.counters });
    this.manual = new ManualTickets({ routing: this.routing, outbox: storage.outbox, send: new Pipeline([coalesce, enqueue, startSla]), readIncident: this.readIncident, timeline });
    this.drills = new LiveDrill({ config: () => this.routing.current, adapters: this.adapters, audit: hub.audit, clock: this.clock, ...(opts.logger && { logger: opts.logger }) });
    const renderer = new MessageRenderer({ roles: () => this.routing.roles, clocks: this.clocks, readIncident: this.readIncident, evidence: hub.evidence, evidenceOptions: opts.evidence, link: opts.link, clock: this.clock });
    const outcomes = new DeliveryOutcomes(timeline, this.counters, this.clock);
    this.delivery = new OutboxDelivery({
      store: storage.outbox,
      vendor: (name) => this.adapters.get(name),
      render: (row) => renderer.render(row),
      clock: this.clock,
      acting: this.acting,
      retry: opts.retry,
      onOutcome: (row, o) => outcomes.record(row, o),
      ...(opts.logger && { logger: opts.logger }),
    });
  }

  /**
   * A config reload: builds the adapters of the new vendors (throws ReloadError naming each one it
   * cannot build) without touching what runs. The returned commit routes the next changes,
   * escalation steps and messages by the new vendors, escalation and roles. Outbox rows already
   * queued stay: delivered by their vendor's new adapter, or marked failed (no such vendor any
   * more) when the vendor left the config.
   */
  prepareReload(config: TicketsConfig): Commit {
    const adapters = this.buildAdapters(config);
    return () => {
      this.routing.use(config);
      this.adapters.clear();
      for (const [name, adapter] of adapters) this.adapters.set(name, adapter);
    };
  }

  /** A configured vendor's entry, as the config in use has it. */
  vendorConfig(name: string): VendorConfig | undefined {
    return this.routing.vendor(name);
  }

  /** What was counted since start (enqueued, delivered, retries, failed, escalations, acks). */
  get stats(): TicketCounters['stats'] {
    return this.counters.stats;
  }

  /**
   * Catches up (catch-up.ts: SLA clocks, held incidents, tickets of open incidents, resolves
   * missed while down) on the incidents this hub owns, follows the incident topics and the shards
   * changing hands, starts the tick. The catch-up is the first job in line: the changes published
   * meanwhile and the first tick wait for it.
   */
  start(): this {
    if (this.started) return this;
    this.started = true;
    const { hub } = this.opts;
    this.catchUp((id) => this.acting.owns(id), 'tickets catch-up failed');
    this.ownership.subscribe(this);
    for (const topic of INCIDENT_TOPICS) {
      this.unsubs.push(
        hub.bus.on(topic, (change) => {
          if (!this.acting.acts(change.incident.id)) {
            this.log?.debug({ incidentId: change.incident.id, topic }, 'tickets: change not followed: this hub does not act on its stream now');
            return;
          }
          const now = this.clock();
          this.serially(() => this.router.handle(topic, change, now), 'tickets: an incident change was not followed').then(() => {
            if (this.started && (this.opts.tickMs ?? 1000) > 0) void this.delivery.drain();
          });
        }),
      );
    }
    const tickMs = this.opts.tickMs ?? 1000;
    if (tickMs > 0) {
      this.timer = setInterval(() => void this.tick(), tickMs);
      this.timer.unref?.();
      void this.tick();
    }
    return this;
  }

  /**
   * OwnershipListener: this hub took these streams over. Their SLA clocks run here from the stored
   * state, their held incidents stay held, their open incidents get the tickets they lack, and
   * their pending outbox rows are delivered from here on (the next drain).
   */
  async adopt(streams: readonly string[]): Promise<void> {
    if (!this.started) return;
    const adopted = new Set(streams);
    // Asked when the catch-up runs (after the jobs before it): a stream lost again meanwhile is left alone.
    await this.catchUp((id) => adopted.has(actingStream(id)) && this.acting.owns(id), 'tickets: catching up a shard taken over failed');
    void this.delivery.drain();
  }

  /** OwnershipListener: another hub has these streams now. Their clocks and held incidents stop here; nothing is written. */
  release(streams: readonly string[]): void {
    const released = new Set(streams);
    const drop = (id: string) => released.has(actingStream(id));
    this.clocks.release(drop);
    this.mute.release(drop);
  }

  /**
   * Stops listening and ticking. Waits up to `waitMs` (default 2 s) for the changes taken and the
   * deliveries in flight, then stops writing their outcomes: the store can be closed after.
   * Anything unfinished is still pending in the store and is sent after the next start.
   */
  async stop(waitMs = 2000): Promise<void> {
    for (const u of this.unsubs.splice(0)) u();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.started = false;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all([this.queue.idle(), this.ticking, this.delivery.idle()]), new Promise((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
    this.delivery.close();
  }

  /**
   * One tick: held incidents a muter let go get their tickets, due escalation steps fire, then the
   * outbox is delivered. Concurrent calls share one run.
   */
  tick(): Promise<void> {
    if (!this.ticking) {
      const now = this.clock();
      this.ticking = (async () => {
        await this.serially(async () => {
          await this.router.releaseHeld(now);
          await this.escalation.tick(now);
        }, 'tickets tick failed');
        await this.delivery.drain();
      })().finally(() => (this.ticking = undefined));
    }
    return this.ticking;
  }

  /**
   * The vendor (or an operator on its behalf) acknowledged: stops the escalation and records the
   * time to acknowledge on the timeline. `incidentId` is the streamguard incident id (= dedup_key),
   * or a drill's id.
   */
  acknowledge(a: { incidentId: string; vendor: string; by: string; at?: number }): Promise<AckResult> {
    const now = a.at ?? this.clock();
    if (LiveDrill.isDrill(a.incidentId)) return Promise.resolve(this.drills.acknowledge(a, now));
    return this.queue.run(() => this.escalation.acknowledge(a, now));
  }

  /**
   * An operator opens a vendor ticket by hand (manual.ts). Rejects with TicketRequestError on an
   * unknown or resolved incident or an unknown vendor.
   */
  async openByHand(r: { incidentId: string; by: string; reason: string; vendor?: string }): Promise<ManualTicketResult> {
    if (!this.acting.acts(r.incidentId)) throw new TicketRequestError('conflict', `incident "${r.incidentId}" is not this hub's to ticket now: another hub owns stream "${actingStream(r.incidentId)}"`);
    const now = this.clock();
    const result = await this.queue.run(() => this.manual.open(r, now));
    if (this.started) void this.delivery.drain();
    return result;
  }

  /**
   * The ticket vendors a hand-made ticket goes to: `vendor`, or every one (`use` ticket or both).
   * Throws TicketRequestError `not_found` naming it and the ticket vendors there are.
   */
  ticketVendorsFor(vendor?: string): string[] {
    return this.routing.byHand(vendor);
  }

  /** The evidence bundle of an incident, as sent with its ticket (GET /api/v1/incidents/:id/evidence). */
  async evidence(incidentId: string): Promise<EvidenceBundle | undefined> {
    const inc = await this.readIncident(incidentId);
    return inc && (await buildEvidence(this.opts.hub.evidence, inc, this.clock(), this.opts.evidence));
  }

  /** Outbox rows and SLA state of an incident. */
  async status(incidentId: string): Promise<{ rows: OutboxRow[]; sla?: SlaState & { nextDueAt?: number } }> {
    const rows = await this.opts.storage.outbox.forIncident(incidentId);
    const sla = await this.clocks.status(incidentId);
    return sla ? { rows, sla } : { rows };
  }

  async metrics(): Promise<TicketMetrics> {
    // Each hub counts the rows of the incidents it acts on: summed over a cluster, every row once.
    let pending = 0;
    for (const [incidentId, n] of await this.opts.storage.outbox.pendingByIncident()) if (this.acting.acts(incidentId)) pending += n;
    return this.counters.metrics(pending);
  }

  /** Configured vendor names with their adapter type and use. */
  vendors(): { name: string; type: string; use: string }[] {
    return this.routing.vendors();
  }

  /**
   * Sends a clearly marked test through every configured vendor and escalation channel, directly
   * (not through the outbox: a drill is a measurement), and reports which answered and how fast.
   * With `waitAckMs`, also waits that long for an acknowledgement of the drill through an inbound
   * webhook (a human saw it and pressed the button).
   */
  drill(opts: { by?: string; waitAckMs?: number; only?: string[] } = {}): Promise<DrillReport> {
    return this.drills.run(opts);
  }

  private buildAdapters(config: TicketsConfig): Map<string, TicketVendor> {
    const env = this.opts.env ?? process.env;
    const issues: ReloadIssue[] = [];
    const adapters = new Map<string, TicketVendor>();
    config.vendors.forEach((v, i) => {
      try {
        adapters.set(v.name, this.opts.adapters?.[v.name] ?? createVendor(v, env));
      } catch (err) {
        issues.push({ path: `vendors[${i}]`, message: (err as Error).message });
      }
    });
    if (issues.length > 0) throw new ReloadError(issues);
    return adapters;
  }

  /** Queues the catch-up of the incidents `keep` takes. */
  private catchUp(keep: (incidentId: string) => boolean, failure: string): Promise<void> {
    const { hub, storage } = this.opts;
    const now = this.clock();
    return this.serially(() => catchUp({ clocks: this.clocks, mute: this.mute, router: this.router, live: hub.incidents, stored: hub.stored, outbox: storage.outbox, readIncident: this.readIncident }, now, keep), failure);
  }

  /** Queues a job; a failure is logged (the queue goes on). */
  private serially(job: () => Promise<void>, failure: string): Promise<void> {
    return this.queue.run(job).catch((err: unknown) => this.log?.error({ err }, failure));
  }
}
