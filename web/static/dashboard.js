// The teacher's dashboard of a class, kept live over the page's WebSocket:
// steps tick in the grid as students reach them, the connected dots follow
// who has a page open, and new students, mail or mistakes bring the parts
// of the page that show them up to date, without a reload.
import { t, el } from './i18n.js';
import { Socket, linkStatus } from './socket.js';
import { refresher } from './refresh.js';

const root = document.querySelector('.dashboard[data-class]');
const PARTS = ['grid-body', 'class-mail', 'mistakes', 'postmaster'];
// The grid is fetched again now and then even when nothing is said, so
// that "stuck for N min" keeps counting.
const REFRESH_EVERY = 60 * 1000;

const pad = (n) => String(n).padStart(2, '0');

// hhmm is the local time of an ISO date, as the server writes it.
function hhmm(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : pad(d.getHours()) + ':' + pad(d.getMinutes());
}

const row = (student) => root.querySelector('tr[data-student="' + CSS.escape(student) + '"]');

// markDone draws a reached step as the template's doneMark does.
function markDone(cell, at) {
  cell.classList.remove('current', 'stuck');
  cell.classList.add('done');
  cell.replaceChildren(
    el('span', 'tick', '✓', { 'aria-hidden': 'true' }),
    el('span', 'visually-hidden', t('dash.done') + ' '),
    el('time', null, hhmm(at), { datetime: at }),
  );
}

function stepTitle(key) {
  const th = root.querySelector('th[data-key="' + CSS.escape(key) + '"]');
  return th ? th.dataset.title : key;
}

const announcer = document.getElementById('dash-announce');
function announce(text) {
  if (!announcer) return;
  // A new node each time, so that the same text twice is said twice.
  announcer.replaceChildren(el('span', null, text));
}

function showError(text) {
  const p = document.getElementById('dash-error');
  if (!p) return;
  p.textContent = text;
  p.hidden = false;
}

function tick(m, refresh) {
  const tr = row(m.student);
  if (!tr) return refresh(); // a student this page does not show yet
  const cell = tr.querySelector('td[data-cell="' + CSS.escape(m.key) + '"]');
  if (!cell) return; // a lesson that is not of the day
  const fresh = !cell.classList.contains('done');
  // The student moved on: the step they were stuck on is behind them.
  for (const c of tr.querySelectorAll('td.current')) {
    if (c === cell) continue;
    c.classList.remove('current', 'stuck');
    if (!c.classList.contains('done')) c.replaceChildren();
  }
  markDone(cell, m.at);
  // Frame the next step still to reach, as the server draws the page.
  if (!tr.querySelector('td.current')) {
    const next = [...tr.querySelectorAll('td[data-cell]')].find((c) => !c.classList.contains('done'));
    if (next) next.classList.add('current');
  }
  if (fresh) announce(t('dash.tick', { name: tr.dataset.name, step: stepTitle(m.key) }));
}

function presence(m) {
  const tr = row(m.student);
  const dot = tr && tr.querySelector('[data-connected]');
  if (!dot) return;
  const text = m.connected ? t('dash.online') : t('dash.offline');
  dot.dataset.connected = m.connected ? 'yes' : 'no';
  dot.title = text;
  const label = dot.querySelector('.visually-hidden');
  if (label) label.textContent = text;
}

function start() {
  const refresh = refresher(PARTS);
  let opened = false;
  new Socket({
    hello: () => ({ t: 'hello', page: 'teacher', class: root.dataset.class }),
    onState: (state, seconds) => {
      linkStatus(state, seconds);
      // What happened while the link was down is only in the page.
      if (state === 'open' && opened) refresh();
      if (state === 'open') opened = true;
    },
    onMessage: (m) => {
      switch (m.t) {
        case 'tick': tick(m, refresh); break;
        case 'presence': presence(m); break;
        case 'joined':
        case 'mail':
        case 'mistakes':
          refresh();
          break;
        case 'error': showError(m.text || m.key); break;
      }
    },
  });
  setInterval(() => {
    if (document.visibilityState === 'visible') refresh();
  }, REFRESH_EVERY);
}

if (root) start();
