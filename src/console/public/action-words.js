// What streamguard or an operator did, in words: one line for an incident timeline's action
// entry or an audit row. Pure: the history page, the stream page and their tests share it.

/** "switch primary → backup", "feature gifts off", "ticket opened at desk (T-12)", "acknowledged by alice". */
export function timelineActionWords(entry) {
  const d = entry.data ?? {};
  if (entry.type === 'acknowledged') return `acknowledged by ${d.by}`;
  if (entry.type === 'mitigating') return `mitigating by ${d.by}${d.action ? `: ${d.action}` : ''}`;
  if (entry.type === 'note') return `note by ${d.by}: ${d.note}`;
  if (entry.type === 'escalated') return `escalated to ${d.severity} by ${d.by}`;
  if (entry.type !== 'action') return entry.type;
  const what = actionVerb(d.action, d);
  return `${what}${d.dryRun ? ' (dry-run)' : ''}${d.by && d.by !== 'tickets' ? ` by ${d.by}` : ''}`;
}

/** An audit row: "switch primary → backup" for the controller's, "ack" / "silence" … for an operator's command. */
export function auditWords(row) {
  const control = /^control\.(.+)$/.exec(row.action);
  if (control) {
    const a = row.data?.action ?? {};
    return `${actionVerb(control[1], a)}${a.dryRun ? ' (dry-run)' : ''}`;
  }
  const command = /^(?:ws|api)\.(.+)$/.exec(row.action)?.[1];
  if (command === 'switch' || command === 'pin') return `${command} to ${row.data?.line}`;
  if (command === 'feature') return `feature ${row.data?.feature} ${row.data?.enabled === 'auto' ? 'auto' : row.data?.enabled ? 'on' : 'off'}`;
  return command ?? row.action;
}

/** Whether an audit row changed the served line (a vertical marker on the stream page's charts). */
export function isSwitch(row) {
  return row.action === 'control.switch' && !row.data?.action?.dryRun;
}

function actionVerb(action, d) {
  if (action === 'switch') return `switch ${d.from} → ${d.to}`;
  if (action === 'feature.enable' || action === 'feature.disable') return `feature ${d.feature} ${action === 'feature.enable' ? 'on' : 'off'}`;
  if (action === 'ticket-opened' || action === 'ticket-resolved') return `ticket ${action.slice(7)} at ${d.vendor}${d.ref ? ` (${d.ref})` : ''}`;
  if (action === 'ticket-failed') return `ticket to ${d.vendor} failed: ${d.error}`;
  if (action === 'ticket-requested') return `ticket requested by ${d.requestedBy}`;
  return String(action);
}
