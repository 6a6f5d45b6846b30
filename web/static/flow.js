// Between servers: the SMTP exchanges a message goes through, drawn live as
// a sequence diagram, as Wireshark's flow graph draws a capture. A
// lifeline for the terminal's mail program, one per server, one for the
// mailbox; an arrow per command and per reply, the queue's steps on the
// lifeline of the server that holds the message, its delivery into the
// mailbox, a bounce coming back. The same steps as an ordered list for
// screen readers, and the lines of each relay session, annotated as the
// terminal annotates its own.
//
// The sandbox's page draws its terminal's mail; the teacher's page watching
// a student draws that student's, from the same events; /live draws the
// shared world's, where many real clients talk to one server (see the
// options of Flow).
import { t, tn, el, locale } from './i18n.js';
import { Transcript } from './transcript.js';
import { family, label } from './explain.js';

// MAX_STEPS bounds the arrows and notes kept; the oldest go first, and
// the panel says how many went.
export const MAX_STEPS = 200;
// MAX_RELAYS bounds the relay sessions whose lines are kept.
export const MAX_RELAYS = 8;
// MAX_SESSIONS bounds the sessions known at once: one whose close never
// came (the server drops a flood's events, a close among them) is
// forgotten, oldest first.
const MAX_SESSIONS = 64;
// MAX_QUEUE_IDS bounds the message ids remembered with their server.
const MAX_QUEUE_IDS = 256;
// MAX_CLIENTS bounds the lifelines of clients drawn by their address
// (/live): past it, the clients that come later share one lifeline, "the
// other clients", and the list still names each by its address. A
// projected diagram stays a few lanes wide, however many clients the
// class has.
export const MAX_CLIENTS = 3;
const OTHERS = 'client:*';
const CLEARED_KEY = 'smtplab.flow.cleared';

// The drawing, in user units: 16 make one em of the panel's text, so the
// diagram grows with the page (projector mode) instead of shrinking.
const U = 16;
const LANE = 230;  // from one lifeline to the next
const GUTTER = 44; // the step numbers, on the left
const HEAD = 64;   // the lifelines' names
const ROW = 42;    // one step
const FONT = 15;   // the labels, in a monospace font
const LABEL_LANES = 1.8; // the widest a label may run, in lanes
const CHAR = FONT * 0.61;
const NS = 'http://www.w3.org/2000/svg';

// ownSession reports whether ev is of the terminal's own session. The
// relay sessions its message caused come with a session "<host>/<id>",
// the queue's news as queue events, a bounce with no session at all.
export function ownSession(ev) {
  return !!ev.session && !ev.session.includes('/') && ev.kind !== 'queue';
}

// address is a client's address without its port: "192.0.2.7" for
// "192.0.2.7:40312", "::1" for "[::1]:40312". Sessions from one machine
// share its lifeline.
export function address(remote) {
  const r = String(remote || '');
  const v6 = /^\[([^\]]*)\](?::\d+)?$/.exec(r);
  if (v6) return v6[1];
  const v4 = /^([^:]+):\d+$/.exec(r);
  return v4 ? v4[1] : r;
}

