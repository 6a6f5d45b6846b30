// The live view: every session real clients are having on the TCP ports,
// each transcript annotated and updated as it happens, and what goes from
// one server to another drawn in the Between servers panel.
import { t, el } from './i18n.js';
import { Transcript } from './transcript.js';
import { Flow } from './flow.js';

// CLOSED_KEEP_MS is how long a session that ended stays on the page, so
// that a projected class sees it end, then makes room; PRUNE_EVERY_MS is
// how often the page looks for such sessions.
const CLOSED_KEEP_MS = 2 * 60 * 1000;
const PRUNE_EVERY_MS = 10 * 1000;

export class Live {
  constructor(container) {
    this.root = container;
    this.sessions = new Map();
    // Many real clients may talk to the shared server at once: the diagram
    // keeps to the sessions whose message is handed to another server (and
    // the relay sessions that carry it), a lifeline per client address, up
    // to MAX_CLIENTS; every session has its card below, the relay sessions'
    // lines included.
    const panel = document.getElementById('panel-flow');
    this.flow = panel ? new Flow(panel, {
      clearKey: 'smtplab.flow.cleared.live', byAddress: true, relayedOnly: true, relayLines: false,
    }) : null;
    this.empty();
    setInterval(() => this.prune(), PRUNE_EVERY_MS);
  }

  // prune drops the sessions that ended more than CLOSED_KEEP_MS ago.
  prune() {
    const now = Date.now();
    for (const [id, s] of this.sessions) {
      const at = Number(s.card.dataset.closedAt);
      if (at && now - at > CLOSED_KEEP_MS) {
        s.card.remove();
        this.sessions.delete(id);
      }
    }
    this.empty();
  }

  empty() {
    if (!this.sessions.size) this.root.replaceChildren(el('p', 'muted', t('live.none')));
  }

  clear() {
    this.sessions.clear();
    if (this.flow) this.flow.reset(false);
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
    // A log a screen reader reads when asked, not line by line as it grows.
    const out = el('div', 'term-out live-out', null, { role: 'log', 'aria-live': 'off', tabindex: '0', 'aria-label': ev.session });
    card.append(head, out);
    // New sessions go after the others: what is on screen stays put.
    this.root.append(card);
    s = { card, meta, state, transcript: new Transcript(out) };
    this.sessions.set(ev.session, s);
    return s;
  }

  event(ev, x) {
    // The queue's news has no session: for the diagram only.
    if (this.flow) this.flow.event(ev, x);
    if (!ev.session) return;
    if (ev.kind === 'open') this.prune();
    const s = this.card(ev);
    switch (ev.kind) {
      case 'open':
        {
          const time = new Date(ev.time).toLocaleTimeString(document.documentElement.lang);
          const via = ev.open.transport === 'relay' && ev.open.via;
          s.meta.textContent = via
            ? t('live.relay', { from: via.host, to: ev.open.host, queue: via.queue, time })
            : t('live.from', { remote: ev.open.remote, time });
        }
        break;
      case 'state':
        s.state.textContent = ev.state.to;
        s.card.dataset.state = ev.state.to;
        break;
      case 'close':
        s.transcript.system(t('live.closed', { reason: ev.close.reason }));
        s.card.classList.add('closed');
        s.card.dataset.closedAt = String(Date.parse(ev.time) || Date.now());
        break;
      default:
        s.transcript.event(ev, x);
    }
  }
}
