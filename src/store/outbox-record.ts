import type { OutboxRow, OutboxStatus } from './ports.ts';

/** A ticket outbox row's columns as every engine reads them, its payload already decoded. */
export interface OutboxColumns {
  id: number;
  key: string;
  incident_id: string;
  vendor: string;
  action: string;
  status: OutboxStatus;
  attempts: number;
  created_at: number;
  next_at: number;
  delivered_at: number | null;
  last_error: string | null;
  ref: string | null;
}

/** Errors kept per row at most (a vendor's whole HTML error page is not useful history). */
export const MAX_ERROR_CHARS = 500;

export function outboxWhat(key: string): string {
  return `ticket outbox row "${key}"`;
}

export function toOutboxRow(r: OutboxColumns, payload: unknown): OutboxRow {
  const row: OutboxRow = {
    id: r.id,
    key: r.key,
    incidentId: r.incident_id,
    vendor: r.vendor,
    action: r.action,
    payload,
    status: r.status,
    attempts: r.attempts,
    createdAt: r.created_at,
    nextAt: r.next_at,
  };
  if (r.delivered_at !== null) row.deliveredAt = r.delivered_at;
  if (r.last_error !== null) row.lastError = r.last_error;
  if (r.ref !== null) row.ref = r.ref;
  return row;
}
