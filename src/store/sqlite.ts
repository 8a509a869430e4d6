import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { log, type Logger } from '../shared/log.ts';
import type { Sample } from '../model/sample.ts';
import { HistoryWorkerClient } from './history-worker-client.ts';
import { DataDirLock } from './lock-file.ts';
import { MIGRATIONS } from './migrations.ts';
import { attachSampleFiles, SampleInbox, SampleMerger, sampleFilesFor, type SampleFiles } from './sample-history.ts';
import { SAMPLE_COLUMNS } from './sample-row.ts';
import type { AuditEntry, SampleQuery, SampleRollup, Store, StoredIncident, TimelineEntry } from './store.ts';

/** The database file could not be opened safely; the message says which file and what to do. */
export class StoreOpenError extends Error {
  override name = 'StoreOpenError';
}

interface IncidentRow {
  id: string;
  key: string;
  status: string;
  severity: string;
  opened_at: number;
  resolved_at: number | null;
  data: string;
}

/** Merged inbox rows deleted per event-loop turn (≈ 1–2 ms). */
const DROP_SLICE_ROWS = 5000;

export interface SqliteStoreOptions {
  /** Default: the root logger (a stale data dir lock taken over is always logged). */
  logger?: Logger;
  /** How often the history worker merges the inbox into the sample history (default 1000 ms: at 50k samples/s a merge of 1 s of rows costs half as much per sample as one of 250 ms, bench/sample-table.ts). */
  mergeEveryMs?: number;
  /** Checkpoint period of the hub's own file (incidents, audit, outbox: small writes); default 5000 ms. */
  checkpointEveryMs?: number;
}

