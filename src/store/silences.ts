import type Database from 'better-sqlite3';

/**
 * Operator silences on the hub's SQLite file (table from migration 3): a silence is written when
 * set and deleted when removed, so the active ones survive a restart. Expired rows are pruned when
 * the active ones are read. `data` is the silence as the API holds it (plain JSON).
 */
export class SilenceStore {
  private readonly put: Database.Statement;
  private readonly del: Database.Statement;
  private readonly prune: Database.Statement;
  private readonly list: Database.Statement;

  constructor(db: Database.Database) {
    this.put = db.prepare('INSERT OR REPLACE INTO silences (id, until, data) VALUES (?, ?, ?)');
    this.del = db.prepare('DELETE FROM silences WHERE id = ?');
    this.prune = db.prepare('DELETE FROM silences WHERE until <= ?');
    this.list = db.prepare('SELECT data FROM silences ORDER BY until');
  }

  save(s: { id: string; until: number }): void {
    this.put.run(s.id, s.until, JSON.stringify(s));
  }

  remove(id: string): void {
    this.del.run(id);
  }

  /** The silences still active at `now` (expired ones are deleted). */
  active(now: number): unknown[] {
    this.prune.run(now);
    return (this.list.all() as { data: string }[]).map((r) => JSON.parse(r.data) as unknown);
  }
}
