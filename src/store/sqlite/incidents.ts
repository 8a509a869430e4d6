import type Database from 'better-sqlite3';
import type { Incident, TimelineEntry } from '../../model/incident.ts';
import { incidentColumns, incidentWhat, readIncident, readTimelineEntry, timelineWhat } from '../incident-record.ts';
import type { IncidentHistoryQuery, IncidentRepository } from '../ports.ts';
import { parseStored } from '../stored-record.ts';

interface IncidentRow {
  id: string;
  data: string;
}

interface TimelineRow {
  id: number;
  incident_id: string;
  t: number;
  type: string;
  data: string;
}

/**
 * Incidents and their timelines on the hub's file (tables from migration 1): indexed columns
 * (key, status, severity, times) beside the whole incident as JSON, checked against IncidentSchema
 * when read back (reads are rare: restart, API).
 */
export class SqliteIncidentRepository implements IncidentRepository {
  private readonly stmts;

  constructor(private readonly db: Database.Database) {
    this.stmts = {
      upsert: db.prepare(
        `INSERT INTO incidents (id, key, status, severity, opened_at, resolved_at, data)
         VALUES (@id, @key, @status, @severity, @openedAt, @resolvedAt, @data)
         ON CONFLICT(id) DO UPDATE SET status = excluded.status, severity = excluded.severity,
           resolved_at = excluded.resolved_at, data = excluded.data`,
      ),
      append: db.prepare('INSERT INTO timeline (incident_id, t, type, data) VALUES (?, ?, ?, ?)'),
      open: db.prepare("SELECT id, data FROM incidents WHERE status <> 'resolved' ORDER BY opened_at"),
      get: db.prepare('SELECT id, data FROM incidents WHERE id = ?'),
      timeline: db.prepare('SELECT id, incident_id, t, type, data FROM timeline WHERE incident_id = ? ORDER BY id'),
      // A stream's keys are `stream/…`: the range ['stream/', 'stream0') holds exactly them ('0' follows '/').
      history: db.prepare(
        `SELECT id, data FROM incidents
         WHERE opened_at < @to AND (resolved_at IS NULL OR resolved_at >= @from)
           AND (@stream IS NULL OR (key >= @stream || '/' AND key < @stream || '0'))
         ORDER BY opened_at DESC LIMIT @limit`,
      ),
    };
  }

  async save(incident: Incident, entries: readonly TimelineEntry[]): Promise<void> {
    this.db.transaction(() => {
      this.stmts.upsert.run({ ...incidentColumns(incident), data: JSON.stringify(incident) });
      for (const e of entries) this.stmts.append.run(e.incidentId, e.t, e.type, JSON.stringify(e.data));
    })();
  }

  async open(): Promise<Incident[]> {
    return (this.stmts.open.all() as IncidentRow[]).map(readRow);
  }

  async get(id: string): Promise<Incident | undefined> {
    const row = this.stmts.get.get(id) as IncidentRow | undefined;
    return row && readRow(row);
  }

  async timeline(incidentId: string): Promise<TimelineEntry[]> {
    return (this.stmts.timeline.all(incidentId) as TimelineRow[]).map((r) => readTimelineEntry(r, parseStored(r.data, timelineWhat(r.id, r.incident_id))));
  }

  async history(q: IncidentHistoryQuery): Promise<Incident[]> {
    return (this.stmts.history.all({ from: q.from, to: q.to, stream: q.stream ?? null, limit: q.limit }) as IncidentRow[]).map(readRow);
  }
}

function readRow(row: IncidentRow): Incident {
  return readIncident(row.id, parseStored(row.data, incidentWhat(row.id)));
}
