// The console page: one /ws connection (plus the public feature-flags route for the names of the
// features a policy knows), the grid model from grid-model.js, DOM rendering, buttons.
import { openPreview } from './preview.js';
import { applyIncidentEvent, applySample, applyState, cellLevel, emptyModel, featureFlags, regionsOf, seriesKey, SPARK_FIELDS, sparkPoints } from './grid-model.js';

const TOKEN_KEY = 'streamguard.token';
const $ = (id) => document.getElementById(id);
let model = emptyModel();
let ws;
let nextId = 1;
const pending = new Map();
let role = 'viewer';
let refreshTimer;
/** incident id → its timeline entries, for the incidents whose timeline is open. */
const timelines = new Map();
/** stream id → the feature modules its policy knows (`state` only has the flags that changed). */
const knownFeatures = new Map();

function request(type, fields = {}) {
  const id = nextId++;
  ws.send(JSON.stringify({ id, type, ...fields }));
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}

function connect() {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  ws = new WebSocket(url);
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

async function onMessage(msg) {
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
  const state = await request('state');
  await Promise.all(state.streams.map((s) => loadKnownFeatures(s.id)));
  model = applyState(model, state);
  await request('subscribe', { topics: ['health', 'incidents', 'actions', ...state.streams.map((s) => `samples:${s.id}`)] });
  render();
}

/** The public flags route lists every feature the policy knows, with its default. */
async function loadKnownFeatures(stream) {
  try {
    const res = await fetch(`/api/v1/streams/${encodeURIComponent(stream)}/features`);
    knownFeatures.set(stream, res.ok ? Object.keys((await res.json()).features) : []);
  } catch {
    knownFeatures.set(stream, []);
  }
}

function onEvent(topic, data) {
  if (topic.startsWith('samples:')) {
    model = applySample(model, data);
    // Regions (the grid's columns) come from `state`: a page opened as the hub starts has none yet.
    if (!regionsOf(model).includes(data.region)) return scheduleRefresh();
    return scheduleRender();
  }
  if (topic === 'incidents') {
    model = applyIncidentEvent(model, data);
    if (timelines.has(data.incident.id)) loadTimeline(data.incident.id);
  }
  // Health and actions change served lines, pins and per-region levels: re-read `state`.
  scheduleRefresh();
}

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(async () => {
    model = applyState(model, await request('state'));
    render();
  }, 150);
}

let renderQueued = false;
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

function setConn(up, text) {
  $('conn').textContent = text;
  $('conn').className = `conn ${up ? 'up' : 'down'}`;
}

function showLogin(error) {
  $('login').hidden = false;
  $('login-error').textContent = error;
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

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== false) e.setAttribute(k, v === true ? '' : String(v));
  }
  e.append(...children.filter((c) => c !== undefined));
  return e;
}

function opButton(label, testid, onclick) {
  return el('button', { class: 'operator-only', 'data-testid': testid, disabled: role !== 'operator', onclick }, label);
}

function spark(field, values) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('class', `spark ${field}`);
  svg.setAttribute('width', '140');
  svg.setAttribute('height', '16');
  const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
  line.setAttribute('points', sparkPoints(values ?? [], 140, 16));
  svg.append(line);
  return svg;
}

function render() {
  const regions = regionsOf(model);
  const grid = model.streams.map((s) => {
    const head = el('tr', {}, el('th', {}, s.id), ...regions.map((r) => el('th', {}, r)), el('th', {}));
    const rows = s.lines.map((line) =>
      el(
        'tr',
        { class: line === s.active ? 'active' : '', 'data-line': line },
        el('th', { class: 'line' }, line),
        ...regions.map((r) => {
          const series = model.series[seriesKey(s.id, line, r)];
          return el('td', { class: `cell ${cellLevel(model, s.id, line, r)}`, 'data-testid': `cell-${s.id}-${line}-${r}` }, ...SPARK_FIELDS.map((f) => spark(f, series?.[f])));
        }),
        el(
          'td',
          {},
          el('button', { 'data-testid': `preview-${s.id}-${line}`, onclick: () => openPreview($('previews'), s.id, line, sessionStorage.getItem(TOKEN_KEY)) }, 'preview'),
          line === s.active ? undefined : opButton('switch', `switch-${s.id}-${line}`, () => command('switch', { stream: s.id, line })),
        ),
      ),
    );
    const features = featureFlags(s.features, knownFeatures.get(s.id) ?? []).map(([f, enabled]) =>
      el(
        'span',
        { 'data-testid': `feature-state-${s.id}-${f}` },
        ` ${f}: ${enabled ? 'on' : 'off'} `,
        opButton(enabled ? 'turn off' : 'turn on', `feature-${s.id}-${f}`, () => command('feature', { stream: s.id, feature: f, enabled: !enabled })),
        opButton('auto', `feature-auto-${s.id}-${f}`, () => command('feature', { stream: s.id, feature: f, enabled: 'auto' })),
      ),
    );
    const foot = el(
      'tr',
      {},
      el(
        'td',
        { colspan: regions.length + 2 },
        el('span', { 'data-testid': `active-${s.id}` }, `active: ${s.active}`),
        s.pin ? ` (pinned by ${s.pin.by ?? 'operator'})` : '',
        ' ',
        opButton('fail back', `failback-${s.id}`, () => command('failback', { stream: s.id })),
        ...features,
      ),
    );
    return el('table', { class: 'stream', 'data-stream': s.id }, head, ...rows, foot);
  });
  grid.push(el('div', { class: 'legend' }, 'sparklines (last 60 s): blue latency, orange stall, green A/V sync'));
  $('grid').replaceChildren(...grid);

  const incs = model.incidents.map((i) => {
    const box = el(
      'div',
      { class: `incident ${i.severity}`, 'data-testid': `incident-${i.id}` },
      el('b', {}, `${i.severity} ${i.kind}`),
      ` ${i.stream ?? ''}/${i.line ?? ''} ${i.status} since ${new Date(i.openedAt).toLocaleTimeString()} `,
      el('button', { onclick: () => toggleTimeline(i.id) }, timelines.has(i.id) ? 'hide timeline' : 'timeline'),
      i.status === 'open' ? opButton('ack', `ack-${i.id}`, () => command('ack', { incident: i.id })) : undefined,
      el('div', { class: 'timeline' }, ...(timelines.get(i.id) ?? []).map((t) => el('div', {}, `${new Date(t.t).toLocaleTimeString()} ${t.type} ${JSON.stringify(t.data)}`))),
    );
    return box;
  });
  $('incidents').replaceChildren(...(incs.length ? incs : [el('p', {}, 'none')]));
}

function toggleTimeline(id) {
  if (timelines.has(id)) {
    timelines.delete(id);
    render();
  } else loadTimeline(id);
}

async function loadTimeline(id) {
  const { timeline } = await request('incident', { incident: id });
  timelines.set(id, timeline);
  render();
}

connect();
