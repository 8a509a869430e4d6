import { createHash } from 'node:crypto';
import type { Severity } from '../model/severity.ts';
import { SEVERITY_RANK } from '../model/severity.ts';
import type { EventBus } from '../shared/event-bus.ts';
import type { IncidentChange, Topic } from '../model/topics.ts';
import type { ActionInput } from '../incidents/manager.ts';
import type { Incident, TimelineEntry } from '../model/incident.ts';
import type { Logger } from '../shared/log.ts';
import { OutboxStore, type OutboxRow } from '../store/outbox.ts';
import type { LegacySyncStore as Store } from '../store/sqlite/legacy-sync.ts';
import type { TicketsConfig, VendorConfig } from './config-schema.ts';
import { actionLine, buildEvidence, TICKET_ACTORS, timelineActions, type EvidenceBundle, type EvidenceOptions } from './evidence.ts';
import { drill as runDrill, type DrillReport } from './drill.ts';
import { buildMessage } from './message.ts';
import { Outbox, type DeliveryOutcome, type RetryPolicy } from './outbox.ts';
import { acknowledgeSla, advanceSla, nextDueAt, pauseSla, resolveSla, resumeSla, severitySla, startSla, type SlaPolicy, type SlaState } from './sla.ts';
import type { TicketAction, TicketMessage, TicketVendor } from './types.ts';

export type { DrillChannel, DrillReport } from './drill.ts';
import { createVendor } from './vendors.ts';
import { INCIDENT_TOPICS } from '../model/topics.ts';

/**
 * The tickets shell: subscribes to the hub's incident topics, turns them into outbox rows
 * (open / update / resolve per vendor, escalations per chain step), delivers the outbox and
 * advances the SLA timers on a tick (default 1 s), and writes every ticket step on the incident
 * timeline (`by: "tickets"` or `by: "sla"`).
 *
 *   incident.opened/raised  ─▶ open ticket at every qualifying vendor (once per incident, ever)
 *   incident.* changes      ─▶ update at the vendors holding a ticket (controller actions, regions, severity)
 *   incident.resolved       ─▶ resolve wherever a ticket or escalation went
 *   tick                    ─▶ SLA: overdue and unacknowledged → next escalation step; outbox drain
 *   acknowledge()           ─▶ vendor answered (inbound webhook or operator): stops escalation, time to ack on the timeline
 */

export interface TicketHub {
  bus: EventBus;
  store: Store;
  incidents: {
    act(id: string, input: ActionInput, now: number): unknown;
    open(): Incident[];
    /** The manager's current incident for a dedup key (to avoid acting on a superseded one). */
    byDedupKey?(key: string): Incident | undefined;
  };
}

export interface TicketServiceOptions {
  hub: TicketHub;
  /** `new OutboxStore(sqliteStore.database)`. */
  outbox: OutboxStore;
  config: TicketsConfig;
  env?: NodeJS.ProcessEnv;
  clock?: () => number;
  /** Tick period (SLA + outbox); 0: no timer, call tick() yourself. Default 1000. */
  tickMs?: number;
  retry?: Partial<RetryPolicy>;
  evidence?: EvidenceOptions;
  /** Link for humans to an incident (console URL), put in every message. */
  link?: (incidentId: string) => string;
  /**
   * The id of a maintenance silence that holds back this incident's new tickets and pauses its SLA
   * clock (updates to tickets already open still go out). Checked every tick: once it answers
   * undefined, a held incident still open gets its tickets then, and a paused clock resumes.
   */
  hold?: (inc: Incident) => string | undefined;
  /** Replace the adapter built from config for a vendor name (tests, custom integrations). */
  adapters?: Record<string, TicketVendor>;
  logger?: Logger;
}

export interface AckResult {
  ok: boolean;
  error?: string;
  incidentId?: string;
  timeToAckMs?: number;
  /** Already acknowledged before (the first acknowledgement counts). */
  already?: boolean;
}

/** Counters for /metrics (labels from the config only: vendor names and severities). */
export interface TicketMetrics {
  /** tickets_total{vendor,severity}: tickets opened (open delivered) since start. */
  ticketsTotal: { vendor: string; severity: string; value: number }[];
  /** Delivery attempts by vendor and outcome (delivered, retry, failed). */
  deliveriesTotal: { vendor: string; outcome: string; value: number }[];
  escalationsTotal: number;
  vendorAcksTotal: number;
  outboxPending: number;
}

