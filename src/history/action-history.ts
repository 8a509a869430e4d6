import type { AuditEntry, AuditLog } from '../store/ports.ts';
import { auditStream } from '../store/audit-stream.ts';

export interface ActionHistoryFilter {
  from: number;
  to: number;
  stream?: string | undefined;
  limit: number;
}

/** One audit entry, with the stream it is about when it names one. */
export type ActionRecord = AuditEntry & { stream?: string };

/**
 * Read from the audit log per request, before the stream filter: a range holding more entries than
 * this answers the newest of them, marked truncated.
 */
const AUDIT_READ_MAX = 5000;

/** What streamguard and its operators did within [from, to), newest first: the audit log. */
export async function actionHistory(audit: Pick<AuditLog, 'range'>, f: ActionHistoryFilter): Promise<{ actions: ActionRecord[]; truncated: boolean }> {
  const entries = await audit.range({ from: f.from, to: f.to, limit: AUDIT_READ_MAX });
  const records = entries.map((e): ActionRecord => {
    const stream = auditStream(e);
    return stream === undefined ? e : { ...e, stream };
  });
  const matching = f.stream === undefined ? records : records.filter((r) => r.stream === f.stream);
  return { actions: matching.slice(0, f.limit), truncated: matching.length > f.limit || entries.length === AUDIT_READ_MAX };
}
