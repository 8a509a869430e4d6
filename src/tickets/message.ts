import type { Severity } from '../model/severity.ts';
import type { Incident } from '../model/incident.ts';
import type { RolesConfig } from './config-schema.ts';
import type { EvidenceBundle } from './evidence.ts';
import type { RoleLine, TicketAction, TicketMessage } from './types.ts';

/** Human labels of the conventional role keys (the incident roles of docs/operations.md). */
export const ROLE_LABELS: Record<string, string> = {
  describe: 'describes the problem',
  logs: 'gathers logs',
  comms: 'talks to customers',
  decide: 'decides on degradation',
};

export function roleLines(roles: RolesConfig): RoleLine[] {
  return Object.entries(roles).map(([role, p]) => {
    const line: RoleLine = { role, label: ROLE_LABELS[role] ?? role, name: p.name };
    if ('contact' in p && p.contact !== undefined) line.contact = p.contact;
    return line;
  });
}

export interface BuildMessageInput {
  action: TicketAction;
  idempotencyKey: string;
  incident: Incident;
  /** Vendor response target for the incident's severity (from escalation.sla), when it has one. */
  slaMs?: number;
  /** Time the SLA clock started (default incident.openedAt). */
  slaStart?: number;
  roles: RolesConfig;
  actions: string[];
  evidence?: EvidenceBundle;
  changes?: string[];
  escalation?: TicketMessage['escalation'];
  resolution?: TicketMessage['resolution'];
  relapse?: TicketMessage['relapse'];
  link?: string;
}

const KIND_WORDS: Record<string, string> = { down: 'down', degraded: 'degraded', blind: 'probe blind' };

export function buildMessage(i: BuildMessageInput): TicketMessage {
  const inc = i.incident;
  const lines = new Set<string>();
  if (inc.line !== undefined) lines.add(inc.line);
  for (const k of inc.related ?? []) {
    const l = k.split('/')[1];
    if (l) lines.add(l);
  }
  const regions = Object.keys(inc.regions).sort();
  const what = inc.stream !== undefined ? `stream ${inc.stream}${lines.size > 0 ? ` line ${[...lines].join('+')}` : ''}` : `probe ${inc.probe ?? inc.key}`;
  const title = `[${inc.severity}] ${what} ${KIND_WORDS[inc.kind] ?? inc.kind} (${inc.scope}${regions.length > 0 ? `: ${regions.join(', ')}` : ''})`;
  const msg: TicketMessage = {
    action: i.action,
    idempotencyKey: i.idempotencyKey,
    incidentId: inc.id,
    dedupKey: inc.id,
    severity: inc.severity,
    title,
    summary: '',
    status: inc.status,
    lines: [...lines],
    regions,
    kind: inc.kind,
    scope: inc.scope,
    onset: new Date(inc.onset).toISOString(),
    openedAt: new Date(inc.openedAt).toISOString(),
    actions: i.actions,
    roles: roleLines(i.roles),
  };
  if (inc.stream !== undefined) msg.stream = inc.stream;
  if (i.slaMs !== undefined) msg.expectedResponse = { withinMs: i.slaMs, by: new Date((i.slaStart ?? inc.openedAt) + i.slaMs).toISOString() };
  if (i.evidence) msg.evidence = i.evidence;
  if (i.changes) msg.changes = i.changes;
  if (i.escalation) msg.escalation = i.escalation;
  if (i.resolution) msg.resolution = i.resolution;
  if (i.relapse) msg.relapse = i.relapse;
  if (i.link) msg.link = i.link;
  msg.summary = summary(msg);
  return msg;
}

function summary(m: TicketMessage): string {
  const parts = [`${m.title}. Fault onset ${m.onset}, detected ${m.openedAt}, status ${m.status}.`];
  if (m.relapse) parts.push(relapseLine(m.relapse));
  if (m.resolution) parts.push(`Not a fault resolution (${m.resolution.cause}): ${m.resolution.note ?? 'it is no longer monitored'}; streamguard stopped watching it and did not see the fault clear.`);
  if (m.actions.length > 0) parts.push(`Already done: ${m.actions.join('; ')}.`);
  else parts.push('No automatic action taken yet.');
  if (m.expectedResponse) parts.push(`Expected vendor response within ${fmtMs(m.expectedResponse.withinMs)} (by ${m.expectedResponse.by}).`);
  return parts.join(' ');
}

/** "Relapse 2: the fault came back at 2026-…Z, 40 s after it cleared; ticket 101, solved then, stays solved." */
export function relapseLine(r: NonNullable<TicketMessage['relapse']>): string {
  const after = `${r.at !== undefined ? ` at ${r.at},` : ''}${r.afterMs !== undefined ? ` ${fmtMs(r.afterMs)}` : ''} after it cleared`;
  const before = r.previousTicket !== undefined ? `ticket ${r.previousTicket}, solved then, stays solved` : 'the ticket before, solved then, stays solved';
  return `Relapse ${r.count}: the fault came back${after}; ${before}.`;
}

