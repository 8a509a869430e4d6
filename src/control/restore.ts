import type { ControlAction } from '../actuators/types.ts';
import type { AuditEntry } from '../store/ports.ts';

/**
 * How many of each stream's controller audit rows a restart or a takeover reads back for its last
 * switch and the actions left unfinished: a switch, its outcome, feature changes and theirs; flap
 * damping keeps a stream far from this many between two switches.
 */
export const RESTORE_AUDIT_ROWS_PER_STREAM = 200;

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

/** The actions that go to external actuators (action.ts actionName): their decision rows, and their outcome rows (recorder.ts). */
const CARRIED_OUT = 'control\\.(switch|feature\\.enable|feature\\.disable)';
const DECIDED = new RegExp(`^${CARRIED_OUT}$`);
const SETTLED = new RegExp(`^${CARRIED_OUT}\\.(done|failed)$`);

/**
 * The last switch and the last change of each feature of every stream, from audit rows newest
 * first, when their external actuators never reported (no `.done` or `.failed` row): the hub that
 * decided them stopped first (killed, or its shard taken over while the call waited). Dry runs
 * were never meant to be carried out and do not count. Rows older than what was read are not
 * known: a resume looks as far back as the restore does (RESTORE_AUDIT_ROWS_PER_STREAM).
 */
export function unfinishedActions(rows: readonly AuditEntry[]): ControlAction[] {
  const settled = new Set<string>();
  const seen = new Set<string>();
  const out: ControlAction[] = [];
  for (const row of rows) {
    if (SETTLED.test(row.action)) {
      const id = (row.data as { id?: unknown } | undefined)?.id;
      if (typeof id === 'string') settled.add(id);
      continue;
    }
    if (!DECIDED.test(row.action)) continue;
    const a = (row.data as { action?: ControlAction } | undefined)?.action;
    if (!a || a.dryRun) continue;
    const target = `${a.stream}\u0000${a.type === 'switch' ? '' : a.feature}`;
    if (seen.has(target)) continue;
    seen.add(target);
    if (!settled.has(a.id)) out.push(a);
  }
  return out;
}
