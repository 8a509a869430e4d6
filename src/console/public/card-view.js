// Incident cards as DOM, from the hub's `cards` (its words: reach, cause, what was done, tickets)
// and, when opened, `narrative` (the timeline told in rows). Times in the chosen zone.
import { LEVEL_ICON } from './cell-view.js';
import { el, operatorButton, streamPageUrl } from './dom.js';
import { clockTime, duration } from './time.js';

/** Minutes a card's silence can last. */
export const SILENCE_MINUTES = [15, 30, 60, 120];

/**
 * `cards`: the hub's `cards` reply ({cards, total}: the worst first, cut at its limit). `ctx`:
 * { model, zone, now(), operator, command(type, fields), narratives: Map id → rows, toggleNarrative(id) }.
 */
export function renderCards(container, ctx, { cards, total }) {
  if (cards.length === 0) {
    container.replaceChildren(el('p', { class: 'empty', 'data-testid': 'no-incidents' }, 'No open incidents.'));
    return;
  }
  const more = total - cards.length;
  container.replaceChildren(...cards.map((c) => card(ctx, c)));
  if (more > 0) container.append(el('p', { class: 'empty', 'data-testid': 'more-incidents' }, `${more} more open incidents, less severe or older: the grid's problems view lists their streams.`));
}

function card(ctx, c) {
  const where = c.stream !== undefined ? `${c.stream}${c.line !== undefined ? ` / ${c.line}` : ''}` : `probe ${c.probe}`;
  const level = c.severity === 'P0' || c.severity === 'P1' ? 'down' : 'degraded';
  const status = c.acknowledged ? `acknowledged by ${c.acknowledged.by} at ${clockTime(c.acknowledged.at, ctx.zone)}` : c.status;
  return el(
    'article',
    { class: `card incident ${c.severity}`, 'data-testid': `incident-${c.id}`, 'aria-label': `${c.severity} ${c.kind} ${where}` },
    el(
      'div',
      { class: 'head' },
      el('span', { class: `sev ${c.severity}` }, c.severity),
      el('b', {}, `${LEVEL_ICON[level]} ${c.kind}`),
      c.stream !== undefined ? el('a', { href: streamPageUrl(c.stream) }, where) : el('span', {}, where),
      el('span', { class: 'status', 'data-testid': `card-status-${c.id}` }, status),
    ),
    el(
      'dl',
      {},
      el('dt', {}, 'where'),
      el('dd', { 'data-testid': `card-reach-${c.id}` }, `${c.scope}: ${c.reach}`),
      el('dt', {}, 'since'),
      el('dd', { 'data-testid': `card-since-${c.id}` }, ...sinceWords(ctx, c)),
      el('dt', {}, 'cause'),
      el('dd', { 'data-testid': `card-cause-${c.id}` }, list(causeGroups(c.regions).map((g) => `${g.regions.join(', ')} (${g.probes.length === 1 ? 'probe' : 'probes'} ${g.probes.join(', ')}, from ${clockTime(g.firstSeen, ctx.zone)}): ${g.cause}`), 'no region evidence')),
      el('dt', {}, 'done'),
      el('dd', { 'data-testid': `card-did-${c.id}` }, list(c.did.map((a) => `${clockTime(a.t, ctx.zone)} ${a.by}: ${a.what}`), 'nothing yet')),
      el('dt', {}, 'tickets'),
      el('dd', { 'data-testid': `card-tickets-${c.id}` }, ticketList(ctx, c)),
    ),
    actions(ctx, c),
    ctx.narratives.has(c.id) ? narrative(ctx, c.id, ctx.narratives.get(c.id)) : undefined,
  );
}

/** "08:13:13 UTC, 4 min 05 s ago (ticking) · onset 08:13:11 · reopened 2× (first opened 08:01:00)". */
function sinceWords(ctx, c) {
  const zone = ctx.zone === 'utc' ? ' UTC' : '';
  return [
    `${clockTime(c.since, ctx.zone)}${zone}, `,
    el('span', { 'data-since': c.since }, duration(ctx.now() - c.since)),
    ' ago',
    c.reopenCount > 0 ? ` · reopened ${c.reopenCount}× (first opened ${clockTime(c.openedAt, ctx.zone)})` : ` · first bad sample ${clockTime(c.onset, ctx.zone)}`,
  ];
}

/** Regions that see the same cause, together: five regions saying the same are one line. */
function causeGroups(regions) {
  const groups = new Map();
  for (const r of regions) {
    const g = groups.get(r.cause) ?? { cause: r.cause, regions: [], probes: [], firstSeen: r.firstSeen };
    g.regions.push(r.region);
    g.probes.push(r.probe);
    g.firstSeen = Math.min(g.firstSeen, r.firstSeen);
    groups.set(r.cause, g);
  }
  return [...groups.values()];
}