export function fmtMs(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000} min`;
  if (ms >= 1000) return `${Math.round(ms / 100) / 10} s`;
  return `${ms} ms`;
}

const DRILL_BANNER = 'DRILL — this is a test of the streamguard contact channels, no action is needed';

/** Subject line per action. */
export function subject(m: TicketMessage): string {
  const prefix = m.drill ? '[DRILL] ' : '';
  switch (m.action) {
    case 'open':
      return `${prefix}${m.title}`;
    case 'update':
      return `${prefix}Update: ${m.title}`;
    case 'resolve':
      return m.resolution ? `${prefix}No longer monitored (${m.resolution.cause}), not a fix: ${m.title}` : `${prefix}Resolved: ${m.title}`;
    case 'escalate':
      return `${prefix}ESCALATION${m.escalation ? ` (${m.escalation.name})` : ''}: vendor has not responded — ${m.title}`;
    case 'drill':
      return `[DRILL] streamguard contact test — no action needed`;
  }
}

/** Plain-text body (email, desk comments, generic text fields). */
export function textBody(m: TicketMessage, opts: { evidence?: boolean } = {}): string {
  const out: string[] = [];
  if (m.drill || m.action === 'drill') out.push(DRILL_BANNER, '');
  out.push(subject(m), '', m.summary, '');
  if (m.escalation) out.push(`Escalation step ${m.escalation.step + 1}: ${m.escalation.name}; vendor response overdue by ${fmtMs(m.escalation.overdueMs)}.`, '');
  if (m.changes && m.changes.length > 0) out.push('Changes:', ...m.changes.map((c) => `  - ${c}`), '');
  out.push(`Incident: ${m.incidentId}`, `Severity: ${m.severity}`, `Stream: ${m.stream ?? '-'}`, `Lines: ${m.lines.join(', ') || '-'}`, `Regions: ${m.regions.join(', ') || '-'}`, `Onset: ${m.onset}`);
  if (m.roles.length > 0) out.push('', 'Incident roles:', ...m.roles.map((r) => `  - ${r.label}: ${r.name}${r.contact ? ` (${r.contact})` : ''}`));
  if (m.link) out.push('', m.link);
  if (m.evidence && opts.evidence !== false) out.push('', ...evidenceText(m.evidence));
  return out.join('\n');
}

/** Markdown for IM groups: short, with the roles and the key evidence lines. */
export function markdownBody(m: TicketMessage): string {
  const out: string[] = [];
  if (m.drill || m.action === 'drill') out.push(`> **${DRILL_BANNER}**`, '');
  out.push(`**${subject(m)}**`, '', m.summary);
  if (m.changes && m.changes.length > 0) out.push('', ...m.changes.map((c) => `- ${c}`));
  if (m.roles.length > 0) out.push('', `Roles: ${m.roles.map((r) => `${r.label}: ${r.name}${r.contact ? ` (${r.contact})` : ''}`).join('; ')}`);
  if (m.evidence && m.evidence.probeErrors.length > 0) out.push('', 'Probe errors:', ...m.evidence.probeErrors.slice(0, 5).map((l) => `- \`${l}\``));
  if (m.link) out.push('', m.link);
  return out.join('\n');
}

export function evidenceText(e: EvidenceBundle): string[] {
  const out = ['Evidence', `  window ${e.window.from} … ${e.window.to}`];
  for (const [region, series] of Object.entries(e.lastSamples)) {
    for (const s of series) {
      const p = s.points[s.points.length - 1];
      if (!p) continue;
      out.push(`  now ${region}/${s.line} (${s.probe}): ${p.connected ? 'connected' : 'DISCONNECTED'} fps ${p.fps} ${Math.round(p.bitrateBps / 1000)} kb/s stall ${p.stallMs} ms${p.error ? ` error ${p.error}` : ''}`);
    }
  }
  if (e.probeErrors.length > 0) out.push('  probe errors:', ...e.probeErrors.map((l) => `    ${l}`));
  if (e.actions.length > 0) out.push('  actions:', ...e.actions.map((a) => `    ${a.t} ${a.by}: ${a.action}`));
  return out;
}

export const PD_SEVERITY: Record<Severity, 'critical' | 'error' | 'warning' | 'info'> = { P0: 'critical', P1: 'error', P2: 'warning', P3: 'info' };
export const DESK_PRIORITY: Record<Severity, string> = { P0: 'urgent', P1: 'high', P2: 'normal', P3: 'low' };
