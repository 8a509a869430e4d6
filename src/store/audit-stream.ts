import type { AuditEntry } from '../store/ports.ts';

/** Operator commands whose audit target is a stream id. */
const ON_STREAM = ['switch', 'pin', 'failback', 'feature'];
/** Operator commands whose audit target is an incident id (`stream/line/kind@openedAt`). */
const ON_INCIDENT = ['ack', 'note', 'assign', 'ticket'];

/**
 * The stream an audit entry is about, when it names one. Each writer words its target its own
 * way: the controller `stream:<id> line:a>b`, an operator command on a stream its id, one on an
 * incident the incident's id, a silence its own id (the stream is in its matcher).
 */
export function auditStream(e: AuditEntry): string | undefined {
  const control = /^stream:(\S+)/.exec(e.target);
  if (e.action.startsWith('control.')) return control?.[1];
  const command = /^(?:ws|api)\.(.+)$/.exec(e.action)?.[1];
  if (command === undefined) return undefined;
  if (ON_STREAM.includes(command)) return e.target;
  if (ON_INCIDENT.includes(command)) return incidentStream(e.target);
  if (command === 'silence' || command === 'unsilence') return matcherStream(e.data);
  return undefined;
}

/** `show1` of `show1/primary/down@1700000000000`; probe incidents (`probe/<id>/…`) have none. */
function incidentStream(id: string): string | undefined {
  const first = id.slice(0, id.indexOf('/'));
  return first === '' || first === 'probe' ? undefined : first;
}

function matcherStream(data: unknown): string | undefined {
  const stream = (data as { matcher?: { stream?: unknown } } | undefined)?.matcher?.stream;
  return typeof stream === 'string' ? stream : undefined;
}