interface RowPayload {
  incident: Incident;
  changes?: string[];
  escalation?: { step: number; name: string; overdueMs: number };
}

export interface ManualTicketResult {
  incidentId: string;
  /** Per vendor: `open` (a new ticket) or `update` (it had one: the request is added to it). */
  vendors: { vendor: string; sent: 'open' | 'update' }[];
}

/** A hand-made ticket request that cannot be served; `code` maps to the API's error codes. */
export class TicketRequestError extends Error {
  constructor(
    readonly code: 'not_found' | 'conflict',
    message: string,
  ) {
    super(message);
  }
}

interface Ack {
  vendor: string;
  by: string;
  at: number;
}

export class TicketService {
  readonly outbox: Outbox;
  readonly stats = { enqueued: 0, delivered: 0, retries: 0, failed: 0, escalations: 0, acks: 0 };
  private readonly hub: TicketHub;
  private readonly store: OutboxStore;
  private readonly cfg: TicketsConfig;
  private readonly policy: SlaPolicy;
  private readonly adapters = new Map<string, TicketVendor>();
  private readonly vendorCfg = new Map<string, VendorConfig>();
  private readonly sla = new Map<string, SlaState>();
  private readonly clock: () => number;
  private readonly log: Logger | undefined;
  private readonly drillWaiters = new Map<string, (a: Ack) => void>();
  private readonly ticketCounts = new Map<string, number>();
  private readonly deliveryCounts = new Map<string, number>();
  /** Incidents whose tickets a silence holds back; start() rebuilds it from their timelines. */
  private readonly held = new Set<string>();
  private unsubs: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private started = false;

  constructor(private readonly opts: TicketServiceOptions) {
    this.hub = opts.hub;
    this.store = opts.outbox;
    this.cfg = opts.config;
    this.clock = opts.clock ?? Date.now;
    this.log = opts.logger;
    const env = opts.env ?? process.env;
    for (const v of this.cfg.vendors) {
      this.vendorCfg.set(v.name, v);
      this.adapters.set(v.name, opts.adapters?.[v.name] ?? createVendor(v, env));
    }
    this.policy = {
      sla: this.cfg.escalation.sla,
      chain: this.cfg.escalation.chain.map((s) => ({ name: s.name, channel: s.channel, after: s.after, severities: s.severities })),
    };
    this.outbox = new Outbox({
      store: this.store,
      vendor: (name) => this.adapters.get(name),
      render: (row) => this.render(row),
      clock: this.clock,
      ...(opts.retry && { retry: opts.retry }),
      onOutcome: (row, o) => this.onOutcome(row, o),
      ...(opts.logger && { logger: opts.logger }),
    });
  }

  /** Restores SLA timers, catches up on incidents opened or resolved while down, subscribes, starts the tick. */
  start(): this {
    if (this.started) return this;
    this.started = true;
    const now = this.clock();
    for (const row of this.store.activeSla()) this.sla.set(row.incidentId, row.data as SlaState);
    const open = this.hub.incidents.open();
    // Held before the restart: still held (no second `ticket-held`), or released now.
    for (const inc of open) if (heldOnTimeline(this.hub.store.timeline(inc.id))) this.held.add(inc.id);
    for (const inc of open) this.openTickets(inc, now);
    // Resolved while we were down (or the resolve was lost in a crash): the resolve key is per
    // reopen generation, so this is a no-op for what was already enqueued.
    const ids = new Set([...this.sla.keys(), ...this.store.incidentIds(now - 7 * 86_400_000)]);
    for (const id of ids) {
      const inc = this.incident(id);
      if (inc?.status === 'resolved') this.onResolved(inc, now);
    }
    const topics = INCIDENT_TOPICS;
    for (const t of topics) this.unsubs.push(this.hub.bus.on(t, (change: IncidentChange) => this.onChange(t, change)));
    const tickMs = this.opts.tickMs ?? 1000;
    if (tickMs > 0) {
      this.timer = setInterval(() => void this.tick(), tickMs);
      this.timer.unref?.();
      void this.tick();
    }
    return this;
  }

