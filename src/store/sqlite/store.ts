import Database from 'better-sqlite3';
import { accessSync, constants, mkdirSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { log, type Logger } from '../../common/log.ts';
import { DataDirLock } from '../lock-file.ts';
import { StoreOpenError } from '../open-error.ts';
import type { Store } from '../ports.ts';
import { SqliteAuditLog } from './audit.ts';
import { SqliteControlStateRepository } from './control-state.ts';
import { SqliteIncidentRepository } from './incidents.ts';
import { MIGRATIONS } from './migrations.ts';
import { SqliteTicketOutbox } from './outbox.ts';
import { attachSampleFiles, SampleInbox, sampleFilesFor, type SampleFiles } from './sample-history.ts';
import { SAMPLE_COLUMNS } from '../sample-row.ts';
import { SqliteSampleHistory } from './samples.ts';
import { SqliteSilenceRepository } from './silences.ts';
import { SqliteSlaTimers } from './sla.ts';
import { SqliteStreamRegistry } from './stream-registry.ts';
import { logExcursion, WAL_BOUNDS, walBytes, WalGuard, type StoreFileName, type WalBound } from './wal-guard.ts';


export interface SqliteStoreOptions {
  /** Default: the root logger (a stale data dir lock taken over is always logged). */
  logger?: Logger;
  /** How often the history worker merges the inbox into the sample history (default 1000 ms: at 50k samples/s a merge of 1 s of rows costs half as much per sample as one of 250 ms, bench/sample-table.ts). */
  mergeEveryMs?: number;
  /** Checkpoint period of the hub's own file (incidents, audit, outbox: small writes); default 5000 ms. */
  checkpointEveryMs?: number;
  /** Each file's WAL bound (default WAL_BOUNDS, the documented ones; tests use smaller ones). */
  walBounds?: Partial<Record<StoreFileName, WalBound>>;
}

/**
 * The embedded store: incidents, timeline, audit, the tickets outbox and SLA timers, silences and
 * the run-time streams in the hub's database file, with the controller's state; raw samples and rollups in the two-tier sample history beside it
 * (src/store/sqlite/sample-history.ts), merged by a worker thread. `:memory:` keeps everything in
 * one connection and merges inline (tests). One store per data dir (the directory of `file`),
 * guarded by its lock file (src/store/lock-file.ts); the files stay readable by other processes
 * (WAL), so they can be queried and backed up (src/store/backup.ts) while the hub runs.
 *
 * Every repository shares this one writing connection (the hub's writes never wait on each
 * other's locks); each does its work synchronously inside its async methods (durable on return).
 */
export class SqliteStore implements Store {
  readonly incidents: SqliteIncidentRepository;
  readonly audit: SqliteAuditLog;
  readonly samples: SqliteSampleHistory;
  readonly outbox: SqliteTicketOutbox;
  readonly sla: SqliteSlaTimers;
  readonly silences: SqliteSilenceRepository;
  readonly control: SqliteControlStateRepository;
  readonly streams: SqliteStreamRegistry;
  private readonly db: Database.Database;
  private readonly lock: DataDirLock | undefined;
  private readonly checkpointTimer: NodeJS.Timeout | undefined;
  private readonly wals: { file: StoreFileName; path: string; boundBytes: number }[] = [];

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
    const logger = opts.logger ?? log;
    const bounds = { ...WAL_BOUNDS, ...opts.walBounds };
    const inbox = new SampleInbox(this.db);
    this.incidents = new SqliteIncidentRepository(this.db);
    this.audit = new SqliteAuditLog(this.db);
    this.samples = new SqliteSampleHistory(this.db, inbox, files, { mergeEveryMs: opts.mergeEveryMs ?? 1000, walBounds: { inbox: bounds.inbox, history: bounds.history }, logger });
    this.outbox = new SqliteTicketOutbox(this.db);
    this.sla = new SqliteSlaTimers(this.db);
    this.silences = new SqliteSilenceRepository(this.db);
    this.control = new SqliteControlStateRepository(this.db);
    this.streams = new SqliteStreamRegistry(this.db);
    if (files !== 'memory') {
      // This connection never checkpoints on commit (openChecked): its own file is checkpointed
      // here, whether or not samples flow (the history worker checkpoints the inbox and history).
      const guard = new WalGuard(this.db, 'main', file, 'hub', bounds.hub, (e) => logExcursion(logger, e));
      // The hub writes the inbox: a WAL it starts over is cut back to the inbox's limit here.
      this.db.pragma(`inbox.journal_size_limit = ${bounds.inbox.limitBytes}`);
      const checkpoint = () => {
        try {
          if (this.db.open) guard.checkpoint();
        } catch (err) {
          logger.error({ err }, `checkpointing ${file} failed; retried in the next period`);
        }
      };
      this.checkpointTimer = setInterval(checkpoint, opts.checkpointEveryMs ?? 5000);
      this.checkpointTimer.unref();
      for (const [name, path] of [['hub', file], ['inbox', files.inbox], ['history', files.history]] as const) this.wals.push({ file: name, path: `${path}-wal`, boundBytes: bounds[name].boundBytes });
    }
  }

  /** Each file's WAL size now, with its bound (none for an in-memory store): for /metrics. */
  walFiles(): { file: StoreFileName; walBytes: number; boundBytes: number }[] {
    return this.wals.map((w) => ({ file: w.file, walBytes: walBytes(w.path), boundBytes: w.boundBytes }));
  }

  close(): void {
    clearInterval(this.checkpointTimer);
    this.samples.close();
    if (this.db.open) this.db.close();
    this.lock?.release();
  }
}

