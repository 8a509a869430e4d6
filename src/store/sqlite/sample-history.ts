import type Database from 'better-sqlite3';
import type { Sample } from '../../model/sample.ts';
import { rowSample, SAMPLE_COLUMNS, sampleValues, type SampleRow } from '../sample-row.ts';
import { SAMPLE_COLUMN_DEFS } from './sample-columns.ts';
import type { SampleQuery, SampleRollup } from '../ports.ts';
import { MINUTE_MS as MINUTE, toRollup, wholeMinutesBefore, type RollupRow } from '../rollup-row.ts';

/**
 * Raw sample history in two tiers, so that accepting a sample costs an append and not a write
 * into a by-stream index:
 *
 *   ack path (hub thread):  batch ─▶ inbox.sample_inbox (append-only, one transaction) ─▶ ack
 *   merge (history worker): inbox rows ─▶ history.samples, clustered by (stream, t), in one
 *                           transaction per period ─▶ the hub deletes the merged inbox rows
 *
 * Why: a 500-sample batch of 500 streams touched ≈ 500 leaf pages of the (stream, t) index, each
 * written to the WAL per transaction (≈ 12 µs of CPU per sample); an append touches ≈ 12 pages
 * (≈ 2 µs), and merging a period's rows in stream order writes each stream's pages once
 * (bench/sample-table.ts, bench/RESULTS.md). Reads see both tiers (UNION), so an accepted sample
 * is queryable at once. The inbox is durable, so nothing accepted waits on the merge.
 *
 * The tiers live in their own files next to the hub's database: the hub's connection writes the
 * inbox and only reads the history; the history worker (src/store/sqlite/history-worker.ts) writes the
 * history and only reads the inbox. One writer per file, so neither thread waits on the other's
 * locks. A crash between a merge and the inbox delete merges those rows again: the history's key
 * covers the whole identity of a sample, so they are ignored.
 */

/** Schema of the history file (attached as `history`). */
const HISTORY_SCHEMA = `
  CREATE TABLE IF NOT EXISTS history.samples (${SAMPLE_COLUMN_DEFS}, PRIMARY KEY (stream, t, region, line, probe, seq)) WITHOUT ROWID;
  -- the streams that have raw rows: compaction walks the clustered key stream by stream
  CREATE TABLE IF NOT EXISTS history.sample_streams (stream TEXT PRIMARY KEY) WITHOUT ROWID;
  -- sums, not averages, so that rolling up a minute in two passes merges exactly
  CREATE TABLE IF NOT EXISTS history.sample_rollups (
    minute INTEGER NOT NULL, stream TEXT NOT NULL, line TEXT NOT NULL, region TEXT NOT NULL,
    samples INTEGER NOT NULL, connected INTEGER NOT NULL, fps_sum REAL NOT NULL, bitrate_sum REAL NOT NULL,
    stall_ms REAL NOT NULL, freeze_ms REAL NOT NULL, max_gap_ms REAL NOT NULL, latency_sum REAL NOT NULL, latency_n INTEGER NOT NULL,
    PRIMARY KEY (stream, line, region, minute)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS history.rollups_minute ON sample_rollups(minute);
`;

/** Schema of the inbox file (attached as `inbox`). */
const INBOX_SCHEMA = `
  -- AUTOINCREMENT: ids never restart when the table is emptied (the worker's watermark relies on it)
  CREATE TABLE IF NOT EXISTS inbox.sample_inbox (id INTEGER PRIMARY KEY AUTOINCREMENT, ${SAMPLE_COLUMN_DEFS});
  -- highest seq accepted per probe: dedup of resends across hub restarts, whatever was merged or pruned
  CREATE TABLE IF NOT EXISTS inbox.probe_seqs (probe TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
`;

/** Rows per INSERT on the ack path: 25 rows per statement cost ≈ 25 % less than one (fewer calls into SQLite). */
const ROWS_PER_INSERT = 25;

function rowParams(rows: number): string {
  const one = `(${SAMPLE_COLUMNS.split(',').map(() => '?').join(', ')})`;
  return Array.from({ length: rows }, () => one).join(', ');
}

