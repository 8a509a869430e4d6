import type { Incident, TimelineEntry } from '../model/incident.ts';
import type { Sample } from '../model/sample.ts';
import type { StreamConfig } from '../model/stream.ts';
import type { Fence } from './fence.ts';

/**
 * The storage ports: one repository per kind of state, declared here, implemented once per
 * engine (src/store/sqlite/: the embedded default; src/store/postgres/: the shared store of a
 * cluster of hubs). Modules take the narrowest one they need (often a Pick of one) and never see
 * the engine. The same contract suites (test/store/contract/) run against both.
 *
 * Every method is async so that a networked engine fits. Writes take effect in call order, and a
 * read sees every write called before it, awaited or not: SQLite does its work synchronously
 * inside the call; PostgreSQL runs a store's statements one after another on one session. So a
 * caller that does not await a write still finds it written; callers await reads, and await a
 * write whose durability they promise to someone else (SampleHistory.append, below).
 *
 * Fencing: the writes that record or cause a side effect of a hub's decision (an audit entry, a
 * ticket and every mark of its delivery, an SLA clock, the controller's state) take an optional Fence (src/store/fence.ts). PostgreSQL, shared
 * by a cluster, refuses a stale one with FencedError, writing nothing; SQLite (one hub, no
 * leases) accepts every write.
 */

// ---- incidents and their timelines ------------------------------------------------------------

export interface IncidentRepository {
  /**
   * Writes the incident (insert or replace) and appends the timeline entries, atomically; behind
   * `fence` (the lease of the incident's stream the change was decided under), when given.
   */
  save(incident: Incident, entries: readonly TimelineEntry[], fence?: Fence): Promise<void>;
  /** Incidents not resolved, oldest first. */
  open(): Promise<Incident[]>;
  get(id: string): Promise<Incident | undefined>;
  timeline(incidentId: string): Promise<TimelineEntry[]>;
  /** Incidents live at some time in [from, to) — opened before `to`, not resolved before `from` — newest opened first. */
  history(query: IncidentHistoryQuery): Promise<Incident[]>;
}

export interface IncidentHistoryQuery {
  from: number;
  to: number;
  /** Only this stream's incidents (keys `stream/…`). */
  stream?: string;
  limit: number;
}

// ---- audit log ---------------------------------------------------------------------------------

export interface AuditEntry {
  t: number;
  /** user, token name or policy */
  actor: string;
  action: string;
  target: string;
  reason: string;
  data?: unknown;
}

export interface AuditLog {
  append(entry: AuditEntry, fence?: Fence): Promise<void>;
  /** Newest first. */
  recent(limit: number): Promise<AuditEntry[]>;
  /** Entries with `from` ≤ t < `to`, newest first, at most `limit`. */
  range(query: AuditRangeQuery): Promise<AuditEntry[]>;
  /**
   * The controller's entries (`control.*`) about each of `streams` (src/store/audit-stream.ts), at
   * most `perStream` of each, newest first: what a restart or a takeover reads back, whatever the
   * rest of the log (other streams, other hubs of a cluster) wrote since.
   */
  controlOf(streams: readonly string[], perStream: number): Promise<AuditEntry[]>;
}

export interface AuditRangeQuery {
  from: number;
  to: number;
  limit: number;
}

// ---- sample history ----------------------------------------------------------------------------

/** Per-minute aggregate of raw samples for one (stream, line, region). */
export interface SampleRollup {
  minute: number; // unix ms, start of the minute
  stream: string;
  line: string;
  region: string;
  samples: number;
  connectedRatio: number;
  fpsAvg: number;
  bitrateAvg: number;
  stallMs: number;
  freezeMs: number;
  maxGapMs: number;
  latencyAvgMs: number | null;
}

export interface SampleQuery {
  stream: string;
  line?: string;
  region?: string;
  from: number;
  to: number;
}

