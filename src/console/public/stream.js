// The stream page: charts of one stream's samples per line and region over the last 15 min / 1 h /
// 6 h (history on open, then polled), with incident and switch markers, its open incidents and
// recent actions. Tables and markers come from chart-series.js and chart-annotations.js.
import uPlot from './uPlot.esm.js';
import { actionTable } from './action-table.js';
import { chartMarkers, placeLabels } from './chart-annotations.js';
import { CHART_RANGES, chartTables, mergeSamples } from './chart-series.js';
import { el } from './page-dom.js';
import { mountZoneSwitch } from './page-zone.js';
import { getJson, signInGuard } from './rest.js';
import { clockTime, dateTime, duration, timeZone } from './time.js';

const $ = (id) => document.getElementById(id);
const POLL_MS = 5000;
/** A view's colour, by its position among the stream's line/region views. */
const COLOURS = ['#6cf', '#f96', '#cf6', '#f6c', '#fc6', '#9cf', '#c9f', '#6fc'];
const MARK_COLOURS = { incident: '#f55', resolved: '#5c5', switch: '#6cf' };
const stream = new URLSearchParams(location.search).get('stream') ?? '';
const api = (path) => `/api/v1/${path}`;

let range = '15m';
let samples = [];
let rollups = [];
let incidents = [];
let actions = [];
/** field → {plot, box, key}: the charts drawn; one is drawn anew when its range, zone or views change. */
const plots = new Map();
let markers = [];

function chartWindow() {
  const { ms, stepMs } = CHART_RANGES[range];
  const now = Date.now();
  return { from: Math.floor((now - ms) / stepMs) * stepMs, to: Math.ceil(now / stepMs) * stepMs + stepMs, stepMs };
}

/** The range's samples: raw (and rollups where raw ones aged out), or all in minute rollups for the long range. */
function samplesPath(from, to) {
  const minutes = CHART_RANGES[range].minutes ? '&rollup=minute' : '';
  return api(`streams/${encodeURIComponent(stream)}/samples?from=${from}&to=${to}&limit=50000${minutes}`);
}

/** Everything of the range: samples and rollups, incidents, actions. */
async function loadAll() {
  const w = chartWindow();
  const asked = range;
  const history = await getJson(samplesPath(w.from, w.to));
  // A range picked meanwhile has its own read.
  if (range !== asked) return;
  samples = history.samples;
  rollups = history.rollups;
  $('note').textContent = history.truncated ? 'more samples in this range than one read holds: the oldest are left out' : '';
  await loadEvents(w);
  draw();
}

/**
 * What came since the last read: raw samples after the newest held, or (in minutes) the minutes
 * from the newest held one on, which replace it (it was still filling); then the range's
 * incidents and actions again.
 */
async function poll() {
  const w = chartWindow();
  const asked = range;
  if (CHART_RANGES[range].minutes) {
    const since = rollups.length ? Math.max(...rollups.map((r) => r.minute)) : w.from;
    const fresh = await getJson(samplesPath(since, w.to));
    if (range !== asked) return;
    rollups = [...rollups.filter((r) => r.minute >= w.from && r.minute < since), ...fresh.rollups];
  } else {
    const since = samples.length ? samples.at(-1).t + 1 : w.from;
    const fresh = await getJson(samplesPath(since, w.to));
    if (range !== asked) return;
    samples = mergeSamples(samples, fresh.samples, w.from);
    rollups = rollups.filter((r) => r.minute >= w.from);
  }
  await loadEvents(w);
  draw();
}

async function loadEvents(w) {
  const q = `stream=${encodeURIComponent(stream)}&from=${w.from}&to=${w.to}&limit=1000`;
  const [inc, act] = await Promise.all([getJson(api(`history/incidents?${q}`)), getJson(api(`history/actions?${q}`))]);
  incidents = inc.incidents;
  actions = act.actions;
}

