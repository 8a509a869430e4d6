import { maskedAuditEntry } from '../audit-masking.ts';
import type { AuditEntry, AuditLog } from '../ports.ts';
import { json, type PostgresSession } from './session.ts';

/** The audit log (table `audit`), appended to and read newest first, masked both ways (src/store/audit-masking.ts). */
export class PostgresAuditLog implements AuditLog {
  constructor(private readonly session: PostgresSession) {}

  async append(entry: AuditEntry): Promise<void> {
    const e = maskedAuditEntry(entry);
    await this.session.query('INSERT INTO audit (t, actor, action, target, reason, data) VALUES ($1, $2, $3, $4, $5, $6::jsonb)', [e.t, e.actor, e.action, e.target, e.reason, e.data === undefined ? null : json(e.data)]);
  }

  async recent(limit: number): Promise<AuditEntry[]> {
    // `absent`: SQL NULL (no data) and JSON null (data: null) both read as null otherwise.
    const { rows } = await this.session.query<AuditEntry & { absent: boolean }>('SELECT t, actor, action, target, reason, data, data IS NULL AS absent FROM audit ORDER BY id DESC LIMIT $1', [limit]);
    return rows.map(({ absent, data, ...entry }) => maskedAuditEntry(absent ? entry : { ...entry, data }));
  }
}