  /**
   * Stops listening and ticking. Waits up to `waitMs` (default 2 s) for deliveries in flight, then
   * stops writing their outcomes: the store can be closed after. Anything unfinished is still
   * pending in the store and is sent after the next start.
   */
  async stop(waitMs = 2000): Promise<void> {
    for (const u of this.unsubs.splice(0)) u();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.started = false;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all([this.ticking, this.outbox.idle()]), new Promise((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
    this.outbox.close();
  }

  /** One tick: fire due escalation steps, then deliver the outbox. Concurrent calls share one run. */
  tick(): Promise<void> {
    if (!this.ticking) {
      this.ticking = (async () => {
        try {
          const now = this.clock();
          this.release(now);
          this.advanceSla(now);
          await this.outbox.drain();
        } catch (err) {
          this.log?.error({ err }, 'tickets tick failed');
        }
      })().finally(() => (this.ticking = undefined));
    }
    return this.ticking;
  }

  /**
   * The vendor (or an operator on its behalf) acknowledged: stops the escalation and records the
   * time to acknowledge on the timeline. `incidentId` is the streamguard incident id (= dedup_key).
   */
  acknowledge(a: { incidentId: string; vendor: string; by: string; at?: number }): AckResult {
    const now = a.at ?? this.clock();
    if (a.incidentId.startsWith('drill-')) {
      const w = this.drillWaiters.get(a.incidentId);
      w?.({ vendor: a.vendor, by: a.by, at: now });
      return w ? { ok: true, incidentId: a.incidentId } : { ok: false, error: `no drill "${a.incidentId}" waiting` };
    }
    const inc = this.incident(a.incidentId);
    if (!inc) return { ok: false, error: `no incident "${a.incidentId}"` };
    const state = this.sla.get(inc.id) ?? (this.store.sla(inc.id)?.data as SlaState | undefined) ?? startSla(inc.id, inc.severity, inc.openedAt);
    const r = acknowledgeSla(state, `${a.vendor}:${a.by}`, now);
    if (r.already) return { ok: true, incidentId: inc.id, timeToAckMs: r.timeToAckMs, already: true };
    this.saveSla(r.state);
    this.stats.acks++;
    this.act(inc.id, 'sla', 'vendor-acknowledged', { vendor: a.vendor, ackBy: a.by, timeToAckMs: r.timeToAckMs }, now);
    return { ok: true, incidentId: inc.id, timeToAckMs: r.timeToAckMs };
  }

  /**
   * An operator opens a vendor ticket by hand (any severity: minSeverity is for the automatic
   * ones). Idempotent per incident and vendor: a vendor that already has the incident's ticket gets
   * an update with the request instead of a second ticket, and the automatic open later is the same
   * outbox row. `vendor` omitted: every ticket vendor. Throws on an unknown or resolved incident or vendor.
   */
  openByHand(r: { incidentId: string; by: string; reason: string; vendor?: string }): ManualTicketResult {
    const now = this.clock();
    const inc = this.incident(r.incidentId);
    if (!inc) throw new TicketRequestError('not_found', `no incident "${r.incidentId}"`);
    if (inc.status === 'resolved') throw new TicketRequestError('conflict', `incident "${inc.id}" is resolved`);
    const vendors: ManualTicketResult['vendors'] = [];
    for (const name of this.ticketVendorsFor(r.vendor)) {
      if (this.store.get(rowKey(inc.id, name, 'open'))) {
        this.enqueue(inc, name, 'update', `manual@${now}`, { incident: inc, changes: [`ticket requested by ${r.by}: ${r.reason}`] }, now);
        vendors.push({ vendor: name, sent: 'update' });
      } else {
        this.enqueue(inc, name, 'open', 'open', { incident: inc }, now);
        vendors.push({ vendor: name, sent: 'open' });
      }
    }
    if (!this.sla.has(inc.id) && !this.store.sla(inc.id)) this.saveSla(startSla(inc.id, inc.severity, now));
    this.act(inc.id, 'tickets', 'ticket-requested', { requestedBy: r.by, reason: r.reason, vendors }, now);
    if (this.started) setImmediate(() => void this.outbox.drain());
    return { incidentId: inc.id, vendors };
  }

  /**
   * The ticket vendors a hand-made ticket goes to: `vendor`, or every one (`use` ticket or both).
   * Throws TicketRequestError `not_found` naming it and the ticket vendors there are.
   */
  ticketVendorsFor(vendor?: string): string[] {
    const names = this.cfg.vendors.filter((v) => v.use !== 'escalation').map((v) => v.name);
    if (vendor === undefined) {
      if (names.length === 0) throw new TicketRequestError('not_found', 'no ticket vendor configured');
      return names;
    }
    if (names.includes(vendor)) return [vendor];
    const known = `ticket vendors: ${names.join(', ') || 'none configured'}`;
    throw new TicketRequestError('not_found', this.vendorCfg.has(vendor) ? `"${vendor}" is an escalation channel, not a ticket vendor (${known})` : `no ticket vendor "${vendor}" (${known})`);
  }

  /** The evidence bundle of an incident, as sent with its ticket (GET /api/v1/incidents/:id/evidence). */
  evidence(incidentId: string): EvidenceBundle | undefined {
    const inc = this.incident(incidentId);
    return inc && buildEvidence(this.hub.store, inc, this.clock(), this.opts.evidence);
  }

  /** Outbox rows and SLA state of an incident. */
  status(incidentId: string): { rows: OutboxRow[]; sla?: SlaState & { nextDueAt?: number } } {
    const rows = this.store.forIncident(incidentId);
    const sla = this.sla.get(incidentId) ?? (this.store.sla(incidentId)?.data as SlaState | undefined);
    if (!sla) return { rows };
    const next = nextDueAt(sla, this.policy);
    return { rows, sla: { ...sla, ...(next !== undefined && { nextDueAt: next }) } };
  }

  metrics(): TicketMetrics {
    const split = (m: Map<string, number>) => [...m].map(([k, value]) => ({ k: k.split(' ') as [string, string], value }));
    return {
      ticketsTotal: split(this.ticketCounts).map(({ k, value }) => ({ vendor: k[0], severity: k[1], value })),
      deliveriesTotal: split(this.deliveryCounts).map(({ k, value }) => ({ vendor: k[0], outcome: k[1], value })),
      escalationsTotal: this.stats.escalations,
      vendorAcksTotal: this.stats.acks,
      outboxPending: this.store.pendingCount(),
    };
  }

  /** Configured vendor names with their adapter type and use. */
  vendors(): { name: string; type: string; use: string }[] {
    return this.cfg.vendors.map((v) => ({ name: v.name, type: v.type, use: v.use }));
  }

  /**
   * Sends a clearly marked test through every configured vendor and escalation channel, directly
   * (not through the outbox: a drill is a measurement), and reports which answered and how fast.
   * With `waitAckMs`, also waits that long for an acknowledgement of the drill through an inbound
   * webhook (a human saw it and pressed the button).
   */
  async drill(opts: { by?: string; waitAckMs?: number; only?: string[] } = {}): Promise<DrillReport> {
    const now = this.clock();
    const id = `drill-${now}`;
    let acked: Promise<Ack> | undefined;
    if (opts.waitAckMs !== undefined && opts.waitAckMs > 0) acked = new Promise<Ack>((resolve) => this.drillWaiters.set(id, resolve));
    const report = await runDrill(this.cfg, { clock: () => now, adapters: this.adapters, ...(opts.by !== undefined && { by: opts.by }), ...(opts.only && { only: opts.only }) });
    if (acked) {
      let timer: NodeJS.Timeout | undefined;
      const a = await Promise.race([acked, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), opts.waitAckMs)))]);
      clearTimeout(timer);
      this.drillWaiters.delete(id);
      if (a) report.acknowledged = { vendor: a.vendor, by: a.by, ms: a.at - now };
    }
    try {
      this.hub.store.audit({ t: now, actor: report.by, action: 'tickets.drill', target: 'vendors', reason: 'contact channel drill', data: report });
    } catch (err) {
      this.log?.warn({ err }, 'could not audit the drill');
    }
    return report;
  }

  // ── bus → outbox ────────────────────────────────────────────────────────────────────────────

  private onChange(topic: Topic, change: IncidentChange): void {
    const inc = change.incident;
    const now = this.clock();
    switch (topic) {
      case 'incident.opened':
        this.openTickets(inc, now);
        break;
      case 'incident.reopened': {
        this.update(inc, [`reopened (recurrence ${inc.reopenCount}), severity ${inc.severity}`], `reopen:${inc.reopenCount}`, now);
        const prev = this.sla.get(inc.id) ?? (this.store.sla(inc.id)?.data as SlaState | undefined);
        if (prev) this.saveSla(startSla(inc.id, inc.severity, now, prev));
        this.openTickets(inc, now);
        break;
      }
      case 'incident.raised':
      case 'incident.lowered': {
        const e = change.entries.find((x) => x.type === 'severity-raised' || x.type === 'severity-lowered');
        const from = e ? String(e.data.from) : '?';
        this.update(inc, [`severity ${from} → ${inc.severity}`, ...changeLines(change.entries)], undefined, now);
        const st = this.sla.get(inc.id);
        if (st) this.saveSla(severitySla(st, inc.severity, now, this.policy));
        this.openTickets(inc, now);
        break;
      }
      case 'incident.updated': {
        const lines = changeLines(change.entries);
        if (lines.length > 0) this.update(inc, lines, undefined, now);
        break;
      }
      case 'incident.resolved':
        this.onResolved(inc, now);
        break;
      default:
        break;
    }
    if (this.started && (this.opts.tickMs ?? 1000) > 0) setImmediate(() => void this.outbox.drain());
  }

  private qualifies(v: VendorConfig, inc: Incident): boolean {
    return v.use !== 'escalation' && v.kinds.includes(inc.kind) && SEVERITY_RANK[inc.severity] <= SEVERITY_RANK[v.minSeverity as Severity];
  }

  /**
   * Opens a ticket at every qualifying vendor that has none for this incident and starts the SLA
   * clock, unless a silence holds them: then `ticket-held` (once), and `ticket-released` when they go.
   */
  private openTickets(inc: Incident, now: number): void {
    if (inc.status === 'resolved') return;
    const silence = this.opts.hold?.(inc);
    if (silence !== undefined) {
      // Held only if some ticket is missing: a reopen or a raise of a ticketed incident holds nothing.
      if (!this.held.has(inc.id) && this.cfg.vendors.some((v) => this.qualifies(v, inc) && !this.store.get(rowKey(inc.id, v.name, 'open')))) {
        this.held.add(inc.id);
        this.act(inc.id, 'tickets', HELD, { silence }, now);
      }
      return;
    }
    if (this.held.delete(inc.id)) this.act(inc.id, 'tickets', RELEASED, {}, now);
    let any = false;
    for (const v of this.cfg.vendors) {
      if (!this.qualifies(v, inc)) continue;
      any = true;
      this.enqueue(inc, v.name, 'open', 'open', { incident: inc }, now);
    }
    if (any && !this.sla.has(inc.id) && !this.store.sla(inc.id)) this.saveSla(startSla(inc.id, inc.severity, now));
  }

  private update(inc: Incident, changes: string[], suffix: string | undefined, now: number): void {
    const key = suffix ?? `update@${inc.updatedAt}:${createHash('sha1').update(changes.join('\n')).digest('hex').slice(0, 8)}`;
    for (const v of this.cfg.vendors) {
      if (!this.store.get(rowKey(inc.id, v.name, 'open'))) continue;
      this.enqueue(inc, v.name, 'update', key, { incident: inc, changes }, now);
    }
  }

  private onResolved(inc: Incident, now: number): void {
    const vendors = new Set(this.store.forIncident(inc.id).map((r) => r.vendor));
    for (const v of vendors) this.enqueue(inc, v, 'resolve', `resolve:${inc.reopenCount}`, { incident: inc }, now);
    const st = this.sla.get(inc.id);
    if (st) this.saveSla(resolveSla(st, now));
  }

  private enqueue(inc: Incident, vendor: string, action: TicketAction, suffix: string, payload: RowPayload, now: number): void {
    if (this.outbox.enqueue({ key: rowKey(inc.id, vendor, suffix), incidentId: inc.id, vendor, action, payload, createdAt: now })) this.stats.enqueued++;
  }

  /** Silences that ended: the held incidents still open get their tickets now. */
  private release(now: number): void {
    for (const id of [...this.held]) {
      const inc = this.incident(id);
      if (inc && inc.status !== 'resolved') this.openTickets(inc, now);
      else this.held.delete(id);
    }
  }

  // ── SLA ────────────────────────────────────────────────────────────────────────────────────

  private advanceSla(now: number): void {
    for (const st of [...this.sla.values()]) {
      const inc = this.incident(st.incidentId);
      // A silenced incident's clock stops: the vendor gets the rest of its response time after the
      // maintenance, not every step at once when it ends.
      const silenced = inc !== undefined && this.opts.hold?.(inc) !== undefined;
      const { state, due } = advanceSla(silenced ? pauseSla(st, now) : resumeSla(st, now), this.policy, now);
      if (state !== st) this.saveSla(state);
      if (!inc) continue;
      for (const d of due) {
        this.stats.escalations++;
        this.act(inc.id, 'sla', 'escalated', { step: d.index + 1, name: d.name, channel: d.channel, severity: inc.severity, overdueMs: d.overdueMs }, now);
        this.enqueue(inc, d.channel, 'escalate', `escalate:${state.generation}:${d.index}`, { incident: inc, escalation: { step: d.index, name: d.name, overdueMs: d.overdueMs } }, now);
      }
    }
  }

  private saveSla(st: SlaState): void {
    const done = st.ackedAt !== undefined || st.resolvedAt !== undefined;
    this.store.saveSla(st.incidentId, st, done);
    if (done) this.sla.delete(st.incidentId);
    else this.sla.set(st.incidentId, st);
  }

  // ── outbox → vendors ───────────────────────────────────────────────────────────────────────

  private render(row: OutboxRow): TicketMessage | undefined {
    const p = row.payload as RowPayload;
    const current = this.incident(row.incidentId) ?? p.incident;
    // An update describes the incident as it was at the change; the rest use the latest state.
    const inc = row.action === 'update' ? p.incident : current;
    const now = this.clock();
    const st = this.sla.get(inc.id) ?? (this.store.sla(inc.id)?.data as SlaState | undefined);
    const slaMs = this.policy.sla[inc.severity];
    const withEvidence = row.action === 'open' || row.action === 'escalate';
    return buildMessage({
      action: row.action as TicketAction,
      idempotencyKey: row.key,
      incident: inc,
      ...(slaMs !== undefined && { slaMs }),
      ...(st && { slaStart: st.startedAt }),
      roles: this.cfg.roles,
      actions: timelineActions(this.hub.store, inc.id).map(actionLine),
      ...(withEvidence && { evidence: buildEvidence(this.hub.store, current, now, this.opts.evidence) }),
      ...(p.changes && { changes: p.changes }),
      ...(p.escalation && { escalation: p.escalation }),
      ...(this.opts.link && { link: this.opts.link(inc.id) }),
    });
  }

  private onOutcome(row: OutboxRow, o: DeliveryOutcome): void {
    const now = this.clock();
    const dk = `${row.vendor} ${o.type}`;
    this.deliveryCounts.set(dk, (this.deliveryCounts.get(dk) ?? 0) + 1);
    if (o.type === 'delivered' && row.action === 'open') {
      const tk = `${row.vendor} ${(row.payload as RowPayload).incident.severity}`;
      this.ticketCounts.set(tk, (this.ticketCounts.get(tk) ?? 0) + 1);
    }
    if (o.type === 'delivered') {
      this.stats.delivered++;
      const detail = { vendor: row.vendor, ...(o.result.ref !== undefined && { ref: o.result.ref }), attempts: o.attempts, delayMs: o.delayMs };
      if (row.action === 'open') this.act(row.incidentId, 'tickets', 'ticket-opened', detail, now);
      else if (row.action === 'resolve') this.act(row.incidentId, 'tickets', 'ticket-resolved', detail, now);
      else if (row.action === 'escalate') this.act(row.incidentId, 'sla', 'escalation-delivered', { ...detail, step: ((row.payload as RowPayload).escalation?.step ?? 0) + 1 }, now);
    } else if (o.type === 'retry') {
      this.stats.retries++;
      // Once per row: "the vendor endpoint is failing" is news, every retry is not.
      if (o.attempts === 1) this.act(row.incidentId, 'tickets', 'ticket-delivery-retrying', { vendor: row.vendor, ticket: row.action, error: o.error }, now);
    } else {
      this.stats.failed++;
      this.act(row.incidentId, 'tickets', 'ticket-failed', { vendor: row.vendor, ticket: row.action, attempts: o.attempts, error: o.error }, now);
    }
  }

  // ── helpers ────────────────────────────────────────────────────────────────────────────────

  private incident(id: string): Incident | undefined {
    try {
      return this.hub.store.incident(id)?.data as Incident | undefined;
    } catch {
      return undefined;
    }
  }

  private act(incidentId: string, by: 'tickets' | 'sla', action: string, detail: Record<string, unknown>, now: number): void {
    try {
      const stored = this.hub.store.incident(incidentId);
      const inc = stored?.data as Incident | undefined;
      const current = inc && this.hub.incidents.byDedupKey?.(inc.key);
      if (stored && inc && current && current.id !== incidentId) {
        // A later incident holds this key in the manager: acting through it would put the old one
        // back in its place. Append the entry to the old incident's timeline in the store only.
        this.hub.store.upsertIncident(stored, [{ incidentId, t: now, type: 'action', data: { by, action, ...detail } }]);
        return;
      }
      this.hub.incidents.act(incidentId, { type: 'action', by, action, detail }, now);
    } catch (err) {
      this.log?.warn({ err, incidentId, action }, 'could not record a ticket step on the incident timeline');
    }
  }
}

