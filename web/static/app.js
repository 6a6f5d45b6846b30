// smtplab's page script: wires the terminal, the panels, the live view and
// the lesson steps to the WebSocket.
import { Socket, linkStatus } from './socket.js';
import { Terminal } from './terminal.js';
import { Panels } from './panels.js';
import { Live } from './live.js';
import { Lesson, showListProgress, loadProgress, inView } from './lesson.js';

const TERMINAL_KEY = 'smtplab.terminal';
const PROJECTOR_KEY = 'smtplab.projector';

// Projector mode scales the whole page (text, panels, terminal) and lays a
// lesson out so that the current step, the terminal and the envelope panel
// share one screen. It is kept per browser; ?projector=1 or 0 sets it.
function setupProjector() {
  const param = new URLSearchParams(location.search).get('projector');
  if (param === '1' || param === '0') localStorage.setItem(PROJECTOR_KEY, param);
  const apply = (on) => {
    if (on) document.documentElement.dataset.projector = 'on';
    else delete document.documentElement.dataset.projector;
    const b = document.getElementById('btn-projector');
    if (b) b.setAttribute('aria-pressed', String(on));
  };
  apply(localStorage.getItem(PROJECTOR_KEY) === '1');
  const b = document.getElementById('btn-projector');
  if (b) b.addEventListener('click', () => {
    const on = b.getAttribute('aria-pressed') !== 'true';
    localStorage.setItem(PROJECTOR_KEY, on ? '1' : '0');
    apply(on);
    const card = document.getElementById('now-card');
    if (card) inView(card, true);
  });
}

function startWorkbench() {
  const lessonEl = document.querySelector('.lesson[data-lesson]');
  let terminal, panels, lesson;
  let replaying = false;
  let shown = false; // the lesson's card was brought into view once
  const socket = new Socket({
    hello: () => ({
      t: 'hello',
      page: lessonEl ? 'lesson' : 'sandbox',
      lesson: lessonEl ? lessonEl.dataset.lesson : '',
      done: lessonEl ? loadProgress(lessonEl.dataset.lesson).done : [],
      terminal: sessionStorage.getItem(TERMINAL_KEY) || '',
    }),
    onState: linkStatus,
    onMessage: (m) => {
      switch (m.t) {
        case 'welcome':
          sessionStorage.setItem(TERMINAL_KEY, m.terminal);
          replaying = true;
          terminal.replayStart();
          panels.reset();
          break;
        case 'replayed':
          replaying = false;
          terminal.greet();
          // A session opened on an earlier page is still open here.
          if (lessonEl) terminal.stillOpen();
          if (!shown) {
            shown = true;
            const card = document.getElementById('now-card');
            if (card) inView(card, true);
          }
          break;
        case 'event':
          terminal.event(m.ev, m.x, replaying);
          break;
        case 'shell': terminal.shell(m, replaying); break;
        case 'tap': terminal.tap(m, replaying); break;
        case 'mailboxes': panels.mailboxes(m.boxes); break;
        case 'raw': panels.raw(m); break;
        case 'reset': terminal.reset(); panels.reset(true); break;
        case 'progress': if (lesson) lesson.progress(m); break;
        case 'quiz': if (lesson) lesson.quiz(m); break;
        case 'why': if (lesson) lesson.why(m); break;
        case 'error':
          terminal.transcript.system(m.text || m.key, 'warn');
          terminal.connectFailed();
          break;
      }
    },
  });
  panels = new Panels(socket);
  terminal = new Terminal(socket, { onEvent: (ev, x) => panels.event(ev, x), onTap: (m) => panels.tap(m) });
  if (lessonEl) lesson = new Lesson(lessonEl, socket);
  const input = document.getElementById('term-input');
  const card = document.getElementById('now-card');
  if (card) {
    // On a lesson, the current step's card comes into view with the
    // terminal under it, not the terminal alone (and again once the
    // transcript is back, over the browser's restored scroll position).
    history.scrollRestoration = 'manual';
    input.focus({ preventScroll: true });
    inView(card, true);
  } else {
    input.focus();
  }
}

function startLive() {
  const live = new Live(document.getElementById('live-sessions'));
  new Socket({
    hello: () => ({ t: 'hello', page: 'live' }),
    onState: linkStatus,
    onMessage: (m) => {
      if (m.t === 'welcome') live.clear();
      if (m.t === 'event') live.event(m.ev, m.x);
      if (m.t === 'error') live.error(m.text || m.key);
    },
  });
}

// A form with data-confirm asks before it is sent (removing a student…).
document.addEventListener('submit', (e) => {
  const form = e.target.closest('form[data-confirm]');
  if (form && !window.confirm(form.dataset.confirm)) e.preventDefault();
});

// Commands and replies quoted in a lesson are protocol text, in English
// whatever the page's language: a screen reader reads them so.
if (document.documentElement.lang !== 'en') {
  for (const e of document.querySelectorAll('.prose pre, .prose code, .explain code')) e.setAttribute('lang', 'en');
}

setupProjector();
if (document.getElementById('workbench')) startWorkbench();
else if (document.body.dataset.page === 'live') startLive();
showListProgress();