/**
 * The embedded store: incidents, timeline, audit (and the tickets outbox, silences) in the hub's
 * database file; raw samples and rollups in the two-tier sample history beside it
 * (src/store/sample-history.ts), merged by a worker thread. `:memory:` keeps everything in one
 * connection and merges inline (tests). One store per data dir (the directory of `file`), guarded
 * by its lock file (src/store/lock-file.ts); the files stay readable by other processes (WAL), so
 * they can be queried and backed up (src/store/backup.ts) while the hub runs.
 */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly stmts;
  private readonly inbox: SampleInbox;
  private readonly worker: HistoryWorkerClient | undefined;
  private readonly inlineMerger: SampleMerger | undefined;
  private readonly lock: DataDirLock | undefined;
  private checkpointTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly file: string,
    opts: SqliteStoreOptions = {},
  ) {
    const files = sampleFilesFor(file);
    if (file !== ':memory:') this.lock = lockDataDir(dirname(file), opts.logger ?? log);
    try {
      this.db = openChecked(file, files);
    } catch (err) {
      this.lock?.release();
      throw err;
    }
    this.inbox = new SampleInbox(this.db);
    if (files === 'memory') this.inlineMerger = new SampleMerger(this.db);
    else {
      // Merged rows leave the inbox a slice per event-loop turn, between acks.
      const drop = (through: number) => {
        if (this.db.open && this.inbox.dropMerged(through, DROP_SLICE_ROWS)) setImmediate(drop, through);
      };
      // This connection never checkpoints on commit (openChecked): its own file is checkpointed
      // here, whether or not samples flow (the history worker checkpoints the inbox).
      this.checkpointTimer = setInterval(() => this.db.open && this.db.pragma('main.wal_checkpoint(PASSIVE)'), opts.checkpointEveryMs ?? 5000);
      this.checkpointTimer.unref();
      this.worker = new HistoryWorkerClient({ files, mergeEveryMs: opts.mergeEveryMs ?? 1000, cacheMiB: 64 }, drop, opts.logger);
    }
    this.stmts = {
      upsertIncident: this.db.prepare(
        `INSERT INTO incidents (id, key, status, severity, opened_at, resolved_at, data)
         VALUES (@id, @key, @status, @severity, @openedAt, @resolvedAt, @data)
         ON CONFLICT(id) DO UPDATE SET status = excluded.status, severity = excluded.severity,
           resolved_at = excluded.resolved_at, data = excluded.data`,
      ),
      addTimeline: this.db.prepare('INSERT INTO timeline (incident_id, t, type, data) VALUES (?, ?, ?, ?)'),
      openIncidents: this.db.prepare("SELECT * FROM incidents WHERE status <> 'resolved' ORDER BY opened_at"),
      incident: this.db.prepare('SELECT * FROM incidents WHERE id = ?'),
      timeline: this.db.prepare('SELECT incident_id, t, type, data FROM timeline WHERE incident_id = ? ORDER BY id'),
      audit: this.db.prepare('INSERT INTO audit (t, actor, action, target, reason, data) VALUES (?, ?, ?, ?, ?, ?)'),
      auditLog: this.db.prepare('SELECT t, actor, action, target, reason, data FROM audit ORDER BY id DESC LIMIT ?'),
    };
  }

  /**
   * The open connection, for companion tables on the same file (the tickets outbox,
   * src/store/outbox.ts, silences): one writing connection per file, so the hub's writes never
   * wait on each other's locks.
   */
  get database(): Database.Database {
    return this.db;
  }

  upsertIncident(incident: StoredIncident, timeline: TimelineEntry[]): void {
    this.db.transaction(() => {
      this.stmts.upsertIncident.run({ ...incident, resolvedAt: incident.resolvedAt ?? null, data: JSON.stringify(incident.data) });
      for (const e of timeline) this.stmts.addTimeline.run(e.incidentId, e.t, e.type, JSON.stringify(e.data));
    })();
  }

  openIncidents(): StoredIncident[] {
    return (this.stmts.openIncidents.all() as IncidentRow[]).map(toIncident);
  }

  incident(id: string): StoredIncident | undefined {
    const row = this.stmts.incident.get(id) as IncidentRow | undefined;
    return row && toIncident(row);
  }

  timeline(incidentId: string): TimelineEntry[] {
    return (this.stmts.timeline.all(incidentId) as { incident_id: string; t: number; type: string; data: string }[]).map((r) => ({
      incidentId: r.incident_id,
      t: r.t,
      type: r.type,
      data: JSON.parse(r.data) as unknown,
    }));
  }

  audit(e: AuditEntry): void {
    this.stmts.audit.run(e.t, e.actor, e.action, e.target, e.reason, e.data === undefined ? null : JSON.stringify(e.data));
  }

  auditLog(limit: number): AuditEntry[] {
    return (this.stmts.auditLog.all(limit) as (Omit<AuditEntry, 'data'> & { data: string | null })[]).map((r) => ({
      ...r,
      data: r.data === null ? undefined : (JSON.parse(r.data) as unknown),
    }));
  }

  /** Durable on return (the inbox); identical resends are stored once. */
  addSamples(samples: readonly Sample[]): void {
    this.inbox.append(samples);
    if (!this.worker) this.inbox.dropMerged(this.inlineMerger!.merge());
  }

  lastSeq(probe: string): number | undefined {
    return this.inbox.lastSeq(probe);
  }

  samples(q: SampleQuery): Sample[] {
    return this.inbox.samples(q);
  }

  rollups(q: SampleQuery): SampleRollup[] {
    return this.inbox.rollups(q);
  }

  /** In the history worker (merging the inbox first), so the hub's thread is not blocked by it. */
  async compact(rawBefore: number, rollupBefore: number): Promise<{ rolledUp: number; prunedRollups: number }> {
    if (this.worker) return this.worker.compact(rawBefore, rollupBefore);
    const r = this.inlineMerger!.compact(rawBefore, rollupBefore);
    this.inbox.dropMerged(this.inlineMerger!.merged);
    return r;
  }

  unmerged(): number {
    return this.inbox.pending;
  }

  close(): void {
    clearInterval(this.checkpointTimer);
    this.worker?.close();
    if (this.db.open) this.db.close();
    this.lock?.release();
  }
}

function toIncident(r: IncidentRow): StoredIncident {
  return {
    id: r.id,
    key: r.key,
    status: r.status,
    severity: r.severity,
    openedAt: r.opened_at,
    resolvedAt: r.resolved_at ?? undefined,
    data: JSON.parse(r.data) as unknown,
  };
}