/** Creates the data dir and takes its lock; refuses one another running hub holds, naming it. */
function lockDataDir(dir: string, logger: Logger): DataDirLock {
  let lock: ReturnType<typeof DataDirLock.acquire>;
  prepareDataDir(dir);
  try {
    lock = DataDirLock.acquire(dir, logger);
  } catch (err) {
    throw new StoreOpenError(`${dir}: cannot lock the data dir: ${(err as Error).message}`);
  }
  if (lock instanceof DataDirLock) return lock;
  if (lock.byThisProcess) throw new StoreOpenError(`${dir}: this process already has a store open on this data dir (${lock.file}); close it first`);
  const holder = lock.pid === undefined ? 'a hub starting at this moment' : `hub PID ${lock.pid}`;
  throw new StoreOpenError(`${dir}: database is locked by another process (${holder} holds ${lock.file}); is another hub running on this data dir? Stop it first`);
}

/**
 * Creates the data dir if need be and checks the hub can write there, saying in one line what is
 * wrong with which path (a file in the way, no permission, a read-only file system).
 */
function prepareDataDir(dir: string): void {
  const kind = existing(dir);
  if (kind && !kind.isDirectory()) throw new StoreOpenError(`data dir ${dir} is a file, not a directory`);
  if (!kind) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      const code = (err as { code?: string }).code;
      const blocker = code === 'ENOTDIR' || code === 'EEXIST' ? fileOnTheWay(dir) : undefined;
      throw new StoreOpenError(`data dir ${dir} cannot be created: ${blocker ? `${blocker} is a file, not a directory` : reason(err)}`);
    }
  }
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new StoreOpenError(`data dir ${dir} is not writable (${reason(err)})`);
  }
}

/** The nearest ancestor of `path` that exists and is not a directory. */
function fileOnTheWay(path: string): string | undefined {
  for (let p = dirname(path); p !== dirname(p); p = dirname(p)) {
    const st = existing(p);
    if (st) return st.isDirectory() ? undefined : p;
  }
  return undefined;
}

/**
 * What is at `path`, or undefined when nothing is found there: also when a file stands where a
 * parent dir should, or a parent may not be searched (mkdir then says which).
 */
function existing(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function reason(err: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'read-only file system';
  if (code === 'ENOSPC') return 'no space left on the device';
  return (err as Error).message;
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
  // The columns a v4 table has: Sample fields added later stay null in the copied rows.
  const v4 = db.prepare(`SELECT name FROM pragma_table_info('samples', 'main')`).pluck().all() as string[];
  const columns = SAMPLE_COLUMNS.split(', ').filter((c) => v4.includes(c)).join(', ');
  db.transaction(() => {
    db.exec(`
      INSERT OR IGNORE INTO history.samples (${columns}) SELECT ${columns} FROM main.samples;
      INSERT OR IGNORE INTO history.sample_streams (stream) SELECT DISTINCT stream FROM main.samples;
      INSERT OR IGNORE INTO history.sample_rollups SELECT * FROM main.sample_rollups;
      INSERT INTO inbox.probe_seqs (probe, seq) SELECT probe, MAX(seq) FROM main.samples WHERE true GROUP BY probe
        ON CONFLICT(probe) DO UPDATE SET seq = MAX(seq, excluded.seq);
    `);
  })();
}
