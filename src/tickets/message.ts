import type { Severity } from '../model/severity.ts';
import { isWiderScope, widestScope, type Incident } from '../model/incident.ts';
import type { RolesConfig } from './config-schema.ts';
import { errorWords } from './cause-words.ts';
import type { EvidenceBundle } from './evidence.ts';
import { fmtMs, utc } from './figures.ts';
import { reachWords } from './scope-words.ts';
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
  /** Why, per region, in words (cause-words.ts). */
  causes?: string[];
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
  // Its regions are every region that ever saw it: a resolved incident says how far it reached with
  // them, not the narrower scope of its last regions to recover; an open one that narrowed says both.
  const widest = widestScope(inc);
  const scope = inc.status === 'resolved' ? widest : inc.scope;
  const narrowedFrom = isWiderScope(widest, scope) ? widest : undefined;
  const what = inc.stream !== undefined ? `stream ${inc.stream}${lines.size > 0 ? ` line ${[...lines].join('+')}` : ''}` : `probe ${inc.probe ?? inc.key}`;
  const title = `[${inc.severity}] ${what} ${KIND_WORDS[inc.kind] ?? inc.kind} (${scope}${narrowedFrom !== undefined ? `, was ${narrowedFrom}` : ''}${regions.length > 0 ? `: ${regions.join(', ')}` : ''})`;
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
    scope,
    onset: new Date(inc.onset).toISOString(),
    openedAt: new Date(inc.openedAt).toISOString(),
    causes: i.causes ?? [],
    actions: i.actions,
    roles: roleLines(i.roles),
  };
  if (inc.stream !== undefined) msg.stream = inc.stream;
  if (narrowedFrom !== undefined) msg.narrowedFrom = narrowedFrom;
  if (inc.resolvedAt !== undefined) msg.resolvedAt = new Date(inc.resolvedAt).toISOString();
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

/** What is wrong, in words: "line primary of stream s1 is down: the probes cannot play it". */
function whatWords(m: TicketMessage): string {
  const lines = m.lines.join(', ');
  if (m.kind === 'blind') return 'a probe is blind: it cannot see the streams it watches (our problem, not the stream\'s)';
  const stream = m.stream ?? '?';
  if (m.kind === 'down' && m.scope === 'stream') return `stream ${stream} is down on every line (${lines}): nothing plays`;
  if (m.kind === 'degraded' && m.scope === 'stream') return `stream ${stream} plays degraded on every line (${lines}) alike: the source's fault, not one line's`;
  const line = `line${m.lines.length > 1 ? 's' : ''} ${lines} of stream ${stream}`;
  return m.kind === 'down' ? `${line} ${m.lines.length > 1 ? 'are' : 'is'} down: the probes cannot play it` : `${line} ${m.lines.length > 1 ? 'play' : 'plays'} degraded`;
}

/** Where, in words: "stream s1, line primary: every region sees it (eu, us)". */
function whereWords(m: TicketMessage): string {
  const at = m.stream !== undefined ? `stream ${m.stream}${m.lines.length > 0 ? `, line ${m.lines.join(', ')}` : ''}: ` : '';
  return `${at}${m.narrowedFrom === undefined ? reachWords(m.scope, m.regions) : narrowedWords(m.narrowedFrom, m.scope, m.regions)}`;
}

/** An open incident that reached further before: what it reached, and what recovered since. */
function narrowedWords(from: string, now: string, regions: readonly string[]): string {
  if (now === 'line') return `${reachWords('line', regions)}; the stream's other lines play again`;
  const reached = from === 'stream' ? 'every line, in every region,' : from === 'line' ? 'every region' : 'regions';
  return `${reached} saw it (${regions.join(', ')}); some of those regions see the line fine again (${now} now)`;
}

/** Since when, in words: "2026-… UTC (first bad sample), detected 1.2 s later". */
function sinceWords(m: TicketMessage): string {
  return `${utc(m.onset)} (first bad sample), detected ${fmtMs(Date.parse(m.openedAt) - Date.parse(m.onset))} later`;
}

function statusWords(m: TicketMessage): string {
  if (m.status !== 'resolved') return m.status;
  return `resolved${m.resolvedAt !== undefined ? ` at ${utc(m.resolvedAt)}` : ''}${m.resolution ? ', without the fault being seen to clear (see above)' : ', the probes see the line healthy again'}`;
}

