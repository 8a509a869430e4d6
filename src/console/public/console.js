// The live page: one /ws connection (plus the public feature-flags route for the names of the
// features a policy knows), the models, and when to draw what. Drawing is in grid-view.js and
// card-view.js; the overview's counts, filter and order in overview.js.
import { renderCards } from './card-view.js';
import { el } from './dom.js';
import { applyIncidentEvent, applySample, applyState, cellKey, emptyModel } from './grid-model.js';
import { paintCell, renderGrid } from './grid-view.js';
import { overviewCounts, pageOf, pageTitle, visibleStreams } from './overview.js';
import { openPreview } from './preview.js';
import { duration, setTimeZone, timeZone, zoneLabel } from './time.js';

const TOKEN_KEY = 'streamguard.token';
/** Streams per grid page: at 2 lines × 5 regions, 500 cells, drawn at once. */
const PAGE_SIZE = 50;
/** `subscribe` takes at most this many topics at once. */
const TOPICS_PER_REQUEST = 100;
const $ = (id) => document.getElementById(id);

let model = emptyModel();
/** The hub's cards of the worst open incidents, and how many are open in all. */
let cards = { cards: [], total: 0 };
let ws;
let nextId = 1;
const pending = new Map();
let role = 'viewer';
/** Signed in and `state` read: the page may draw the grid and follow samples. */
let started = false;
/** incident id → its narrative rows, for the cards whose timeline is open. */
const narratives = new Map();
/** stream id → the feature modules its policy knows (`state` only has the flags that changed). */
const knownFeatures = new Map();
/** What the grid shows; kept in the address (`?view=all&q=…&sort=id`), so a link or reload keeps it. */
const params = new URLSearchParams(location.search);
const view = { problemsOnly: params.get('view') !== 'all', query: params.get('q') ?? '', sort: params.get('sort') === 'id' ? 'id' : 'severity', page: 0 };
/** cell key → { td, stream, line, region } on the current page; keys of cells with a new sample not yet drawn. */
let cells = new Map();
const dirty = new Set();
/** `samples:<stream>` topics subscribed: the streams of the current page only. */
let sampleTopics = new Set();
/**
 * How long the last 100 full redraws and per-frame cell paints took (ms): read by the 1,000-stream
 * browser test, and by anyone in the devtools console who wonders whether the page keeps up.
 */
const renderStats = { render: [], paint: [] };
globalThis.streamguardRenderStats = renderStats;
function timed(kind, draw) {
  const t0 = performance.now();
  draw();
  renderStats[kind].push(performance.now() - t0);
  if (renderStats[kind].length > 100) renderStats[kind].shift();
}

function request(type, fields = {}) {
  const id = nextId++;
  ws.send(JSON.stringify({ id, type, ...fields }));
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}

function connect() {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  ws = new WebSocket(url);
  started = false;
  sampleTopics = new Set();
  latestRead.clear();
  ws.onmessage = (m) => onMessage(JSON.parse(m.data));
  ws.onclose = (e) => {
    for (const p of pending.values()) p.reject(new Error('disconnected'));
    pending.clear();
    // 4401: the hub refused the token or waited too long for one; the form reconnects on submit.
    if (e.code === 4401) {
      setConn(false, 'signed out');
      $('login').hidden = false;
      return;
    }
    setConn(false, 'disconnected');
    setTimeout(connect, 2000);
  };
}

function onMessage(msg) {
  if (msg.type === 'hello') return onHello(msg);
  if (msg.type === 'event') return onEvent(msg.topic, msg.data);
  if (msg.type === 'dropped') return scheduleRefresh();
  const p = pending.get(msg.id);
  if (!p) return;
  pending.delete(msg.id);
  if (msg.ok) p.resolve(msg.result);
  else p.reject(new Error(`${msg.error.code}: ${msg.error.message}`));
}

async function onHello(hello) {
  if (hello.authenticated) return start({ name: hello.name, role: hello.role });
  if (sessionStorage.getItem(TOKEN_KEY)) return signIn();
  showLogin('');
}

/** Sends the tab's token on the open, not yet authenticated socket. */
async function signIn() {
  let who;
  try {
    who = await request('auth', { token: sessionStorage.getItem(TOKEN_KEY) });
  } catch (err) {
    sessionStorage.removeItem(TOKEN_KEY);
    return showLogin(`sign-in refused: ${err.message}`);
  }
  start(who);
}

async function start(who) {
  role = who.role;
  document.body.classList.toggle('viewer', role !== 'operator');
  $('who').textContent = `${who.name} (${who.role})`;
  $('login').hidden = true;
  setConn(true, 'live');
  await request('subscribe', { topics: ['health', 'incidents', 'actions'] });
  const state = await request('state');
  model = applyState(model, state, Date.now());
  cards = await request('cards');
  started = true;
  renderAll();
}

/**
 * The public flags route lists every feature the policy knows, with its default. Read for the
 * streams a page shows, once each (a thousand reads at load would hold the page up); the page is
 * drawn again when they are in.
 */
