import type Database from 'better-sqlite3';
import type { ControlStateRepository, StoredControlState } from '../ports.ts';
import { parseStored } from '../stored-record.ts';

/** The controller's state per stream on the hub's file (table `control_state`, migration 7). */
export class SqliteControlStateRepository implements ControlStateRepository {
  private readonly put: Database.Statement;
  private readonly list: Database.Statement;
  private readonly del: Database.Statement;

  constructor(db: Database.Database) {
    this.put = db.prepare('INSERT INTO control_state (stream, updated_at, data) VALUES (?, ?, ?) ON CONFLICT(stream) DO UPDATE SET updated_at = excluded.updated_at, data = excluded.data');
    this.list = db.prepare('SELECT stream, updated_at, data FROM control_state ORDER BY stream');
    this.del = db.prepare('DELETE FROM control_state WHERE stream = ?');
  }

  async save(stream: string, data: unknown, at: number): Promise<void> {
    this.put.run(stream, at, JSON.stringify(data));
  }

  async all(): Promise<StoredControlState[]> {
    return (this.list.all() as { stream: string; updated_at: number; data: string }[]).map((r) => ({ stream: r.stream, updatedAt: r.updated_at, data: parseStored(r.data, `control state of stream "${r.stream}"`) }));
  }

  async remove(stream: string): Promise<void> {
    this.del.run(stream);
  }
}
