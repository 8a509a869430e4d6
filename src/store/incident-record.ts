import { IncidentSchema, TimelineEntrySchema, type Incident, type TimelineEntry } from '../model/incident.ts';
import { checkStored } from './stored-record.ts';

/**
 * Incidents and timeline entries as every engine stores them: indexed columns beside the whole
 * document, checked against its schema when read back. `document` is the stored JSON already
 * decoded (each engine decodes its own column type: text in SQLite, JSONB in PostgreSQL).
 */

/** The columns an incident is written with, beside its document. */
export function incidentColumns(incident: Incident) {
  const { id, key, status, severity, openedAt } = incident;
  return { id, key, status, severity, openedAt, resolvedAt: incident.resolvedAt ?? null };
}

export function incidentWhat(id: string): string {
  return `incident "${id}"`;
}

export function readIncident(id: string, document: unknown): Incident {
  return checkStored(IncidentSchema, document, incidentWhat(id));
}

export function timelineWhat(rowId: number, incidentId: string): string {
  return `timeline entry ${rowId} of incident "${incidentId}"`;
}

export function readTimelineEntry(r: { id: number; incident_id: string; t: number; type: string }, data: unknown): TimelineEntry {
  return checkStored(TimelineEntrySchema, { incidentId: r.incident_id, t: r.t, type: r.type, data }, timelineWhat(r.id, r.incident_id));
}