/** Creates the data dir and takes its lock; refuses one another running hub holds, naming it. */
function lockDataDir(dir: string, logger: Logger): DataDirLock {
  let lock: ReturnType<typeof DataDirLock.acquire>;
  try {
    mkdirSync(dir, { recursive: true });
    lock = DataDirLock.acquire(dir, logger);
  } catch (err) {
    throw new StoreOpenError(`${dir}: cannot lock the data dir: ${(err as Error).message}`);
  }
  if (lock instanceof DataDirLock) return lock;
  if (lock.byThisProcess) throw new StoreOpenError(`${dir}: this process already has a store open on this data dir (${lock.file}); close it first`);
  const holder = lock.pid === undefined ? 'a hub starting at this moment' : `hub PID ${lock.pid}`;
  throw new StoreOpenError(`${dir}: database is locked by another process (${holder} holds ${lock.file}); is another hub running on this data dir? Stop it first`);
}

/** Opens with WAL, attaches the sample tiers and applies migrations; refuses a corrupt, foreign or newer file loudly. */
function openChecked(file: string, sampleFiles: SampleFiles): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { timeout: 2000 });
    // WAL: readers (ad-hoc queries, `streamguard backup`) never block this writer, nor it them.
    db.pragma('main.journal_mode = WAL');
    // WAL + NORMAL: a commit is in the WAL file when it returns, so an acked sample survives a
    // hub process crash (not an OS crash or power cut: the WAL is fsynced only at checkpoints).
    db.pragma('main.synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    const check = db.pragma('main.quick_check', { simple: true });
    if (check !== 'ok') throw new StoreOpenError(`${file}: database is corrupt (quick_check: ${String(check)}); restore a backup or move it away`);
    attachSampleFiles(db, sampleFiles, 16);
    // No checkpoint on commit: it would also checkpoint the inbox on the ack path (a 1,000-page
    // checkpoint held one commit for ≈ 70 ms). The history worker checkpoints the inbox after
    // each merge; the hub's own file is checkpointed on a timer (see the constructor).
    if (sampleFiles !== 'memory') db.pragma('wal_autocheckpoint = 0');
    migrate(db, file);
    return db;
  } catch (err) {
    db?.close();
    if (err instanceof StoreOpenError) throw err;
    const code = (err as { code?: string }).code ?? '';
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw new StoreOpenError(`${file}: not a valid streamguard database (${code}); restore a backup or move it away — nothing was overwritten`);
    }
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      // Not another hub (the data dir lock is taken first): a tool writing to the file.
      throw new StoreOpenError(`${file}: database is locked by another process (${code}) for more than 2 s; is a tool writing to it (a sqlite3 shell in a transaction)? End that and start again`);
    }
    throw new StoreOpenError(`${file}: cannot open database: ${(err as Error).message}`);
  }
}

function migrate(db: Database.Database, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new StoreOpenError(`${file}: database schema v${version} is newer than this streamguard (v${MIGRATIONS.length}); upgrade streamguard`);
  }
  MIGRATIONS.slice(version).forEach((sql, i) => {
    if (version + i + 1 === SAMPLES_MOVED_OUT) moveSamplesToHistory(db);
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`main.user_version = ${version + i + 1}`);
    })();
  });
}

/** The migration that drops the samples tables from the hub's file (their rows are in the history by then). */
const SAMPLES_MOVED_OUT = 5;

/**
 * Copies a v4 file's raw samples, rollups and per-probe high-water marks into the sample history.
 * Idempotent (a crash before migration 5 drops the old tables copies them again, ignored).
 */
function moveSamplesToHistory(db: Database.Database): void {
  db.transaction(() => {
    db.exec(`
      INSERT OR IGNORE INTO history.samples (${SAMPLE_COLUMNS}) SELECT ${SAMPLE_COLUMNS} FROM main.samples;
      INSERT OR IGNORE INTO history.sample_streams (stream) SELECT DISTINCT stream FROM main.samples;
      INSERT OR IGNORE INTO history.sample_rollups SELECT * FROM main.sample_rollups;
      INSERT INTO inbox.probe_seqs (probe, seq) SELECT probe, MAX(seq) FROM main.samples WHERE true GROUP BY probe
        ON CONFLICT(probe) DO UPDATE SET seq = MAX(seq, excluded.seq);
    `);
  })();
}
