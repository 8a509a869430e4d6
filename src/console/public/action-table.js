// The actions table of the history and stream pages: audit rows, newest first, in words.
import { auditWords } from './action-words.js';
import { el } from './page-dom.js';
import { dateTime } from './time.js';

/** Time, stream, who, what, why: one row per audit entry (`data-testid` action-<audit action>). */
export function actionTable(actions, zone) {
  const head = el('tr', {}, ...['time', 'stream', 'who', 'what', 'why'].map((h) => el('th', { scope: 'col' }, h)));
  const body = actions.map((a) => el('tr', { 'data-testid': `action-${a.action}` }, el('td', {}, dateTime(a.t, zone)), el('td', {}, a.stream ?? ''), el('td', {}, a.actor), el('td', {}, auditWords(a)), el('td', {}, a.reason)));
  return el('table', { class: 'history' }, el('thead', {}, head), el('tbody', {}, ...body));
}