function responseWords(m: TicketMessage): string | undefined {
  return m.expectedResponse && `within ${fmtMs(m.expectedResponse.withinMs)}, by ${utc(m.expectedResponse.by)}`;
}

function resolutionWords(r: NonNullable<TicketMessage['resolution']>): string {
  return `Not a fault resolution (${r.cause}): ${r.note ?? 'it is no longer monitored'}; streamguard stopped watching it and did not see the fault clear.`;
}

function escalationWords(e: NonNullable<TicketMessage['escalation']>): string {
  return `ESCALATION, step ${e.step + 1} (${e.name}): the vendor has not responded in time; the response is overdue by ${fmtMs(e.overdueMs)}.`;
}

/** One paragraph: what, where, since when, cause, what was done, the response expected. */
function summary(m: TicketMessage): string {
  const parts = [`${upperFirst(whatWords(m))}; ${whereWords(m)}. Since ${sinceWords(m)}; status ${m.status}.`];
  if (m.relapse) parts.push(relapseLine(m.relapse));
  if (m.resolution) parts.push(resolutionWords(m.resolution));
  if (m.causes.length > 0) parts.push(`Cause: ${m.causes.join('; ')}.`);
  parts.push(m.actions.length > 0 ? `Done: ${m.actions.join('; ')}.` : 'No automatic action taken yet.');
  const response = responseWords(m);
  if (response) parts.push(`Vendor response expected ${response}.`);
  return parts.join(' ');
}

function upperFirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** "Relapse 2: the fault came back at 2026-… UTC, 40 s after it cleared; this ticket is open again." */
export function relapseLine(r: NonNullable<TicketMessage['relapse']>): string {
  const after = `${r.at !== undefined ? ` at ${utc(r.at)},` : ''}${r.afterMs !== undefined ? ` ${fmtMs(r.afterMs)}` : ''} after it cleared`;
  return `Relapse ${r.count}: the fault came back${after}; this ticket is open again.`;
}

const DRILL_BANNER = 'DRILL — this is a test of the streamguard contact channels, no action is needed';

/** Subject line per action. */
export function subject(m: TicketMessage): string {
  const prefix = m.drill ? '[DRILL] ' : '';
  switch (m.action) {
    case 'open':
      return `${prefix}${m.title}`;
    case 'update':
      return `${prefix}${m.relapse ? 'Reopened' : 'Update'}: ${m.title}`;
    case 'resolve':
      return m.resolution ? `${prefix}No longer monitored (${m.resolution.cause}), not a fix: ${m.title}` : `${prefix}Resolved: ${m.title}`;
    case 'escalate':
      return `${prefix}ESCALATION${m.escalation ? ` (${m.escalation.name})` : ''}: vendor has not responded — ${m.title}`;
    case 'drill':
      return `[DRILL] streamguard contact test — no action needed`;
  }
}

/** The lines that come first: an escalation, a resolve that is no fix, a relapse. */
function notices(m: TicketMessage): string[] {
  const out: string[] = [];
  if (m.escalation) out.push(escalationWords(m.escalation));
  if (m.resolution) out.push(resolutionWords(m.resolution));
  if (m.relapse) out.push(relapseLine(m.relapse));
  return out;
}

/** Labelled fields, the continuation lines of a field indented under its first. */
function fields(m: TicketMessage): [string, string[]][] {
  const out: [string, string[]][] = [
    ['What', [upperFirst(whatWords(m))]],
    ['Where', [whereWords(m)]],
    ['Since', [sinceWords(m)]],
    ['Status', [statusWords(m)]],
  ];
  if (m.causes.length > 0) out.push(['Cause', m.causes]);
  out.push(['Done', m.actions.length > 0 ? m.actions : ['no automatic action yet']]);
  const response = responseWords(m);
  if (response) out.push(['Response', [`expected from the vendor ${response}`]]);
  return out;
}

/**
 * Plain-text body (email, desk comments, the text field of PagerDuty and webhooks): what, where,
 * since when, the cause with its figures, what streamguard did, what changed, who to talk to.
 * `evidence: false` leaves the evidence section out (a desk comment; the desk attaches the bundle).
 */
