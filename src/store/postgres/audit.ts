import { maskedAuditEntry } from '../audit-masking.ts';
import { auditStream } from '../audit-stream.ts';
import type { AuditEntry, AuditLog, AuditRangeQuery } from '../ports.ts';
import type { Fence } from '../fence.ts';
import { fencedQuery } from './fence.ts';
import { json, type PostgresSession } from './session.ts';

/** The audit log (table `audit`), appended to and read newest first, masked both ways (src/store/audit-masking.ts). */
export class PostgresAuditLog implements AuditLog {
  constructor(private readonly session: PostgresSession) {}

  async append(entry: AuditEntry, fence?: Fence): Promise<void> {
    const e = maskedAuditEntry(entry);
    await fencedQuery(this.session, fence, 'INSERT INTO audit (t, actor, action, target, reason, data, stream) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)', [e.t, e.actor, e.action, e.target, e.reason, e.data === undefined ? null : json(e.data), auditStream(e) ?? null]);
  }

  async recent(limit: number): Promise<AuditEntry[]> {
    return this.read('ORDER BY id DESC LIMIT $1', [limit]);
  }

  async range(q: AuditRangeQuery): Promise<AuditEntry[]> {
    return this.read('WHERE t >= $1 AND t < $2 ORDER BY t DESC, id DESC LIMIT $3', [q.from, q.to, q.limit]);
  }

  async controlOf(streams: readonly string[], perStream: number): Promise<AuditEntry[]> {
    return this.read(
      `, unnest($1::text[]) AS s (stream) CROSS JOIN LATERAL (
         SELECT id FROM audit AS c WHERE c.stream = s.stream AND c.action LIKE 'control.%' ORDER BY c.id DESC LIMIT $2
       ) AS picked WHERE audit.id = picked.id ORDER BY audit.id DESC`,
      [[...new Set(streams)], perStream],
    );
  }

  private async read(where: string, params: unknown[]): Promise<AuditEntry[]> {
    // `absent`: SQL NULL (no data) and JSON null (data: null) both read as null otherwise.
    const { rows } = await this.session.query<AuditEntry & { absent: boolean }>(`SELECT audit.t, actor, action, target, reason, data, data IS NULL AS absent FROM audit ${where}`, params);
    return rows.map(({ absent, data, ...entry }) => maskedAuditEntry(absent ? entry : { ...entry, data }));
  }
}