async function loadKnownFeatures(ids) {
  const missing = ids.filter((id) => !knownFeatures.has(id));
  if (missing.length === 0) return;
  for (const id of missing) knownFeatures.set(id, []);
  await Promise.all(
    missing.map(async (stream) => {
      const res = await fetch(`/api/v1/streams/${encodeURIComponent(stream)}/features`).catch(() => undefined);
      if (res?.ok) knownFeatures.set(stream, Object.keys((await res.json()).features));
    }),
  );
  renderAll();
}

/** How far back a stream's cells look for their latest sample when the page first shows them. */
const LATEST_LOOKBACK_MS = 15_000;
/** Streams whose recent samples were read (or are being read). */
const latestRead = new Set();

/**
 * Fills the cells of streams the page shows for the first time with their latest samples from
 * the hub's history, so they have their figure at once instead of at the next window.
 */
async function loadLatestSamples(ids) {
  const missing = ids.filter((id) => !latestRead.has(id));
  for (const id of missing) latestRead.add(id);
  const from = Date.now() + model.skewMs - LATEST_LOOKBACK_MS;
  await Promise.all(
    missing.map(async (stream) => {
      const { samples } = await request('history', { stream, from });
      for (const s of samples) {
        const key = cellKey(s.stream, s.line, s.region);
        // A live sample may have come in meanwhile: history never overwrites a newer one.
        if ((model.latest.get(key)?.t ?? -Infinity) > s.t) continue;
        applySample(model, s);
        if (cells.has(key)) dirty.add(key);
      }
    }),
  );
  scheduleFrame();
}

function onEvent(topic, data) {
  if (topic.startsWith('samples:')) {
    const key = applySample(model, data);
    // Regions (the grid's columns) come from `state`: a page opened as the hub starts has none yet.
    if (!model.regions.includes(data.region)) return scheduleRefresh();
    if (cells.has(key)) {
      dirty.add(key);
      scheduleFrame();
    }
    return;
  }
  if (topic === 'incidents') {
    model = applyIncidentEvent(model, data);
    if (narratives.has(data.incident.id)) loadNarrative(data.incident.id);
  }
  // Health and actions change served lines, pins and per-region levels: re-read `state` and the cards.
  scheduleRefresh();
}

/** Bursts of events (a failover is several) become one `state` and one `cards` read. */
let refreshTimer;
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(async () => {
    const [state, c] = await Promise.all([request('state'), request('cards')]);
    model = applyState(model, state, Date.now());
    cards = c;
    renderAll();
  }, 200);
}

/** Samples only mark their cells; the cells are drawn once per animation frame. */
let frameQueued = false;
function scheduleFrame() {
  if (frameQueued) return;
  frameQueued = true;
  requestAnimationFrame(() => {
    frameQueued = false;
    const ctx = context();
    timed('paint', () => {
      for (const key of dirty) {
        const c = cells.get(key);
        if (c) paintCell(c.td, ctx, c.stream, c.line, c.region);
      }
    });
    dirty.clear();
  });
}

function context() {
  return {
    model,
    zone: timeZone(),
    now: () => Date.now() + model.skewMs,
    operator: role === 'operator',
    command,
    preview: (stream, line) => openPreview($('previews'), stream, line, sessionStorage.getItem(TOKEN_KEY)),
    knownFeatures: (stream) => knownFeatures.get(stream) ?? [],
    narratives,
    toggleNarrative,
  };
}

function renderAll() {
  renderZone();
  if (started) timed('render', drawPage);
}

function drawPage() {
  // A redraw replaces the buttons: the one with the keyboard focus gets it back.
  const focused = document.activeElement?.dataset?.testid;
  const ctx = context();
  const counts = overviewCounts(model);
  document.title = pageTitle(counts);
  renderCounts(counts);
  const ids = visibleStreams(model, view);
  const page = pageOf(ids, view.page, PAGE_SIZE);
  view.page = page.page;
  renderPager(page, ids.length);
  const empty = view.problemsOnly ? `No problems: all ${model.streams.length} streams ok${view.query ? ' (or none match the search)' : ''}. Choose "all streams" to see them.` : 'No stream matches the search.';
  cells = renderGrid($('grid'), ctx, page.items, empty);
  renderCards($('incidents'), ctx, cards);
  // A socket that closes meanwhile reconnects and subscribes again from its start.
  followSamples(page.items).catch(() => undefined);
  loadLatestSamples(page.items).catch(() => undefined);
  loadKnownFeatures(page.items);
  if (focused) document.querySelector(`[data-testid="${CSS.escape(focused)}"]`)?.focus();
}

function renderCounts(c) {
  const n = (value, label, testid) => el('span', {}, el('span', { class: 'n', 'data-testid': testid }, String(value)), ` ${label}`);
  const sep = () => el('span', { class: 'sep', 'aria-hidden': 'true' }, '|');
  $('counts').replaceChildren(
    'streams ',
    n(c.streams.ok, 'ok', 'count-ok'), ', ', n(c.streams.degraded, 'degraded', 'count-degraded'), ', ', n(c.streams.down, 'down', 'count-down'),
    sep(),
    'incidents ',
    ...['P0', 'P1', 'P2', 'P3'].flatMap((p, i) => [i > 0 ? ', ' : '', n(c.incidents[p], p, `count-${p}`)]),
    sep(),
    'probes ',
    n(c.probes.blind, 'blind', 'count-blind'), ', ', n(c.probes.impaired, 'impaired', 'count-impaired'),
  );
}

