import { redactUrls, redactUrlsIn } from '../model/redact-url.ts';
import type { AuditEntry } from './ports.ts';

/**
 * Viewers read the audit log, so no URL credential passes it either way: every engine masks
 * entries as they are written, and rows an older hub wrote before masking existed as they are read.
 * The entry with every URL in its texts and data without credentials (src/model/redact-url.ts).
 */
export function maskedAuditEntry(e: AuditEntry): AuditEntry {
  const out: AuditEntry = { ...e, actor: redactUrls(e.actor), action: redactUrls(e.action), target: redactUrls(e.target), reason: redactUrls(e.reason) };
  if (e.data !== undefined) out.data = redactUrlsIn(e.data);
  return out;
}
