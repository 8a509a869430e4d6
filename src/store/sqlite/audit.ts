import type Database from 'better-sqlite3';
import { maskedAuditEntry } from '../audit-masking.ts';
import { auditStream } from '../audit-stream.ts';
import type { AuditEntry, AuditLog, AuditRangeQuery } from '../ports.ts';
import { parseStored } from '../stored-record.ts';

interface AuditRow {
  id: number;
  t: number;
  actor: string;
  action: string;
  target: string;
  reason: string;
  data: string | null;
}

/**
 * The audit log on the hub's file (table from migration 1), appended to and read newest first.
 * Entries are masked (src/store/audit-masking.ts) as they are written and as they are read.
 */
export class SqliteAuditLog implements AuditLog {
  private readonly insert: Database.Statement;
  private readonly newest: Database.Statement;
  private readonly between: Database.Statement;
  private readonly controlOfStream: Database.Statement;

  constructor(db: Database.Database) {
    this.insert = db.prepare('INSERT INTO audit (t, actor, action, target, reason, data, stream) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.newest = db.prepare('SELECT id, t, actor, action, target, reason, data FROM audit ORDER BY id DESC LIMIT ?');
    this.between = db.prepare('SELECT id, t, actor, action, target, reason, data FROM audit WHERE t >= @from AND t < @to ORDER BY t DESC, id DESC LIMIT @limit');
    this.controlOfStream = db.prepare("SELECT id, t, actor, action, target, reason, data FROM audit WHERE stream = ? AND action LIKE 'control.%' ORDER BY id DESC LIMIT ?");
  }

  async append(entry: AuditEntry): Promise<void> {
    const e = maskedAuditEntry(entry);
    this.insert.run(e.t, e.actor, e.action, e.target, e.reason, e.data === undefined ? null : JSON.stringify(e.data), auditStream(e) ?? null);
  }

  async recent(limit: number): Promise<AuditEntry[]> {
    return (this.newest.all(limit) as AuditRow[]).map(readEntry);
  }

  async range(q: AuditRangeQuery): Promise<AuditEntry[]> {
    return (this.between.all(q) as AuditRow[]).map(readEntry);
  }

  async controlOf(streams: readonly string[], perStream: number): Promise<AuditEntry[]> {
    const rows = [...new Set(streams)].flatMap((stream) => this.controlOfStream.all(stream, perStream) as AuditRow[]);
    return rows.sort((a, b) => b.id - a.id).map(readEntry);
  }
}

function readEntry({ id, data, ...entry }: AuditRow): AuditEntry {
  return maskedAuditEntry(data === null ? entry : { ...entry, data: parseStored(data, `audit entry ${id}`) });
}