function draw() {
  const w = chartWindow();
  const zone = timeZone();
  markers = chartMarkers(incidents, actions, w);
  const tables = chartTables(samples, rollups, w);
  const shown = new Set(tables.map((t) => t.chart.field));
  for (const [field, p] of plots) {
    if (shown.has(field)) continue;
    p.box.remove();
    p.plot.destroy();
    plots.delete(field);
  }
  for (const table of tables) {
    const data = [table.t.map((t) => t / 1000), ...table.columns];
    const key = `${range}|${zone}|${table.views.join(',')}`;
    const held = plots.get(table.chart.field);
    if (held?.key === key) {
      held.plot.setData(data);
      continue;
    }
    if (held) {
      held.plot.destroy();
      held.box.remove();
    }
    const box = el('figure', { class: 'chart', 'data-testid': `chart-${table.chart.field}` }, el('figcaption', {}, `${table.chart.title} (${table.chart.unit})`));
    $('charts').append(box);
    const plot = new uPlot(plotOptions(table, zone), data, box);
    box.uplot = plot;
    plots.set(table.chart.field, { plot, box, key });
  }
  // Keep the charts in CHARTS order whatever order they appeared in.
  for (const table of tables) $('charts').append(plots.get(table.chart.field).box);
  $('step').textContent = duration(w.stepMs);
  renderLists(zone);
}

function plotOptions(table, zone) {
  const long = CHART_RANGES[range].ms > 60 * 60_000;
  const time = (s) => (s == null ? '' : long ? clockTime(s * 1000, zone).slice(0, 5) : clockTime(s * 1000, zone));
  return {
    width: Math.min(1100, document.body.clientWidth - 40),
    height: 180,
    scales: { x: { time: true } },
    series: [{ label: 'time', value: (_u, v) => time(v) }, ...table.views.map((v, i) => ({ label: v, stroke: COLOURS[i % COLOURS.length], width: 1.5, points: { show: false }, value: (_u, y) => (y == null ? '—' : `${+y.toFixed(2)} ${table.chart.unit}`) }))],
    axes: [
      { stroke: '#aaa', grid: { stroke: '#333' }, values: (_u, splits) => splits.map(time) },
      { stroke: '#aaa', grid: { stroke: '#333' }, label: table.chart.unit, size: 60 },
    ],
    plugins: [markerPlugin()],
  };
}

/** Vertical lines with labels for incidents and switches; labels that would overlap go down a lane. */
function markerPlugin() {
  return {
    hooks: {
      draw: (u) => {
        const { ctx } = u;
        const { left, top, width, height } = u.bbox;
        const px = devicePixelRatio;
        ctx.save();
        ctx.font = `${11 * px}px system-ui, sans-serif`;
        const xs = markers.map((m) => u.valToPos(m.t / 1000, 'x', true));
        const labels = placeLabels(xs, markers.map((m) => ctx.measureText(m.label).width), left + width, 3 * px);
        markers.forEach((m, i) => {
          const x = xs[i];
          if (x < left || x > left + width) return;
          ctx.strokeStyle = ctx.fillStyle = MARK_COLOURS[m.kind];
          ctx.setLineDash(m.kind === 'switch' ? [4 * px, 3 * px] : []);
          ctx.beginPath();
          ctx.moveTo(x, top);
          ctx.lineTo(x, top + height);
          ctx.stroke();
          ctx.fillText(m.label, labels[i].start, top + (12 + 13 * labels[i].lane) * px);
        });
        ctx.restore();
      },
    },
  };
}

function renderLists(zone) {
  const open = incidents.filter((r) => r.incident.status !== 'resolved');
  $('open').replaceChildren(
    ...(open.length
      ? open.map(({ incident: i }) =>
          el('div', { class: `incident sev-${i.severity}`, 'data-testid': `open-${i.id}` }, el('span', { class: `sev ${i.severity}` }, i.severity), ` ${i.kind} ${i.line ?? ''} (${i.scope}; ${Object.keys(i.regions).join(', ')}) ${i.status} since ${dateTime(i.openedAt, zone)}, ${duration(Date.now() - i.openedAt)}`),
        )
      : [el('p', {}, 'none')]),
  );
  $('actions').replaceChildren(actions.length ? actionTable(actions, zone) : el('p', {}, 'none in this range'));
}

function pickRange(next) {
  range = next;
  for (const b of document.querySelectorAll('[data-range]')) b.setAttribute('aria-pressed', String(b.dataset.range === range));
  reload();
}

$('stream-id').textContent = stream;
document.title = `streamguard ${stream}`;
$('history-link').href = `/console/history.html?stream=${encodeURIComponent(stream)}`;
const guard = signInGuard($('login'), $('status'), () => reload());
const reload = () => guard(loadAll);
const refresh = () => guard(poll);
for (const b of document.querySelectorAll('[data-range]')) b.addEventListener('click', () => pickRange(b.dataset.range));
mountZoneSwitch($('zone'), $('zone-switch'), draw);
if (stream === '') $('status').textContent = 'no stream given: open this page as /console/stream.html?stream=<id> (the history page links every incident to its stream)';
else {
  pickRange(range);
  setInterval(refresh, POLL_MS);
}
