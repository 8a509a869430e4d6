import type Database from 'better-sqlite3';
import type { SlaRow, SlaTimers } from '../ports.ts';
import { parseStored } from '../stored-record.ts';

interface Row {
  incident_id: string;
  done: number;
  data: string;
}

/** SLA and escalation state per incident on the hub's file (table `ticket_sla`, migration 2). */
export class SqliteSlaTimers implements SlaTimers {
  private readonly put: Database.Statement;
  private readonly one: Database.Statement;
  private readonly unfinished: Database.Statement;

  constructor(db: Database.Database) {
    this.put = db.prepare('INSERT INTO ticket_sla (incident_id, done, data) VALUES (?, ?, ?) ON CONFLICT(incident_id) DO UPDATE SET done = excluded.done, data = excluded.data');
    this.one = db.prepare('SELECT incident_id, done, data FROM ticket_sla WHERE incident_id = ?');
    this.unfinished = db.prepare('SELECT incident_id, done, data FROM ticket_sla WHERE done = 0');
  }

  async save(incidentId: string, data: unknown, done: boolean): Promise<void> {
    this.put.run(incidentId, done ? 1 : 0, JSON.stringify(data));
  }

  async get(incidentId: string): Promise<SlaRow | undefined> {
    const r = this.one.get(incidentId) as Row | undefined;
    return r && toSla(r);
  }

  async active(): Promise<SlaRow[]> {
    return (this.unfinished.all() as Row[]).map(toSla);
  }
}

function toSla(r: Row): SlaRow {
  return { incidentId: r.incident_id, done: r.done === 1, data: parseStored(r.data, `SLA state of incident "${r.incident_id}"`) };
}
