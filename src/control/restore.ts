import type { ControlAction } from '../actuators/types.ts';
import type { AuditEntry } from '../store/ports.ts';

/** How many audit rows a restart reads back for the last switches. */
export const RESTORE_AUDIT_ROWS = 5000;

export interface LastSwitch {
  /** The switch as it was decided (its `to` is the line it left the stream on). */
  action: ControlAction & { to: string };
  /** When it was recorded. */
  at: number;
}

/**
 * The last executed switch of each stream, from audit rows newest first: after a restart the
 * controller serves the line it left each stream on, so a hub restart during an outage does not
 * flip players back to a dead primary. Dry-run switches were never served and do not count.
 */
export function lastSwitches(rows: readonly AuditEntry[]): LastSwitch[] {
  const out: LastSwitch[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    if (row.action !== 'control.switch') continue;
    const a = (row.data as { action?: ControlAction } | undefined)?.action;
    if (!a || a.dryRun || a.to === undefined || seen.has(a.stream)) continue;
    seen.add(a.stream);
    out.push({ action: { ...a, to: a.to }, at: row.t });
  }
  return out;
}