/**
 * The outbox on the hub's store: needs the SQLite store (its `database` accessor; the file is
 * locked exclusively, so the outbox shares the store's connection).
 */
export function outboxFor(store: Store): OutboxStore {
  const db = (store as { database?: ConstructorParameters<typeof OutboxStore>[0] }).database;
  if (!db) throw new Error('the tickets outbox needs the SQLite store (SqliteStore.database)');
  return new OutboxStore(db);
}

const HELD = 'ticket-held';
const RELEASED = 'ticket-released';

/** Whether an incident's timeline says a silence holds its tickets now (the current recurrence). */
export function heldOnTimeline(entries: readonly { type: string; data: unknown }[]): boolean {
  let held = false;
  for (const e of entries) {
    const d = e.data as { by?: unknown; action?: unknown };
    if (e.type === 'reopened') held = false;
    else if (e.type === 'action' && d.by === 'tickets' && (d.action === HELD || d.action === RELEASED)) held = d.action === HELD;
  }
  return held;
}

/** `incident/vendor/action`: the idempotency key of one outbox row. */
export function rowKey(incidentId: string, vendor: string, action: string): string {
  return `${incidentId}/${vendor}/${action}`;
}

/** What an incident.updated means for the vendor, one line each (ticket machinery and notes left out). */
function changeLines(entries: readonly TimelineEntry[]): string[] {
  const out: string[] = [];
  for (const e of entries) {
    const d = e.data;
    const by = typeof d.by === 'string' ? d.by : undefined;
    if (by !== undefined && TICKET_ACTORS.has(by)) continue;
    switch (e.type) {
      case 'region-seen':
        out.push(`region ${String(d.region)} now affected (${String(d.level)})`);
        break;
      case 'action':
        out.push(`${by ?? 'controller'}: ${String(d.action)}${d.to !== undefined ? ` → ${String(d.to)}` : ''}`);
        break;
      case 'mitigating':
        out.push(`mitigating${by ? ` (${by})` : ''}${d.action !== undefined ? `: ${String(d.action)}` : ''}`);
        break;
      case 'acknowledged':
        out.push(`acknowledged by ${by ?? 'operator'}`);
        break;
      case 'escalated':
        out.push(`escalated by ${by ?? 'controller'} (${String(d.reason)}): at least ${String(d.severity)}${d.why !== undefined ? ` — ${String(d.why)}` : ''}`);
        break;
      default:
        break;
    }
  }
  return out;
}
