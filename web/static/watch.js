// The teacher watching one student: their terminal drawn live, read-only,
// exactly as the student's own page draws it (same badges, same
// explanations), their mail's way between servers drawn as their page
// draws it (from the same events: their sessions, the relay sessions and
// the queue's news their messages caused), and their mailbox brought up
// to date when mail moves.
import { t } from './i18n.js';
import { Socket, linkStatus } from './socket.js';
import { Transcript } from './transcript.js';
import { drawEvent, sessionMode } from './terminal.js';
import { Flow, ownSession } from './flow.js';
import { refresher } from './refresh.js';

const root = document.querySelector('.watch[data-student]');

function start() {
  const out = document.getElementById('watch-out');
  const modeLine = document.getElementById('watch-mode');
  const term = document.getElementById('watch-term');
  const transcript = new Transcript(out);
  const host = document.body.dataset.host;
  const refreshInbox = refresher(['watch-inbox']);
  const panel = document.getElementById('panel-flow');
  // A clear is kept per student watched, apart from the student's own.
  const flow = panel ? new Flow(panel, { clearKey: 'smtplab.flow.cleared.watch.' + root.dataset.student, client: t('flow.watch.client') }) : null;
  let proto = null;
  let state = null;

  const mode = () => {
    modeLine.textContent = proto ? sessionMode(proto, state) : '';
    term.dataset.mode = state === 'IN_DATA' ? 'data' : proto ? 'session' : 'shell';
  };

  // The student's terminal shows its own session only, as theirs does.
  const event = (ev, x) => {
    if (flow) flow.event(ev, x);
    if (!ownSession(ev)) return;
    const waiting = out.querySelector('.watch-empty');
    if (waiting) waiting.remove();
    drawEvent(transcript, ev, x, host);
    switch (ev.kind) {
      case 'open': proto = ev.proto; state = null; break;
      case 'state': state = ev.state.to; break;
      case 'close': proto = null; state = null; break;
    }
    mode();
  };

  const presence = (connected) => {
    const dot = root.querySelector('[data-connected]');
    if (!dot) return;
    const text = connected ? t('dash.online') : t('dash.offline');
    dot.dataset.connected = connected ? 'yes' : 'no';
    dot.title = text;
    const label = dot.querySelector('.visually-hidden');
    if (label) label.textContent = text;
  };

  new Socket({
    hello: () => ({ t: 'hello', page: 'watch', class: root.dataset.class, student: root.dataset.student }),
    onState: linkStatus,
    onMessage: (m) => {
      switch (m.t) {
        case 'welcome': // the student's terminal is replayed after it
          transcript.clear();
          if (flow) flow.reset(false);
          proto = null;
          state = null;
          mode();
          break;
        case 'replayed':
          if (out.childElementCount === 0) transcript.system(t('watch.empty'), 'note watch-empty');
          break;
        case 'event': event(m.ev, m.x); break;
        case 'reset':
          transcript.clear();
          transcript.system(t('watch.reset'), 'note');
          if (flow) flow.reset(true);
          break;
        case 'presence': if (m.student === root.dataset.student) presence(m.connected); break;
        case 'mail': case 'mailboxes': refreshInbox(); break;
        case 'error': transcript.system(m.text || m.key, 'warn'); break;
      }
    },
  });
}

if (root) start();