export interface SampleHistory {
  /**
   * Resolves once the samples are durable; identical resends are stored once. The uplink acks a
   * probe's samples only after this resolved (a probe drops what was acked), so an ack never
   * covers a sample a crash could lose. It was synchronous while SQLite was the only engine; a
   * networked engine cannot be durable on return, so every engine now says when it is by
   * resolving (SQLite still writes inside the call and resolves at once). Ingest awaits one append
   * at a time, so batches commit in order and a flush covers everything queued before it.
   */
  append(samples: readonly Sample[]): Promise<void>;
  /** Highest seq of a probe ever stored, for dedup across hub restarts. */
  lastSeq(probe: string): Promise<number | undefined>;
  samples(query: SampleQuery): Promise<Sample[]>;
  rollups(query: SampleQuery): Promise<SampleRollup[]>;
  /** Rolls raw samples older than `rawBefore` into minutes, drops rollups older than `rollupBefore`. */
  compact(rawBefore: number, rollupBefore: number): Promise<{ rolledUp: number; prunedRollups: number }>;
  /**
   * Appended samples not yet in the by-stream history (a growing number: merging is behind).
   * Engines without a second tier (PostgreSQL) answer the samples of appends still in flight.
   */
  unmerged(): number;
}

// ---- tickets: outbox, vendor references, SLA timers --------------------------------------------

/** `merged`: never sent by itself; a later message of its (incident, vendor) said what it had to say (TicketOutbox.merge). */
export type OutboxStatus = 'pending' | 'delivered' | 'failed' | 'merged';

export interface OutboxRow {
  id: number;
  /** Idempotency key `incident/vendor/action`. */
  key: string;
  incidentId: string;
  vendor: string;
  action: string;
  payload: unknown;
  status: OutboxStatus;
  attempts: number;
  createdAt: number;
  nextAt: number;
  deliveredAt?: number;
  lastError?: string;
  ref?: string;
}

export interface NewOutboxRow {
  key: string;
  incidentId: string;
  vendor: string;
  action: string;
  payload: unknown;
  createdAt: number;
  /** First attempt not before (default createdAt). */
  nextAt?: number;
}

/**
 * The durable ticket outbox: one row per idempotency key (enqueueing a key twice is a no-op, so
 * replaying events after a restart never makes a second ticket); rows of one (incident, vendor)
 * are due in order (an update never overtakes the ticket it updates).
 */
export interface TicketOutbox {
  /** Inserts a row unless its key exists. Resolves true when inserted. */
  enqueue(row: NewOutboxRow, fence?: Fence): Promise<boolean>;
  /**
   * Pending rows whose time has come and whose (incident, vendor) predecessors are all settled,
   * oldest first; only rows after `afterId` (a page on: a hub of a cluster skips the rows of the
   * shards other hubs own).
   */
  due(now: number, limit: number, afterId?: number): Promise<OutboxRow[]>;
  get(key: string): Promise<OutboxRow | undefined>;
  forIncident(incidentId: string): Promise<OutboxRow[]>;
  recent(limit: number): Promise<OutboxRow[]>;
  /** Incidents that got any row since `since` (restart catch-up). */
  incidentIds(since: number): Promise<string[]>;
  /** Rows still pending, by incident (a hub of a cluster counts those of the incidents it acts on). */
  pendingByIncident(): Promise<Map<string, number>>;
  /**
   * Marks a row still pending delivered and, for a ticket the vendor numbered, remembers the
   * vendor's reference: the first one it gave (the open's; one ticket per incident and vendor).
   */
  markDelivered(row: Pick<OutboxRow, 'id' | 'incidentId' | 'vendor'>, now: number, ref?: string, fence?: Fence): Promise<void>;
  /**
   * Rewrites a pending row that is not due yet (next_at > `now`: a row that is due may be on its
   * way to the vendor): its payload (a held update taking in later changes) and when it is due (a
   * held update released early). Resolves false, changing nothing, when the row is due, settled or
   * unknown.
   */
  amend(key: string, change: { payload?: unknown; nextAt?: number }, now: number, fence?: Fence): Promise<boolean>;
  /**
   * Settles a pending row that is not due yet as `merged`: a later message says what it had to
   * (a held update the resolve takes in). Resolves false, changing nothing, when the row is due,
   * settled or unknown.
   */
  merge(key: string, now: number, fence?: Fence): Promise<boolean>;
  markRetry(id: number, nextAt: number, error: string, fence?: Fence): Promise<void>;
  markFailed(id: number, error: string, fence?: Fence): Promise<void>;
  /** The vendor's ticket reference for an incident, once the ticket exists. */
  ref(incidentId: string, vendor: string): Promise<string | undefined>;
}

