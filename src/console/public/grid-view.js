// The streams grid as DOM: one table, a row per line and a column per region, for the streams of
// the current page only. Cells are painted on their own (paintCell) so a sample redraws one cell.
import { cellView } from './cell-view.js';
import { el, operatorButton, streamPageUrl } from './dom.js';
import { cellKey, cellLevel, cellSince, featureFlags, regionsOf } from './grid-model.js';
import { pinView } from './pin-view.js';
import { clockTime, duration } from './time.js';

/**
 * Each shown stream's rows as last drawn, with what they were drawn from (`sig`): a redraw keeps
 * the rows of a stream whose state, incidents, features and the viewer's zone and role did not
 * change, so a `state` refresh rebuilds only the streams it changed (their cells follow samples
 * on their own, through paintCell).
 */
let drawn = new Map();

/**
 * Draws the grid of `ids` into `container`; returns cell key → { td, stream, line, region }.
 * `ctx`: { model, zone, now(), operator, command(type, fields), preview(stream, line), knownFeatures(stream) }.
 */
export function renderGrid(container, ctx, ids, emptyText) {
  const cells = new Map();
  if (ids.length === 0) {
    container.replaceChildren(el('p', { class: 'empty', 'data-testid': 'grid-empty' }, emptyText));
    return cells;
  }
  const regions = regionsOf(ctx.model);
  const head = el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'stream'), el('th', { scope: 'col' }, 'line'), ...regions.map((r) => el('th', { scope: 'col' }, r)), el('th', { scope: 'col' }, '')));
  const next = new Map();
  const bodies = ids.map((id) => {
    const s = ctx.model.byId.get(id);
    const sig = JSON.stringify([s, regions, ctx.knownFeatures(id), ctx.operator, ctx.zone, s.lines.map((l) => ctx.model.byLine.get(`${id}/${l}`) ?? [])]);
    const kept = drawn.get(id);
    const body = kept?.sig === sig ? kept : { sig, ...streamBody(ctx, s, regions) };
    next.set(id, body);
    for (const [key, cell] of body.cells) cells.set(key, cell);
    return body.tbody;
  });
  drawn = next;
  const cols = el('colgroup', {}, el('col', { class: 'stream' }), el('col', { class: 'line' }), ...regions.map(() => el('col', {})), el('col', { class: 'tools' }));
  container.replaceChildren(el('table', { class: 'grid', 'data-testid': 'grid' }, cols, head, ...bodies));
  return cells;
}

/** A stream's rows → { tbody, cells: [cell key, { td, stream, line, region }] }. */
function streamBody(ctx, s, regions) {
  const cells = [];
  const rows = s.lines.map((line, i) =>
    el(
      'tr',
      { class: line === s.active ? 'active' : '', 'data-line': line },
      i === 0 ? el('th', { class: 'stream', rowspan: s.lines.length, scope: 'rowgroup' }, ...streamHeader(ctx, s)) : undefined,
      el('th', { class: 'line', scope: 'row' }, line),
      ...regions.map((r) => {
        const td = el('td', { 'data-testid': `cell-${s.id}-${line}-${r}` });
        cells.push([cellKey(s.id, line, r), { td, stream: s.id, line, region: r }]);
        paintCell(td, ctx, s.id, line, r);
        return td;
      }),
      el(
        'td',
        {},
        el('button', { type: 'button', 'data-testid': `preview-${s.id}-${line}`, onclick: () => ctx.preview(s.id, line) }, 'preview'),
        line === s.active ? undefined : operatorButton(ctx.operator, 'switch', `switch-${s.id}-${line}`, () => ctx.command('switch', { stream: s.id, line })),
      ),
    ),
  );
  // A pin gets a row across the stream: its warning must not hide in a narrow column.
  const pin = pinView(ctx.model, s.id);
  if (pin) rows.push(el('tr', { class: 'pin-row' }, el('td', { colspan: regions.length + 3 }, pinLine(ctx, s.id, pin))));
  return { tbody: el('tbody', { 'data-stream': s.id }, ...rows), cells };
}

function streamHeader(ctx, s) {
  return [
    el('a', { class: 'name', href: streamPageUrl(s.id), title: 'charts of this stream per region' }, s.id),
    s.name ? el('div', { class: 'meta' }, s.name) : undefined,
    el('div', { class: 'meta' }, el('span', { 'data-testid': `active-${s.id}` }, `active: ${s.active}`)),
    s.hold ? el('div', { class: 'pin' }, `failback held since ${clockTime(s.hold.since, ctx.zone)}: ${s.hold.reason}`) : undefined,
    operatorButton(ctx.operator, 'fail back', `failback-${s.id}`, () => ctx.command('failback', { stream: s.id })),
    ...featureFlags(s.features, ctx.knownFeatures(s.id)).map(([f, enabled]) =>
      el(
        'div',
        { class: 'meta feature' },
        el('span', { 'data-testid': `feature-state-${s.id}-${f}` }, `${f}: ${enabled ? 'on' : 'off'} `),
        operatorButton(ctx.operator, enabled ? 'turn off' : 'turn on', `feature-${s.id}-${f}`, () => ctx.command('feature', { stream: s.id, feature: f, enabled: !enabled })),
        operatorButton(ctx.operator, 'auto', `feature-auto-${s.id}-${f}`, () => ctx.command('feature', { stream: s.id, feature: f, enabled: 'auto' })),
      ),
    ),
  ];
}

/** "pinned to primary by alice until 14:30:00 (in 12 min): reason", with a warning when that line is down. */
function pinLine(ctx, stream, pin) {
  const text = [`pinned to ${pin.line} by ${pin.by} until ${clockTime(pin.until, ctx.zone)} (in `, el('span', { 'data-until': pin.until }, duration(pin.until - ctx.now())), `): ${pin.reason}`];
  if (pin.down.length === 0) return el('div', { class: 'pin', 'data-testid': `pin-${stream}` }, ...text);
  return el('div', { class: 'pin warn', role: 'alert', 'data-testid': `pin-${stream}` }, `⚠ ${pin.line} is DOWN in ${pin.down.join(', ')} but pinned: players stay on it until the pin expires or someone fails back. `, ...text);
}

/**
 * (Re)draws one cell from the model: level class, symbol, words and figure. A cell whose words did
 * not change is left alone: most samples change nothing visible, and each DOM write makes the
 * browser lay the table out again.
 */
export function paintCell(td, ctx, stream, line, region) {
  const level = cellLevel(ctx.model, stream, line, region);
  const view = cellView(level, ctx.model.latest.get(cellKey(stream, line, region)), cellSince(ctx.model, stream, line, region), ctx.now());
  const shown = `${level}|${view.text}|${view.detail}`;
  if (td.dataset.shown === shown) return;
  td.dataset.shown = shown;
  td.className = `cell ${level}`;
  td.title = `${stream} / ${line} in ${region}: ${view.text}${view.detail ? ` (${view.detail})` : ''}`;
  td.replaceChildren(el('span', { class: 'icon', 'aria-hidden': 'true' }, view.icon), view.text);
  if (view.detail) td.append(el('span', { class: 'detail' }, view.detail));
}
