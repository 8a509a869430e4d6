// The history page: incidents live within the last hours (with what streamguard did and how each
// ended) and the actions of the same hours, from the history API; filters run in the page.
import { actionTable } from './action-table.js';
import { filterActions, filterRows, groupRows, historyRow, RANGES, rowStreams } from './history-model.js';
import { el } from './page-dom.js';
import { mountZoneSwitch } from './page-zone.js';
import { getJson, signInGuard } from './rest.js';
import { clockTime, dateTime, duration, timeZone } from './time.js';

const $ = (id) => document.getElementById(id);
/** Re-read every so often: the page is left open on a second screen. */
const REFRESH_MS = 30_000;
const params = new URLSearchParams(location.search);
let range = params.get('range') in RANGES ? params.get('range') : '1h';
let stream = params.get('stream') ?? '';
let rows = [];
let actions = [];

async function load() {
  const to = Date.now();
  const q = `from=${to - RANGES[range]}&to=${to}&limit=1000`;
  const [inc, act] = await Promise.all([getJson(`/api/v1/history/incidents?${q}`), getJson(`/api/v1/history/actions?${q}`)]);
  rows = inc.incidents.map((r) => historyRow(r, to));
  actions = act.actions;
  $('note').textContent = inc.truncated || act.truncated ? 'more than 1000 entries in this range: showing the newest' : '';
  render();
}

function render() {
  const zone = timeZone();
  const choices = [...new Set([...rowStreams(rows), stream].filter(Boolean))];
  $('stream').replaceChildren(el('option', { value: '' }, 'all'), ...choices.map((s) => el('option', { value: s, selected: s === stream }, s)));
  const filter = { stream, severity: $('severity').value, text: $('text').value };
  const groups = groupRows(filterRows(rows, filter));
  $('incidents').replaceChildren(...(groups.length ? groups.map((g) => incidentTable(g, zone)) : [el('p', {}, `no incident in the last ${range.replace('h', ' h')}`)]));
  const shownActions = filterActions(actions, filter);
  $('actions').replaceChildren(shownActions.length ? actionTable(shownActions, zone) : el('p', {}, 'none'));
}

function incidentTable(group, zone) {
  const head = el('tr', {}, ...['severity', 'stream / line', 'kind', 'scope', 'regions', 'onset', 'duration', 'resolution', 'what was done', ''].map((h) => el('th', { scope: 'col' }, h)));
  const body = group.rows.map((r) =>
    el(
      'tr',
      { class: `sev-${r.severity}`, 'data-testid': `history-${r.id}` },
      el('td', {}, el('span', { class: `sev ${r.severity}` }, r.severity)),
      el('td', {}, r.stream ? `${r.stream} / ${r.line ?? '—'}` : `probe ${r.probe}`),
      el('td', {}, r.kind),
      el('td', {}, r.scope),
      el('td', {}, r.regions.join(', ')),
      el('td', { title: `opened ${dateTime(r.openedAt, zone)}` }, dateTime(r.onset, zone)),
      el('td', {}, `${duration(r.durationMs)}${r.resolvedAt === undefined ? ' so far' : ''}`),
      el('td', { 'data-testid': 'resolution' }, r.resolution ?? r.status),
      el('td', { class: 'did' }, ...r.did.map((d) => el('div', {}, `${clockTime(d.t, zone)} ${d.words}`))),
      el('td', {}, r.stream ? el('a', { href: `/console/stream.html?stream=${encodeURIComponent(r.stream)}` }, 'stream page') : undefined),
    ),
  );
  return el('table', { class: 'history' }, el('caption', {}, `${group.title} (${group.rows.length})`), el('thead', {}, head), el('tbody', {}, ...body));
}

function pickRange(next) {
  range = next;
  for (const b of document.querySelectorAll('[data-range]')) b.setAttribute('aria-pressed', String(b.dataset.range === range));
  refresh();
}

const guard = signInGuard($('login'), $('status'), () => refresh());
const refresh = () => guard(load);
for (const b of document.querySelectorAll('[data-range]')) b.addEventListener('click', () => pickRange(b.dataset.range));
$('stream').addEventListener('change', () => {
  stream = $('stream').value;
  render();
});
$('severity').addEventListener('change', render);
$('text').addEventListener('input', render);
mountZoneSwitch($('zone'), $('zone-switch'), render);
pickRange(range);
setInterval(refresh, REFRESH_MS);