export interface SlaRow {
  incidentId: string;
  done: boolean;
  data: unknown;
}

export interface SlaTimers {
  save(incidentId: string, data: unknown, done: boolean, fence?: Fence): Promise<void>;
  get(incidentId: string): Promise<SlaRow | undefined>;
  /** SLA states not yet finished (restart recovery). */
  active(): Promise<SlaRow[]>;
}

// ---- operator silences -------------------------------------------------------------------------

export interface SilenceRepository {
  /** Insert or replace by id; `data` is the silence as the API holds it (plain JSON). */
  save(silence: { id: string; until: number }): Promise<void>;
  remove(id: string): Promise<void>;
  /** Silences still active at `now` (expired ones are dropped). */
  active(now: number): Promise<unknown[]>;
}

// ---- control state: what the controller decided, so a hub restart keeps it ---------------------

export interface StoredControlState {
  stream: string;
  /** The controller's document for the stream (src/control/persisted-state.ts; plain JSON). */
  data: unknown;
  updatedAt: number;
}

/**
 * The controller's state per stream that must outlive the hub process: the decided and served
 * line and features, operator pins (who, why, until), a failback hold, and the recent switch and
 * failover times flap damping counts. One document per stream, replaced whole.
 */
export interface ControlStateRepository {
  save(stream: string, data: unknown, at: number, fence?: Fence): Promise<void>;
  /** Every stream's last saved state (restart recovery). */
  all(): Promise<StoredControlState[]>;
  /** A stream removed from the config leaves no state behind. */
  remove(stream: string): Promise<void>;
}

// ---- streams added, changed and removed at run time ---------------------------------------------

/**
 * One stream's run-time state, overlaid on the config file's streams (src/config/stream-overlay.ts):
 * a full definition (added, or a file stream changed) or `null` (a file stream removed). Who
 * changed it last, when and why; the audit log keeps every change before it.
 */
export interface StreamRegistryEntry {
  id: string;
  /** Valid by the config's StreamSchema (checked when written and when read); null: removed. */
  stream: StreamConfig | null;
  /** A token name, or `discovery:<source>`. */
  by: string;
  at: number;
  reason: string;
  /** The discovery source that added it: it retires only what it added. */
  source?: string;
}

export interface StreamRegistry {
  /** Inserts or replaces the entry of `entry.id`; refuses a definition StreamSchema does not accept. */
  put(entry: StreamRegistryEntry): Promise<void>;
  /** Drops the entry of `id` (the config file alone decides about that stream again); unknown ids are a no-op. */
  forget(id: string): Promise<void>;
  /** Every entry, by id. */
  all(): Promise<StreamRegistryEntry[]>;
  /**
   * A token that changes whenever any hub puts or forgets an entry, read without the definitions
   * (cheap enough to poll every half second). Only a registry several hubs share has it
   * (PostgreSQL): each hub polls it to follow the others' changes (src/app/run-time-streams.ts).
   */
  version?(): Promise<string>;
}

// ---- the whole store, as the wiring opens it ---------------------------------------------------

export interface Store {
  readonly incidents: IncidentRepository;
  readonly audit: AuditLog;
  readonly samples: SampleHistory;
  readonly outbox: TicketOutbox;
  readonly sla: SlaTimers;
  readonly silences: SilenceRepository;
  readonly control: ControlStateRepository;
  readonly streams: StreamRegistry;
  /** Releases the engine (SQLite: the files and their lock; PostgreSQL: the pool, after the statements in flight). */
  close(): void | Promise<void>;
}