export function textBody(m: TicketMessage, opts: { evidence?: boolean } = {}): string {
  const out: string[] = [];
  if (m.drill || m.action === 'drill') {
    out.push(DRILL_BANNER, '', subject(m), '', m.summary);
    if (m.roles.length > 0) out.push('', 'Incident roles:', ...m.roles.map((r) => `  - ${roleWords(r)}`));
    return out.join('\n');
  }
  out.push(subject(m), '');
  const first = notices(m);
  if (first.length > 0) out.push(...first, '');
  for (const [label, values] of fields(m)) values.forEach((v, i) => out.push(`${i === 0 ? `${label}:`.padEnd(10) : ' '.repeat(10)}${v}`));
  if (m.changes && m.changes.length > 0) out.push('', 'Changes since the last message:', ...m.changes.map((c) => `  - ${c}`));
  if (m.roles.length > 0) out.push('', 'Incident roles:', ...m.roles.map((r) => `  - ${roleWords(r)}`));
  out.push('', `Incident ${m.incidentId}${m.link ? `: ${m.link}` : ''}`);
  if (m.evidence && opts.evidence !== false) out.push('', ...evidenceText(m.evidence));
  return out.join('\n');
}

/** Markdown for IM groups: short, with the roles and the key evidence lines. */
export function markdownBody(m: TicketMessage): string {
  const out: string[] = [];
  if (m.drill || m.action === 'drill') {
    out.push(`> **${DRILL_BANNER}**`, '', `**${subject(m)}**`, '', m.summary);
    if (m.roles.length > 0) out.push('', `Roles: ${m.roles.map(roleWords).join('; ')}`);
    return out.join('\n');
  }
  out.push(`**${subject(m)}**`, '');
  const first = notices(m);
  if (first.length > 0) out.push(...first, '');
  for (const [label, values] of fields(m)) out.push(`**${label}:** ${values.join('; ')}`);
  if (m.changes && m.changes.length > 0) out.push('', 'Changes since the last message:', ...m.changes.map((c) => `- ${c}`));
  if (m.roles.length > 0) out.push('', `Roles: ${m.roles.map(roleWords).join('; ')}`);
  if (m.evidence && m.evidence.probeErrors.length > 0) out.push('', 'Probe errors:', ...m.evidence.probeErrors.slice(0, 5).map((l) => `- \`${l}\``));
  if (m.link) out.push('', m.link);
  return out.join('\n');
}

function roleWords(r: RoleLine): string {
  return `${r.label}: ${r.name}${r.contact ? ` (${r.contact})` : ''}`;
}

/** The evidence bundle in words: the latest sample of each line per region, the probes' error runs. */
export function evidenceText(e: EvidenceBundle): string[] {
  const out = [`Evidence (samples ${utc(e.window.from)} … ${utc(e.window.to)})`];
  const latest: string[] = [];
  for (const [region, series] of Object.entries(e.lastSamples)) {
    for (const s of series) {
      const p = s.points[s.points.length - 1];
      if (!p) continue;
      const state = p.connected ? `playing, ${p.fps} fps, ${Math.round(p.bitrateBps / 1000)} kb/s${p.stallMs > 0 ? `, stalled ${fmtMs(p.stallMs)}` : ''}${p.freezeMs > 0 ? `, frozen ${fmtMs(p.freezeMs)}` : ''}` : 'not connected';
      latest.push(`    ${region}, line ${s.line} (probe ${s.probe}) at ${utc(p.t)}: ${state}${p.error ? ` — ${errorWords(p.error)}` : ''}`);
    }
  }
  if (latest.length > 0) out.push('  Latest sample of each line:', ...latest);
  if (e.probeErrors.length > 0) out.push('  Probe errors (runs of the same error merged):', ...e.probeErrors.map((l) => `    ${l}`));
  return out;
}

export const PD_SEVERITY: Record<Severity, 'critical' | 'error' | 'warning' | 'info'> = { P0: 'critical', P1: 'error', P2: 'warning', P3: 'info' };
export const DESK_PRIORITY: Record<Severity, string> = { P0: 'urgent', P1: 'high', P2: 'normal', P3: 'low' };