// svg makes an SVG element with attributes; text, if any, as text.
function svg(tag, attrs, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

// fit cuts text to what n characters hold, marking the cut.
function fit(text, n) {
  return text.length <= n ? text : text.slice(0, Math.max(1, n - 1)) + '…';
}

// masked is a line that carries credentials, with the credentials hidden:
// the diagram may be projected to a class.
function masked(text) {
  const m = /^(AUTH\s+\S+)\s+\S/i.exec(text);
  if (m) return m[1] + ' ••••';
  return /^AUTH\s/i.test(text) ? text : '••••';
}

// shortMeaning is a reply code's meaning up to its first colon: the words
// a list item needs ("Requested action completed").
function shortMeaning(x) {
  const meaning = (x && x.reply && x.reply.meaning) || '';
  return meaning.split(/\s*:/)[0].trim();
}

// Flow draws the panel in root. opts:
//   clearKey: the sessionStorage key that keeps a clear across a reload
//     (the replay skips what came before); '' keeps none.
//   client: the name of the terminal's lifeline ("Your terminal").
//   byAddress: a lifeline per client address, named by it, instead of the
//     one terminal's (up to MAX_CLIENTS).
//   relayedOnly: a client's session is drawn only once it hands a message
//     to the queue for another server: its steps so far wait until then,
//     and are drawn at once. /live sets both: there every real client has
//     a card of its own, and the diagram keeps to what goes between
//     servers, readable on a projector however busy the class.
//   relayLines: the relay sessions' lines under the diagram (default true;
//     /live shows them in their cards).
export class Flow {
  constructor(root, opts = {}) {
    this.root = root;
    this.opts = opts;
    this.clearKey = opts.clearKey === undefined ? CLEARED_KEY : opts.clearKey;
    this.clientName = opts.client || t('flow.client');
    this.relayLines = opts.relayLines !== false;
    this.box = root.querySelector('#flow-diagram');
    this.scroll = root.querySelector('#flow-scroll');
    this.list = root.querySelector('#flow-list');
    this.empty = root.querySelector('#flow-empty');
    this.droppedNote = root.querySelector('#flow-dropped');
    this.relays = root.querySelector('#flow-relays');
    this.relayList = root.querySelector('#flow-relay-list');
    this.home = document.body.dataset.host || '';
    this.clearedAt = (this.clearKey && Number(sessionStorage.getItem(this.clearKey))) || 0;
    this.remotes = new Map(); // session id → its client's address, kept through a clear
    this.follow = true;
    this.scroll.addEventListener('scroll', () => { this.follow = this.nearBottom(); });
    const clear = root.querySelector('#flow-clear');
    if (clear) clear.addEventListener('click', () => this.clear());
    this.start();
  }

  // start forgets everything drawn.
  start() {
    this.lanes = [];          // {key, name, role, kind}, in order: the clients first, the mailbox last
    this.steps = [];          // the steps drawn, oldest first
    this.count = 0;           // steps ever added: the number of the next
    this.dropped = 0;
    this.sessions = new Map(); // session id → {client, who, server, relay, held, transcript, data, input}
    this.queueHosts = new Map(); // message id → the server whose queue holds it
    this.bounced = new Set();    // the reports drawn, by uid (one may be told twice)
    this.bouncer = '';           // the server that gave up last
    this.latest = 0;             // the newest event's time, ms
    this.list.replaceChildren();
    if (this.relayList) this.relayList.replaceChildren();
    if (this.relays) this.relays.hidden = true;
    this.follow = true;
    this.redraw();
  }

  // reset empties the diagram for a replay (world false) or because the
  // world was emptied (world true: what was cleared before is gone too).
  reset(world) {
    if (world) {
      this.clearedAt = 0;
      if (this.clearKey) sessionStorage.removeItem(this.clearKey);
    }
    this.start();
  }

  // clear empties the diagram and keeps it so after a reload: the replay
  // skips what came before.
  clear() {
    this.clearedAt = Math.max(this.latest, this.clearedAt);
    if (this.clearKey) sessionStorage.setItem(this.clearKey, String(this.clearedAt));
    this.start();
  }

  nearBottom() {
    const s = this.scroll;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 2 * ROW;
  }

  event(ev, x) {
    const at = Date.parse(ev.time) || 0;
    if (at && at <= this.clearedAt) return;
    this.latest = Math.max(this.latest, at);
    if (ev.kind === 'queue') return this.queue(ev, x);
    if (ev.kind === 'delivery' && !ev.session) return this.delivery(ev.delivery, x, null);
    if (!ev.session || (ev.proto && ev.proto !== 'smtp')) return;
    const s = this.session(ev);
    switch (ev.kind) {
      case 'open': this.opened(s, ev); break;
      case 'input': this.input(s, ev.input); break;
      case 'command': if (s.input) s.input.verb = ev.command.verb; break;
      case 'reply': this.reply(s, ev.reply, x); break;
      case 'message': this.remember(ev.message.id, s.server); break;
      case 'delivery': this.delivery(ev.delivery, x, s); break;
      case 'tls': this.sealed(s); break;
    }
    if (s.transcript) s.transcript.event(ev, x);
    // A session ended is forgotten; its lines stay on the page.
    if (ev.kind === 'close') this.sessions.delete(ev.session);
  }

  // session finds the session of ev, or makes it: from its open event,
  // or, when that was cleared or dropped, from its id.
  session(ev) {
    let s = this.sessions.get(ev.session);
    if (s) return s;
    const open = ev.kind === 'open' ? ev.open || {} : {};
    // A followed session is a relay session; on /live, so is one a server
    // of the network opens with the shared world (its own id, plain).
    const relay = ev.session.includes('/') || open.transport === 'relay';
    const server = (open.host || (relay ? ev.session.split('/')[0] : this.home)).toLowerCase();
    let client = 'client';
    let who = this.clientName;
    if (relay) {
      client = who = ((open.via && open.via.host) || this.otherHost(server) || this.home).toLowerCase();
    } else if (this.opts.byAddress) {
      if (open.remote) {
        this.remotes.set(ev.session, address(open.remote));
        if (this.remotes.size > MAX_SESSIONS) this.remotes.delete(this.remotes.keys().next().value);
      }
      const addr = this.remotes.get(ev.session) || '';
      client = 'client:' + (addr || '?');
      who = addr || t('flow.live.client');
    }
    s = { id: ev.session, client, who, server, relay, held: null, heldDropped: 0, transcript: null, data: null, input: null };
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value);
    this.sessions.set(ev.session, s);
    if (this.opts.relayedOnly && !relay) s.held = [];
    else this.show(s);
    return s;
  }

  // show gives session s its lifelines, and a relay session the place
  // where its lines go. A client drawn by its address past MAX_CLIENTS
  // goes on the other clients' lifeline.
  show(s) {
    if (s.client.startsWith('client:') && !this.lanes.some((l) => l.key === s.client) &&
        this.lanes.filter((l) => l.kind === 'client' && l.key !== OTHERS).length >= MAX_CLIENTS) {
      s.client = OTHERS;
    }
    this.lane(s.client, s.client === OTHERS ? t('flow.live.others') : s.who);
    this.lane(s.server);
    if (s.relay && this.relayLines && this.relayList) this.relayBox(s);
  }

  // release draws a session held back (relayedOnly) once its message is
  // handed to another server: the steps it kept, then the rest as they come.
  release(s) {
    if (!s.held) return;
    const held = s.held;
    const before = s.client;
    s.held = null;
    this.show(s);
    for (const step of held) {
      if (step.from === before) step.from = s.client;
      if (step.to === before) step.to = s.client;
      this.place(step);
    }
    this.dropped += s.heldDropped;
  }

  // otherHost is a server drawn already, other than host: who a relay
  // session whose open event was not seen most likely came from.
  otherHost(host) {
    const l = this.lanes.find((l) => l.kind === 'server' && l.key !== host);
    return l ? l.key : '';
  }

  opened(s, ev) {
    const via = ev.open && ev.open.via;
    if (via && via.queue) this.remember(via.queue, s.client);
    this.add({
      kind: 'connect', from: s.client, to: s.server, label: t('flow.svg.connect'),
      item: t('flow.item.connect', { from: s.who, to: this.name(s.server) }),
    }, s);
  }

  // sealed notes that the session is encrypted from here on (STARTTLS):
  // its lines stay readable here, as only the two ends read them.
  sealed(s) {
    const words = t('flow.svg.tls');
    this.add({ kind: 'note', action: 'tls', from: s.server, to: s.server, label: words, item: t('flow.item.note', { host: s.server, what: words }) }, s);
    if (s.transcript) {
      s.transcript.sealed = true;
      s.transcript.system(words, 'note tls-note');
    }
  }

  input(s, inp) {
    if (inp.data) {
      // The message's text is one arrow, however many lines it has.
      if (!s.data) {
        s.data = this.add({ kind: 'data', from: s.client, to: s.server, lines: 0 }, s);
        s.input = null;
      }
      const step = s.data;
      if (inp.text === '.') s.data = null;
      else step.lines++;
      step.label = s.data ? tn('flow.svg.data', step.lines) : tn('flow.svg.dataDone', step.lines);
      step.item = t('flow.item', { from: s.who, to: this.name(s.server), text: step.label });
      step.li.textContent = step.item;
      this.later();
      return;
    }
    const text = inp.secret ? masked(inp.text) : inp.text;
    s.input = this.add({
      kind: 'cmd', from: s.client, to: s.server, label: text, title: text,
      item: t('flow.item', { from: s.who, to: this.name(s.server), text }),
    }, s);
  }

  reply(s, reply, x) {
    const lines = reply.lines || [];
    let text = (lines[0] || label(reply)).replace(/^(\d{3})-/, '$1 ');
    if (lines.length > 1) text += ' ' + tn('flow.more', lines.length - 1);
    const meaning = shortMeaning(x);
    const args = { from: this.name(s.server), to: s.who, text, meaning };
    this.add({
      kind: 'reply', from: s.server, to: s.client, label: text, title: lines.join('\n'),
      cls: 'b' + family(reply), code: label(reply),
      item: meaning ? t('flow.item.reply', args) : t('flow.item', args),
    }, s);
    s.input = null;
  }

  // delivery draws a copy stored (or not) by the server of session s,
  // and a non-delivery report stored in the sender's mailbox. Without a
  // session, it is the queue's: a report, or a recipient given up on.
  delivery(d, x, s) {
    const why = (x && x.delivery) || '';
    if (d.reason === 'delivery.relay_failed') {
      // The queue's "failed" step says it; the report that follows
      // comes from this server.
      this.bouncer = this.queueHosts.get(d.messageId) || this.bouncer;
      return;
    }
    const host = s ? s.server : (this.bouncer || this.queueHosts.get(d.messageId) || this.home).toLowerCase();
    const mailbox = d.mailbox || d.recipient || '';
    if (d.reason === 'delivery.bounce') {
      const key = d.uid || d.messageId;
      if (this.bounced.has(key)) return;
      this.bounced.add(key);
      const words = t('flow.svg.bounce', { mailbox });
      this.add({
        kind: 'bounce', from: host, to: 'mailbox', label: '↩ ' + words, title: why,
        item: t('flow.item.why', { from: this.name(host), to: this.name('mailbox'), text: words, why }),
      }, s);
      return;
    }
    const ok = d.status === 'delivered';
    const words = t(ok ? 'flow.svg.stored' : 'flow.svg.lost', { mailbox });
    this.add({
      kind: ok ? 'deliver' : 'lost', from: host, to: 'mailbox', label: (ok ? '✉ ' : '✗ ') + words, title: why,
      item: ok || !why ? t('flow.item', { from: this.name(host), to: this.name('mailbox'), text: words })
        : t('flow.item.why', { from: this.name(host), to: this.name('mailbox'), text: words, why }),
    }, s);
  }

  // queue draws what the queue did with a recipient, on the lifeline of
  // the server that holds the message.
  queue(ev, x) {
    const q = ev.queue;
    const own = ev.session && this.sessions.get(ev.session);
    // A session held back is drawn once its message waits for another server.
    if (own && own.held && q.action === 'queued') this.release(own);
    const host = (own ? own.server : this.queueHosts.get(q.id) || this.home).toLowerCase();
    this.remember(q.id, host);
    if (!own || !own.held) this.lane(host);
    const next = (q.host || '').toLowerCase();
    let mark = '◷';
    let words;
    switch (q.action) {
      case 'queued':
        words = q.reason === 'queue.queued.report' ? t('flow.svg.report', { rcpt: q.recipient }) : t('flow.svg.queued', { rcpt: q.recipient });
        break;
      case 'deferred':
        mark = '↻';
        words = t('flow.svg.deferred', { time: q.nextTry ? new Date(q.nextTry).toLocaleTimeString(locale) : '?' });
        break;
      case 'relayed':
        mark = '✓';
        words = t('flow.svg.relayed', { host: next || '?' });
        break;
      default:
        mark = '✗';
        words = t('flow.svg.failed', { rcpt: q.recipient });
        this.bouncer = host;
    }
    const why = (x && (x.queue || x.delivery)) || '';
    this.add({
      kind: 'note', action: q.action, from: host, to: host, label: mark + ' ' + words, title: why,
      item: why ? t('flow.item.noteWhy', { host, what: words, why }) : t('flow.item.note', { host, what: words }),
    }, own);
  }

  // remember keeps which server holds message id, for the queue's news.
  remember(id, host) {
    if (!id || !host) return;
    this.queueHosts.delete(id);
    this.queueHosts.set(id, host);
    if (this.queueHosts.size > MAX_QUEUE_IDS) this.queueHosts.delete(this.queueHosts.keys().next().value);
  }

  // lane finds the lifeline key, or adds it: the clients first (key
  // "client", or "client:<address>"), in the order they appear, named
  // name; the servers in the order they appear; the mailbox last.
  lane(key, name) {
    if (this.lanes.some((l) => l.key === key)) return;
    if (key === 'client' || key.startsWith('client:')) {
      const at = this.lanes.filter((l) => l.kind === 'client').length;
      const l = { key, kind: 'client', name: name || this.clientName, role: t('flow.role.client') };
      // The other clients' lifeline stays after those named.
      const others = this.lanes.findIndex((l) => l.key === OTHERS);
      this.lanes.splice(others >= 0 ? others : at, 0, l);
    } else if (key === 'mailbox') {
      this.lanes.push({ key, kind: 'mailbox', name: t('flow.mailbox'), role: t('flow.role.mailbox') });
    } else {
      const servers = this.lanes.filter((l) => l.kind === 'server').length;
      const at = this.lanes.findIndex((l) => l.key === 'mailbox');
      const l = { key, kind: 'server', name: key, role: servers === 0 ? t('flow.role.mta') : t('flow.role.next') };
      if (at < 0) this.lanes.push(l);
      else this.lanes.splice(at, 0, l);
    }
  }

  // name is how a list item names a lifeline (a client, by its session's
  // s.who).
  name(key) {
    if (key === 'mailbox') return t('flow.mailbox');
    const l = this.lanes.find((l) => l.key === key);
    return l ? l.name : key;
  }

  // add adds a step of session s (none: the queue's), to the list at once
  // and to the drawing soon after; a session held back keeps it until it
  // is released.
  add(step, s) {
    step.li = el('li', 'flow-' + step.kind, step.item || '');
    if (s && s.held) {
      s.held.push(step);
      if (s.held.length > MAX_STEPS) {
        s.held.shift();
        s.heldDropped++;
      }
      return step;
    }
    return this.place(step);
  }

  // place numbers a step and draws it.
  place(step) {
    this.lane(step.from);
    this.lane(step.to);
    step.n = ++this.count;
    step.li.setAttribute('value', String(step.n));
    this.list.append(step.li);
    this.steps.push(step);
    while (this.steps.length > MAX_STEPS) {
      const old = this.steps.shift();
      old.li.remove();
      this.dropped++;
    }
    this.later();
    return step;
  }

  // later redraws once for all the events of a frame (a replay brings
  // hundreds at once).
  later() {
    if (this.pending) return;
    this.pending = true;
    const run = () => { this.pending = false; this.redraw(); };
    if (document.hidden || !window.requestAnimationFrame) setTimeout(run, 50);
    else requestAnimationFrame(run);
  }

  redraw() {
    const none = this.steps.length === 0;
    this.empty.hidden = !none;
    this.box.hidden = none;
    this.droppedNote.hidden = this.dropped === 0;
    if (this.dropped) this.droppedNote.textContent = tn('flow.dropped', this.dropped, { max: MAX_STEPS });
    if (none) {
      this.scroll.replaceChildren();
      return;
    }
    const stick = this.follow || this.nearBottom();
    const w = GUTTER + this.lanes.length * LANE;
    const h = this.steps.length * ROW + ROW / 2;
    const x = new Map(this.lanes.map((l, i) => [l.key, GUTTER + LANE * (i + 0.5)]));
    const head = this.drawHead(w, x);
    const body = svg('svg', { class: 'flow-svg flow-body', viewBox: `0 0 ${w} ${h}`, width: w / U + 'em', height: h / U + 'em', 'aria-hidden': 'true', focusable: 'false' });
    for (const l of this.lanes) {
      body.append(svg('line', { class: 'life life-' + l.kind, x1: x.get(l.key), y1: 0, x2: x.get(l.key), y2: h }));
    }
    this.steps.forEach((s, i) => body.append(this.drawStep(s, ROW * (i + 0.5) + 8, x, w)));
    const wrap = el('div', 'flow-head-wrap');
    wrap.append(head);
    this.scroll.replaceChildren(wrap, body);
    if (stick) this.scroll.scrollTop = this.scroll.scrollHeight;
  }

  // drawHead draws the lifelines' names: it stays on top as the steps
  // scroll by.
  drawHead(w, x) {
    const head = svg('svg', { class: 'flow-svg flow-top', viewBox: `0 0 ${w} ${HEAD}`, width: w / U + 'em', height: HEAD / U + 'em', 'aria-hidden': 'true', focusable: 'false' });
    const room = Math.floor((LANE - 30) / (CHAR + 0.5));
    for (const l of this.lanes) {
      const g = svg('g', { class: 'lane lane-' + l.kind, 'data-lane': l.key });
      g.append(svg('rect', { x: x.get(l.key) - (LANE - 24) / 2, y: 6, width: LANE - 24, height: HEAD - 12, rx: 8 }));
      g.append(svg('text', { x: x.get(l.key), y: 28, 'text-anchor': 'middle', class: 'lane-name' }, fit(l.name, room)));
      g.append(svg('text', { x: x.get(l.key), y: 48, 'text-anchor': 'middle', class: 'lane-role' }, fit(l.role, room + 4)));
      if (l.name.length > room) g.append(svg('title', {}, l.name));
      head.append(g);
    }
    return head;
  }

  // drawStep draws one step at height y: an arrow between two lifelines,
  // its label above it, or a note on one lifeline.
  drawStep(s, y, x, w) {
    const g = svg('g', { class: 'fstep fstep-' + s.kind + (s.cls ? ' ' + s.cls : '') + (s.action ? ' q-' + s.action : ''), 'data-from': s.from, 'data-to': s.to, 'data-n': s.n });
    if (s.verb) g.dataset.verb = s.verb;
    if (s.code) g.dataset.code = s.code;
    g.append(svg('text', { x: GUTTER - 8, y: y + 5, 'text-anchor': 'end', class: 'fstep-n' }, String(s.n)));
    const x1 = x.get(s.from);
    const x2 = x.get(s.to);
    // A step has its row to itself: its label may run past the lifelines
    // beside it (the halo keeps it readable), not past the drawing.
    const room = (mid) => Math.min(LABEL_LANES * LANE, 2 * Math.min(mid - GUTTER, w - mid)) - 16;
    if (s.from === s.to) {
      const text = fit(s.label, Math.floor((room(x1) - 12) / CHAR));
      const width = Math.max(LANE - 30, text.length * CHAR + 24);
      g.append(svg('rect', { x: x1 - width / 2, y: y - 15, width, height: 28, rx: 6, class: 'note' }));
      g.append(svg('text', { x: x1, y: y + 5, 'text-anchor': 'middle', class: 'label' }, text));
    } else {
      const dir = x2 > x1 ? 1 : -1;
      const tip = x2 - dir * 4;
      g.append(svg('line', { x1: x1 + dir * 4, y1: y, x2: tip - dir * 10, y2: y, class: 'shaft' }));
      g.append(svg('path', { d: `M ${tip} ${y} l ${-dir * 14} -7 l 0 14 z`, class: 'tip' }));
      const mid = (x1 + x2) / 2;
      g.append(svg('text', { x: mid, y: y - 8, 'text-anchor': 'middle', class: 'label' }, fit(s.label || '', Math.floor(room(mid) / CHAR))));
    }
    if (s.title || s.label) g.append(svg('title', {}, s.title || s.label));
    return g;
  }

  // relayBox makes the place where a relay session's lines go, under a
  // heading naming the two servers; the oldest go past MAX_RELAYS.
  relayBox(s) {
    const names = { from: s.client, to: s.server };
    const box = el('section', 'flow-relay', null, { 'data-session': s.id });
    const title = el('h4', 'flow-relay-title', t('flow.relay.title', names));
    const out = el('div', 'term-out flow-out', null, { role: 'log', 'aria-live': 'off', tabindex: '0', 'aria-label': t('flow.relay.log', names) });
    box.append(title, out);
    this.relayList.append(box);
    this.relays.hidden = false;
    s.transcript = new Transcript(out);
    s.box = box;
    const boxes = this.relayList.querySelectorAll('.flow-relay');
    for (let i = 0; i < boxes.length - MAX_RELAYS; i++) {
      const old = this.sessions.get(boxes[i].dataset.session);
      if (old) old.transcript = null;
      boxes[i].remove();
    }
  }
}