/** Where the two tiers are: files next to the hub's database, or in memory (one connection does everything). */
export type SampleFiles = { history: string; inbox: string } | 'memory';

/** `x/streamguard.db` → `x/streamguard.samples.db` and `x/streamguard.inbox.db`. */
export function sampleFilesFor(dbFile: string): SampleFiles {
  if (dbFile === ':memory:') return 'memory';
  const dot = dbFile.lastIndexOf('.');
  const [base, ext] = dot > dbFile.lastIndexOf('/') ? [dbFile.slice(0, dot), dbFile.slice(dot)] : [dbFile, ''];
  return { history: `${base}.samples${ext}`, inbox: `${base}.inbox${ext}` };
}

/** Attaches both tiers to a connection as `history` and `inbox`, in WAL, creating their tables. */
export function attachSampleFiles(db: Database.Database, files: SampleFiles, cacheMiB: number): void {
  const attach = db.prepare('ATTACH DATABASE ? AS ?');
  attach.run(files === 'memory' ? ':memory:' : files.history, 'history');
  attach.run(files === 'memory' ? ':memory:' : files.inbox, 'inbox');
  for (const schema of ['history', 'inbox']) {
    if (files !== 'memory') db.pragma(`${schema}.journal_mode = WAL`);
    // as the hub's own file: a commit is in the WAL when it returns (survives a process crash)
    db.pragma(`${schema}.synchronous = NORMAL`);
  }
  db.pragma(`history.cache_size = -${cacheMiB * 1024}`);
  db.exec(HISTORY_SCHEMA + INBOX_SCHEMA);
  for (const table of ['history.samples', 'inbox.sample_inbox']) addMissingColumns(db, table);
}

/**
 * Sample fields added after a file was created become nullable columns (`ALTER TABLE ADD COLUMN`,
 * no rewrite): files written by an older hub keep their rows, read back without those fields.
 */
