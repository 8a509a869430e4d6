import type Database from 'better-sqlite3';
import type { SilenceRepository } from '../ports.ts';
import { parseStored } from '../stored-record.ts';

/**
 * Operator silences on the hub's file (table from migration 3): a silence is written when set and
 * deleted when removed, so the active ones survive a restart. Expired rows are pruned when the
 * active ones are read. `data` is the silence as the API holds it (plain JSON).
 */
export class SqliteSilenceRepository implements SilenceRepository {
  private readonly put: Database.Statement;
  private readonly del: Database.Statement;
  private readonly prune: Database.Statement;
  private readonly list: Database.Statement;

  constructor(db: Database.Database) {
    this.put = db.prepare('INSERT OR REPLACE INTO silences (id, until, data) VALUES (?, ?, ?)');
    this.del = db.prepare('DELETE FROM silences WHERE id = ?');
    this.prune = db.prepare('DELETE FROM silences WHERE until <= ?');
    this.list = db.prepare('SELECT id, data FROM silences ORDER BY until');
  }

  async save(s: { id: string; until: number }): Promise<void> {
    this.put.run(s.id, s.until, JSON.stringify(s));
  }

  async remove(id: string): Promise<void> {
    this.del.run(id);
  }

  async active(now: number): Promise<unknown[]> {
    this.prune.run(now);
    return (this.list.all() as { id: string; data: string }[]).map((r) => parseStored(r.data, `silence "${r.id}"`));
  }
}
