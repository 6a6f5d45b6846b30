// The live view: every session real clients are having on the TCP ports,
// each transcript annotated and updated as it happens.
import { t, el } from './i18n.js';
import { Transcript } from './transcript.js';

export class Live {
  constructor(container) {
    this.root = container;
    this.sessions = new Map();
    this.empty();
  }

  empty() {
    if (!this.sessions.size) this.root.replaceChildren(el('p', 'muted', t('live.none')));
  }

  clear() {
    this.sessions.clear();
    this.empty();
  }

  error(text) {
    this.root.prepend(el('p', 'warn', text));
  }

  card(ev) {
    let s = this.sessions.get(ev.session);
    if (s) return s;
    if (!this.sessions.size) this.root.replaceChildren();
    const card = el('section', 'live-session', null, { 'data-session': ev.session, 'aria-label': ev.session });
    const head = el('header', 'live-head');
    const title = el('h2', null, (ev.proto || '').toUpperCase() + ' · ' + ev.session);
    const meta = el('span', 'muted', '');
    const state = el('span', 'live-state', '');
    head.append(title, meta, state);
    const out = el('div', 'term-out live-out', null, { role: 'log' });
    card.append(head, out);
    this.root.prepend(card);
    s = { card, meta, state, transcript: new Transcript(out) };
    this.sessions.set(ev.session, s);
    return s;
  }

  event(ev, x) {
    if (!ev.session) return;
    const s = this.card(ev);
    switch (ev.kind) {
      case 'open':
        s.meta.textContent = t('live.from', { remote: ev.open.remote, time: new Date(ev.time).toLocaleTimeString() });
        break;
      case 'state':
        s.state.textContent = ev.state.to;
        s.card.dataset.state = ev.state.to;
        break;
      case 'close':
        s.transcript.system(t('live.closed', { reason: ev.close.reason }));
        s.card.classList.add('closed');
        break;
      default:
        s.transcript.event(ev, x);
    }
  }
}