function renderZone() {
  const zone = timeZone();
  $('zone').textContent = zoneLabel(zone);
  $('zone-switch').textContent = zone === 'utc' ? 'show local time' : 'show UTC';
}

function renderPager(page, total) {
  const to = (p) => () => {
    view.page = p;
    renderAll();
  };
  $('pager').replaceChildren(
    el('span', { 'data-testid': 'shown' }, `${total} stream${total === 1 ? '' : 's'} shown`),
    page.pages > 1 ? ` · page ${page.page + 1} of ${page.pages} ` : '',
    page.pages > 1 ? el('button', { type: 'button', 'aria-label': 'previous page', disabled: page.page === 0, onclick: to(page.page - 1) }, '‹') : '',
    page.pages > 1 ? el('button', { type: 'button', 'aria-label': 'next page', disabled: page.page >= page.pages - 1, 'data-testid': 'next-page', onclick: to(page.page + 1) }, '›') : '',
  );
  $('view-problems').setAttribute('aria-pressed', String(view.problemsOnly));
  $('view-all').setAttribute('aria-pressed', String(!view.problemsOnly));
}

/** Subscribes to the samples of the streams on the page, and leaves the others. */
async function followSamples(ids) {
  const want = new Set(ids.map((id) => `samples:${id}`));
  const add = [...want].filter((t) => !sampleTopics.has(t));
  const drop = [...sampleTopics].filter((t) => !want.has(t));
  sampleTopics = want;
  for (let i = 0; i < drop.length; i += TOPICS_PER_REQUEST) await request('unsubscribe', { topics: drop.slice(i, i + TOPICS_PER_REQUEST) });
  for (let i = 0; i < add.length; i += TOPICS_PER_REQUEST) await request('subscribe', { topics: add.slice(i, i + TOPICS_PER_REQUEST) });
}

/** The view in the address, so a reload or a shared link shows the same. */
function setView(change) {
  Object.assign(view, change);
  const q = new URLSearchParams();
  if (!view.problemsOnly) q.set('view', 'all');
  if (view.query) q.set('q', view.query);
  if (view.sort !== 'severity') q.set('sort', view.sort);
  history.replaceState(null, '', `${location.pathname}${q.size ? `?${q}` : ''}`);
  renderAll();
}

/** Durations, a pin's time left and the cells' "down for" count on, once a second, without a redraw. */
function tick() {
  const ctx = context();
  for (const e of document.querySelectorAll('[data-since]')) e.textContent = duration(ctx.now() - Number(e.dataset.since));
  for (const e of document.querySelectorAll('[data-until]')) e.textContent = duration(Math.max(0, Number(e.dataset.until) - ctx.now()));
  for (const c of cells.values()) if (!c.td.classList.contains('ok')) paintCell(c.td, ctx, c.stream, c.line, c.region);
}

function setConn(up, text) {
  $('conn').textContent = text;
  $('conn').className = `conn ${up ? 'up' : 'down'}`;
}

function showLogin(error) {
  $('login').hidden = false;
  $('login-error').textContent = error;
}

/** Runs an operator command with the reason from the header input (or a prompt). */
async function command(type, fields) {
  const reason = $('reason').value.trim() || prompt(`reason for ${type}`)?.trim();
  if (!reason) return;
  try {
    await request(type, { ...fields, reason });
    scheduleRefresh();
  } catch (err) {
    alert(`${type} failed: ${err.message}`);
  }
}

function toggleNarrative(id) {
  if (narratives.has(id)) {
    narratives.delete(id);
    renderAll();
  } else loadNarrative(id);
}

async function loadNarrative(id) {
  const { rows } = await request('narrative', { incident: id });
  narratives.set(id, rows);
  renderAll();
}

$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $('token').value);
  $('token').value = '';
  $('login').hidden = true;
  $('login-error').textContent = '';
  // A socket still connecting signs in from its hello.
  if (ws.readyState === WebSocket.OPEN) signIn();
  else if (ws.readyState !== WebSocket.CONNECTING) connect();
});
$('view-problems').addEventListener('click', () => setView({ problemsOnly: true, page: 0 }));
$('view-all').addEventListener('click', () => setView({ problemsOnly: false, page: 0 }));
$('search').value = view.query;
$('search').addEventListener('input', (e) => setView({ query: e.target.value, page: 0 }));
$('sort').value = view.sort;
$('sort').addEventListener('change', (e) => setView({ sort: e.target.value, page: 0 }));
$('zone-switch').addEventListener('click', () => {
  setTimeZone(timeZone() === 'utc' ? 'local' : 'utc');
  renderAll();
});
setInterval(tick, 1000);
renderZone();
connect();