function addMissingColumns(db: Database.Database, table: string): void {
  const [schema, name] = table.split('.') as [string, string];
  const have = new Set((db.prepare(`SELECT name FROM pragma_table_info(?, ?)`).all(name, schema) as { name: string }[]).map((c) => c.name));
  for (const def of SAMPLE_COLUMN_DEFS.split(',')) {
    const [column, type] = def.trim().split(/\s+/) as [string, string];
    if (!have.has(column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
  }
}

/**
 * Moves inbox rows into the clustered history, and compacts the history. Runs on the connection
 * that writes the history: the worker's, or the hub's own when the tiers are in memory.
 */
export class SampleMerger {
  private readonly stmts;
  /** Inbox rows up to this id are in the history (this writer's view). */
  private mergedThrough = 0;

  constructor(private readonly db: Database.Database) {
    this.stmts = {
      newest: db.prepare('SELECT MAX(id) FROM inbox.sample_inbox').pluck(),
      move: db.prepare(
        `INSERT OR IGNORE INTO history.samples (${SAMPLE_COLUMNS})
           SELECT ${SAMPLE_COLUMNS} FROM inbox.sample_inbox WHERE id > @from AND id <= @to ORDER BY stream, t, region, line, probe, seq`,
      ),
      streams: db.prepare('INSERT OR IGNORE INTO history.sample_streams (stream) SELECT DISTINCT stream FROM inbox.sample_inbox WHERE id > @from AND id <= @to'),
      rollUp: db.prepare(
        `INSERT INTO history.sample_rollups (minute, stream, line, region, samples, connected, fps_sum, bitrate_sum, stall_ms, freeze_ms, max_gap_ms, latency_sum, latency_n)
         SELECT (s.t / ${MINUTE}) * ${MINUTE} AS m, s.stream, s.line, s.region, COUNT(*), SUM(s.connected), SUM(s.fps), SUM(s.bitrate_bps),
                SUM(s.stall_ms), SUM(s.freeze_ms), MAX(s.max_gap_ms), COALESCE(SUM(s.latency_ms), 0), COUNT(s.latency_ms)
           FROM history.sample_streams AS st CROSS JOIN history.samples AS s
          WHERE s.stream = st.stream AND s.t < @before GROUP BY m, s.stream, s.line, s.region
         ON CONFLICT(stream, line, region, minute) DO UPDATE SET
           samples = samples + excluded.samples, connected = connected + excluded.connected,
           fps_sum = fps_sum + excluded.fps_sum, bitrate_sum = bitrate_sum + excluded.bitrate_sum,
           stall_ms = stall_ms + excluded.stall_ms, freeze_ms = freeze_ms + excluded.freeze_ms,
           max_gap_ms = MAX(max_gap_ms, excluded.max_gap_ms),
           latency_sum = latency_sum + excluded.latency_sum, latency_n = latency_n + excluded.latency_n`,
      ),
      dropRaw: db.prepare('DELETE FROM history.samples WHERE stream IN (SELECT stream FROM history.sample_streams) AND t < ?'),
      dropRollups: db.prepare('DELETE FROM history.sample_rollups WHERE minute < ?'),
    };
  }

  /** Inbox rows up to this id are in the history. */
  get merged(): number {
    return this.mergedThrough;
  }

  /** Moves every inbox row not merged yet into the history, in one transaction; returns the newest id merged (0: none). */
  merge(): number {
    const to = (this.stmts.newest.get() as number | null) ?? 0;
    if (to <= this.mergedThrough) return this.mergedThrough;
    this.db.transaction(() => {
      const range = { from: this.mergedThrough, to };
      this.stmts.move.run(range);
      this.stmts.streams.run(range);
    })();
    this.mergedThrough = to;
    return to;
  }

  /** Merges, then rolls raw samples before `rawBefore` (whole minutes) into rollups and drops rollups before `rollupBefore`. */
  compact(rawBefore: number, rollupBefore: number): { rolledUp: number; prunedRollups: number } {
    this.merge();
    const before = wholeMinutesBefore(rawBefore);
    return this.db.transaction(() => {
      this.stmts.rollUp.run({ before });
      const rolledUp = this.stmts.dropRaw.run(before).changes;
      const prunedRollups = this.stmts.dropRollups.run(rollupBefore).changes;
      return { rolledUp, prunedRollups };
    })();
  }
}

/**
 * The hub thread's side of the history: appends accepted samples to the inbox (durable on
 * return), answers reads from both tiers, and deletes inbox rows once they are merged.
 */
export class SampleInbox {
  private readonly stmts;
  /**
   * Inbox ids per stream, ascending: a stream's inbox rows are spread over the whole table (it
   * has no index, that is its point), so reads look them up by id instead of scanning it.
   */
  private readonly idsByStream = new Map<string, number[]>();
  private rows = 0;

  constructor(private readonly db: Database.Database) {
    const where = `stream = @stream AND t >= @from AND t < @to AND (@line IS NULL OR line = @line) AND (@region IS NULL OR region = @region)`;
    this.stmts = {
      append: db.prepare(`INSERT INTO inbox.sample_inbox (${SAMPLE_COLUMNS}) VALUES ${rowParams(1)}`),
      appendMany: db.prepare(`INSERT INTO inbox.sample_inbox (${SAMPLE_COLUMNS}) VALUES ${rowParams(ROWS_PER_INSERT)}`),
      highWater: db.prepare('INSERT INTO inbox.probe_seqs (probe, seq) VALUES (?, ?) ON CONFLICT(probe) DO UPDATE SET seq = MAX(seq, excluded.seq)'),
      lastSeq: db.prepare('SELECT seq FROM inbox.probe_seqs WHERE probe = ?').pluck(),
      // UNION, not UNION ALL: a row merged but not yet deleted from the inbox is in both tiers.
      samples: db.prepare(
        `SELECT ${SAMPLE_COLUMNS} FROM history.samples WHERE ${where}
         UNION SELECT ${SAMPLE_COLUMNS} FROM inbox.sample_inbox WHERE id IN (SELECT value FROM json_each(@ids)) AND ${where}
         ORDER BY t, region, line`,
      ),
      rollups: db.prepare(
        `SELECT * FROM history.sample_rollups WHERE stream = @stream AND minute >= @from AND minute < @to
           AND (@line IS NULL OR line = @line) AND (@region IS NULL OR region = @region) ORDER BY minute, region, line`,
      ),
      lastOfOldest: db.prepare('SELECT MAX(id) FROM (SELECT id FROM inbox.sample_inbox WHERE id <= ? ORDER BY id LIMIT ?)').pluck(),
      drop: db.prepare('DELETE FROM inbox.sample_inbox WHERE id <= ?'),
    };
    // Rows left by a previous run (not merged yet, or merged and not deleted).
    for (const r of db.prepare('SELECT id, stream FROM inbox.sample_inbox ORDER BY id').iterate() as IterableIterator<{ id: number; stream: string }>) this.index(r.stream, r.id);
  }

  /** One transaction; identical resends are stored once (the history's key is the whole identity). */
  append(samples: readonly Sample[]): void {
    const ids = this.db.transaction(() => {
      const high = new Map<string, number>();
      const out: number[] = [];
      let k = 0;
      for (; k + ROWS_PER_INSERT <= samples.length; k += ROWS_PER_INSERT) {
        const values: unknown[] = [];
        for (let j = k; j < k + ROWS_PER_INSERT; j++) values.push(...sampleValues(samples[j]!));
        // One writer, one statement: its rows got consecutive ids ending at lastInsertRowid.
        const last = Number(this.stmts.appendMany.run(values).lastInsertRowid);
        for (let id = last - ROWS_PER_INSERT + 1; id <= last; id++) out.push(id);
      }
      for (; k < samples.length; k++) out.push(Number(this.stmts.append.run(sampleValues(samples[k]!)).lastInsertRowid));
      for (const s of samples) if (s.seq > (high.get(s.probe) ?? -1)) high.set(s.probe, s.seq);
      for (const [probe, seq] of high) this.stmts.highWater.run(probe, seq);
      return out;
    })();
    // Only after the commit: a rolled-back batch left no rows to find.
    samples.forEach((s, i) => this.index(s.stream, ids[i]!));
  }

  lastSeq(probe: string): number | undefined {
    return this.stmts.lastSeq.get(probe) as number | undefined;
  }

  samples(q: SampleQuery): Sample[] {
    const ids = JSON.stringify(this.idsByStream.get(q.stream) ?? []);
    return (this.stmts.samples.all({ ...params(q), ids }) as SampleRow[]).map(rowSample);
  }

  rollups(q: SampleQuery): SampleRollup[] {
    return (this.stmts.rollups.all(params(q)) as RollupRow[]).map(toRollup);
  }

  /**
   * The history holds every inbox row up to `through`: deletes the oldest `maxRows` of them (a
   * second of rows at 50k/s took 8–40 ms in one statement, on the ack path); true if more remain.
   */
  dropMerged(through: number, maxRows = Infinity): boolean {
    const last = Number.isFinite(maxRows) ? ((this.stmts.lastOfOldest.get(through, maxRows) as number | null) ?? 0) : through;
    if (last > 0) this.stmts.drop.run(last);
    for (const [stream, ids] of this.idsByStream) {
      let k = 0;
      while (k < ids.length && ids[k]! <= last) k++;
      if (k === ids.length) this.idsByStream.delete(stream);
      else if (k > 0) ids.splice(0, k);
      this.rows -= k;
    }
    return last < through && last > 0;
  }

  /** Inbox rows (accepted, not merged or not yet deleted). */
  get pending(): number {
    return this.rows;
  }

  private index(stream: string, id: number): void {
    const ids = this.idsByStream.get(stream);
    if (ids) ids.push(id);
    else this.idsByStream.set(stream, [id]);
    this.rows++;
  }
}

function params(q: SampleQuery) {
  return { stream: q.stream, from: q.from, to: q.to, line: q.line ?? null, region: q.region ?? null };
}