function ticketList(ctx, c) {
  const items = c.tickets.map((t) =>
    el(
      'li',
      {},
      `${t.vendor}: `,
      t.ref !== undefined ? (t.url ? el('a', { href: t.url, target: '_blank', rel: 'noopener' }, `ticket ${t.ref}`) : `ticket ${t.ref}`) : 'ticket',
      ` ${t.state} at ${clockTime(t.at, ctx.zone)}`,
      t.ackBy ? `, acknowledged by ${t.ackBy}` : '',
      t.error ? ` (${t.error})` : '',
    ),
  );
  if (c.ticketHeld) items.push(el('li', {}, 'held back: a silence matches'));
  return items.length > 0 ? el('ul', {}, ...items) : 'none';
}

function actions(ctx, c) {
  const s = c.stream !== undefined ? ctx.model.byId.get(c.stream) : undefined;
  const silenceFor = el('select', { class: 'operator-only', 'aria-label': 'silence for', 'data-testid': `silence-minutes-${c.id}` }, ...SILENCE_MINUTES.map((m) => el('option', { value: m }, `${m} min`)));
  return el(
    'div',
    { class: 'actions' },
    c.status === 'open' ? operatorButton(ctx.operator, 'ack', `ack-${c.id}`, () => ctx.command('ack', { incident: c.id })) : undefined,
    c.stream !== undefined ? silenceFor : undefined,
    c.stream !== undefined
      ? operatorButton(ctx.operator, 'silence', `silence-${c.id}`, () => ctx.command('silence', { matcher: { stream: c.stream, ...(c.line !== undefined && { line: c.line }) }, ttlMs: Number(silenceFor.value) * 60_000 }))
      : undefined,
    // Players off the line in trouble: offered only while they are on it.
    ...(s && c.line === s.active ? s.lines.filter((l) => l !== s.active).map((l) => operatorButton(ctx.operator, `switch to ${l}`, `card-switch-${c.id}-${l}`, () => ctx.command('switch', { stream: s.id, line: l }))) : []),
    s?.pin ? operatorButton(ctx.operator, 'fail back', `card-failback-${c.id}`, () => ctx.command('failback', { stream: s.id })) : undefined,
    el('button', { type: 'button', 'aria-expanded': String(ctx.narratives.has(c.id)), 'data-testid': `timeline-${c.id}`, onclick: () => ctx.toggleNarrative(c.id) }, ctx.narratives.has(c.id) ? 'hide timeline' : 'timeline'),
  );
}

/** The timeline as rows: when and who on one line, what happened under it, samples as a table. */
function narrative(ctx, id, rows) {
  return el(
    'ol',
    { class: 'narrative', 'data-testid': `narrative-${id}` },
    ...rows.map((r) =>
      el(
        'li',
        {},
        el('div', { class: 'when' }, el('span', { class: 't' }, clockTime(r.t, ctx.zone)), ' ', el('b', {}, r.by)),
        el('div', { class: 'what' }, r.what),
        r.samples ? el('div', { class: 'scroll' }, sampleTable(ctx, r.samples)) : undefined,
      ),
    ),
  );
}

/** A few samples as a table: the figures an engineer compares, in units. */
function sampleTable(ctx, samples) {
  const cols = [
    ['time', (s) => clockTime(s.t, ctx.zone)],
    ['region', (s) => s.region],
    ['line', (s) => s.line],
    ['conn', (s) => (s.connected ? 'yes' : 'no')],
    ['fps', (s) => String(Math.round(s.fps))],
    ['kbit/s', (s) => String(Math.round(s.bitrateBps / 1000))],
    ['stall', (s) => `${Math.round(s.stallMs)} ms`],
    ['freeze', (s) => `${Math.round(s.freezeMs)} ms`],
    ['latency', (s) => (s.latencyMs !== undefined ? duration(s.latencyMs) : '–')],
    ['A/V', (s) => (s.avSyncMs ?? s.avSkewMs) !== undefined ? `${Math.round(s.avSyncMs ?? s.avSkewMs)} ms` : '–'],
    ['error', (s) => s.error ?? ''],
  ];
  return el('table', { class: 'samples' }, el('tr', {}, ...cols.map(([h]) => el('th', {}, h))), ...samples.map((s) => el('tr', {}, ...cols.map(([, f]) => el('td', {}, f(s))))));
}

function list(items, none) {
  return items.length > 0 ? el('ul', {}, ...items.map((t) => el('li', {}, t))) : none;
}
