// The panels beside the terminal: envelope against headers, what an
// eavesdropper sees, mailboxes, the journey of a message and its way
// between servers. All of it is drawn from engine events (and the
// server's taps): the terminal's own session's, and those of the relay
// sessions and the queue its messages went through.
import { t, tn, el } from './i18n.js';
import { Tap } from './tap.js';
import { Flow, ownSession } from './flow.js';

const $ = (id) => document.getElementById(id);

// SETTLE_MS is how long after a message's last delivery event its
// recipients still waiting are taken as served by a copy already stored.
// The engine reports every delivery at once, right after the 250.
const SETTLE_MS = 1500;

export class Panels {
  constructor(socket) {
    this.socket = socket;
    this.hops = ['mua-out', 'mta', 'relay', 'mda', 'mailbox', 'pop', 'mua-in'];
    this.eavesdropper = $('tap-list') ? new Tap($('tap-list'), $('tap-empty')) : null;
    this.flow = $('panel-flow') ? new Flow($('panel-flow')) : null;
    this.sealed = { smtp: false, pop: false }; // the legs encrypted (TLS)
    this.leg = null; // the leg of the session open
    this.relayOf = new Map(); // relay session → the id of the message it carries
  }

  // tap shows what passed encrypted in the session's last step.
  tap(m) {
    if (this.eavesdropper) this.eavesdropper.records(m.records);
  }

  // event takes every event the page gets: the terminal's own session's
  // fill the envelope and the eavesdropper's panels; the others (relay
  // sessions, the queue) tell what became of its messages.
  event(ev, x) {
    if (this.flow) this.flow.event(ev, x);
    const own = ownSession(ev);
    if (!own) return this.elsewhere(ev, x);
    if (this.eavesdropper) this.eavesdropper.event(ev);
    switch (ev.kind) {
      case 'envelope': this.envelope(ev.envelope); break;
      case 'message': this.message(ev.message, x); break;
      case 'delivery': this.delivery(ev.delivery, x); break;
    }
    this.journey(ev);
  }

  // elsewhere takes an event of a relay session or of the queue.
  elsewhere(ev, x) {
    if (ev.kind === 'open' && ev.open && ev.open.via) {
      this.relayOf.set(ev.session, ev.open.via.queue);
      if (this.relayOf.size > 64) this.relayOf.delete(this.relayOf.keys().next().value);
    }
    if (ev.kind === 'queue') this.queued(ev.queue);
    if (ev.kind === 'delivery') {
      const d = ev.delivery;
      const carried = ev.session && this.relayOf.get(ev.session);
      // A copy stored by the next server is the last message's, delivered.
      if (carried) this.delivery(Object.assign({}, d, { messageId: carried, mailbox: d.recipient }), x);
      else this.delivery(d, x);
    }
    this.relayJourney(ev);
  }

  // queued is what the queue did with a recipient of the last message.
  queued(q) {
    const row = this.last && q.id === this.last.id && this.last.rows.get((q.recipient || '').toLowerCase());
    if (!row || row.deliveries.length) return;
    if (q.action === 'failed') return; // the relay_failed delivery that follows says it
    row.transit = { action: q.action, host: q.host || '', time: q.nextTry ? new Date(q.nextTry).toLocaleTimeString(document.documentElement.lang) : '' };
    row.fate = q.action;
    this.drawRow(row);
    this.legend();
  }

  envelope(env) {
    const from = $('env-from');
    if (env.from === null || env.from === undefined) {
      from.textContent = t('env.none');
      from.classList.add('empty');
    } else {
      from.textContent = '<' + env.from + '>';
      from.classList.remove('empty');
    }
    fillList($('env-rcpts'), (env.to || []).map((a) => '<' + a + '>'));
  }

  // message shows the last accepted message: its envelope against its
  // headers, and for each address who sees it and what became of it. A
  // recipient is "delivered" only once a delivery event says so.
  message(m, x) {
    $('env-last').hidden = false;
    $('env-last-id').textContent = m.id;
    const env = m.envelope;
    $('last-from').textContent = '<' + (env.from || '') + '>';
    fillList($('last-rcpts'), (env.to || []).map((a) => '<' + a + '>'));
    const a = m.analysis;
    const headers = $('last-headers');
    headers.replaceChildren();
    const rows = [['From', a.from], ['To', a.to], ['Cc', a.cc], ['Bcc', a.bcc], ['Reply-To', a.replyTo], ['Subject', a.subject ? [a.subject] : null]];
    for (const [name, values] of rows) {
      if (!values || !values.length) continue;
      headers.append(el('dt', null, name), el('dd', name === 'Bcc' ? 'bcc' : null, values.join(', ')));
    }
    // A list holds name-value pairs only: "no headers" is said beside it.
    const none = headers.nextElementSibling;
    if (none && none.classList.contains('empty')) none.remove();
    headers.hidden = !headers.childElementCount;
    if (headers.hidden) headers.after(el('p', 'empty', t('env.noHeaders')));
    const body = $('verdicts');
    body.replaceChildren();
    $('env-notes').replaceChildren();
    // With no To, Cc or Bcc at all, a lone recipient hides from nobody.
    const named = [a.to, a.cc, a.bcc].some((l) => l && l.length);
    const verdicts = a.verdicts || [];
    const alone = !named && verdicts.filter((v) => v.envelope).length === 1;
    this.last = { id: m.id, rows: new Map() };
    verdicts.forEach((v, i) => {
      const text = (x && x.verdicts && x.verdicts[i]) || { label: v.verdict, long: '', visible: v.visibleTo };
      const tr = el('tr', null, null, { 'data-address': v.address });
      const cell = el('td', 'verdict');
      tr.append(
        el('td', 'addr', v.address),
        el('td', null, v.envelope ? '✓' : '—', { title: v.envelope ? 'RCPT TO' : '' }),
        el('td', null, v.field || '—'),
        cell,
      );
      body.append(tr);
      const row = { v, text, tr, cell, alone, deliveries: [], fate: v.envelope ? 'pending' : 'none' };
      this.last.rows.set(v.address.toLowerCase(), row);
      this.drawRow(row);
    });
    this.legend();
    this.warnings(a.warnings || [], (x && x.warnings) || []);
    this.settleLater();
  }

  // warnings lists the analysis's warnings; on a lesson page, those the
  // lesson does not teach (and the current step does not name) go apart,
  // folded, so that the ones that matter here stand out.
  warnings(keys, texts) {
    const lesson = document.querySelector('.lesson[data-minor]');
    const current = document.querySelector('.step.current');
    const teaches = current ? (current.dataset.teaches || '').split(' ') : [];
    const minor = lesson ? lesson.dataset.minor.split(' ').filter((k) => k && !teaches.includes(k)) : [];
    const main = [];
    const aside = [];
    texts.forEach((text, i) => ((keys[i] && minor.includes(keys[i].key)) ? aside : main).push(text));
    fillList($('warnings'), main);
    fillList($('minor-list'), aside);
    $('minor-title').textContent = tn('env.minor', aside.length);
    $('minor-warnings').hidden = aside.length === 0;
  }

  // delivery is what became of one recipient's copy.
  delivery(d, x) {
    const last = this.last;
    if (d.reason === 'delivery.bounce') {
      // The queue's report may be told by two servers: noted once.
      const notes = $('env-notes');
      if (!d.uid || !notes.querySelector(`[data-uid="${CSS.escape(d.uid)}"]`)) {
        notes.append(el('li', null, t('env.note.bounce', { mailbox: d.mailbox }), d.uid ? { 'data-uid': d.uid } : undefined));
      }
    }
    if (!last || d.messageId !== last.id) return;
    const row = last.rows.get((d.recipient || '').toLowerCase());
    if (!row) return;
    row.deliveries.push({ status: d.status, mailbox: d.mailbox || d.recipient, why: (x && x.delivery) || '' });
    const ok = row.deliveries.filter((e) => e.status === 'delivered').length;
    if (ok === row.deliveries.length) row.fate = 'delivered';
    else if (ok > 0) row.fate = 'partly';
    else row.fate = row.deliveries.some((e) => e.status === 'bounced') ? 'bounced' : 'dropped';
    this.drawRow(row);
    this.legend();
    this.settleLater();
  }

  // settleLater: the deliveries of a message follow it at once; a
  // recipient still waiting after them got no copy of its own, because
  // its mailbox already had one (an alias, a list member…).
  settleLater() {
    clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => {
      if (!this.last) return;
      for (const row of this.last.rows.values()) {
        if (row.fate !== 'pending') continue;
        row.fate = 'shared';
        this.drawRow(row);
      }
      this.legend();
    }, SETTLE_MS);
  }

  drawRow(row) {
    const { v, text, tr, cell } = row;
    tr.className = 'v-' + v.verdict + ' f-' + row.fate;
    tr.dataset.fate = row.fate;
    let label = text.label;
    switch (row.fate) {
      case 'pending': label = t('env.v.pending'); break;
      case 'bounced': label = t('env.v.bounced'); break;
      case 'dropped': label = t('env.v.dropped'); break;
      case 'partly': label = t('env.v.partly'); break;
      case 'shared': label = t('env.v.shared'); break;
      case 'queued': label = t('env.v.queued'); break;
      case 'deferred': label = t('env.v.deferred'); break;
      case 'relayed': label = t('env.v.relayed'); break;
      case 'delivered': if (row.alone) label = t('env.v.only'); break;
    }
    const visible = row.alone ? t('env.only') : text.visible;
    cell.replaceChildren(el('strong', null, label), el('span', 'visible', visible));
    const fates = el('ul', 'fates');
    for (const d of row.deliveries) {
      const li = el('li', 'fate-' + d.status, t('env.fate.' + d.status, { mailbox: d.mailbox }));
      if (d.status !== 'delivered' && d.why) li.append(' ', el('span', 'muted', d.why));
      fates.append(li);
    }
    if (row.fate === 'shared') fates.append(el('li', 'muted', t('env.fate.shared')));
    if (row.fate === 'relayed' && row.transit.host) fates.append(el('li', 'fate-relayed', t('env.fate.relayed', { host: row.transit.host })));
    if (row.fate === 'deferred' && row.transit.time) fates.append(el('li', 'fate-deferred', t('env.fate.deferred', { time: row.transit.time })));
    if (fates.childElementCount) cell.append(fates);
    row.long = this.longFor(row);
    if (row.long) cell.title = row.long;
    else cell.removeAttribute('title');
  }

  // longFor is the sentence that explains a row's verdict, for the legend.
  longFor(row) {
    switch (row.fate) {
      case 'pending': return t('env.long.pending');
      case 'bounced': case 'dropped': case 'partly': case 'shared': return t('env.long.' + row.fate);
      case 'queued': return t('env.long.queued');
      case 'deferred': return t('env.long.deferred');
      case 'relayed': return t('env.long.relayed');
      case 'delivered': return row.alone ? t('env.long.only') : row.text.long;
    }
    return row.text.long;
  }

  legend() {
    const dl = $('verdict-legend');
    dl.replaceChildren();
    const seen = new Set();
    for (const row of this.last ? this.last.rows.values() : []) {
      const label = row.cell.querySelector('strong').textContent;
      if (!row.long || seen.has(label)) continue;
      seen.add(label);
      dl.append(el('dt', 'v-' + row.v.verdict + ' f-' + row.fate, label), el('dd', null, row.long));
    }
  }

  mailboxes(boxes) {
    const list = $('mailboxes');
    list.replaceChildren();
    for (const b of boxes) {
      const li = el('li', 'mailbox', null, { 'data-user': b.user });
      const head = el('div', 'mbox-head');
      head.append(el('strong', null, b.name), ' ', el('span', 'muted', b.address),
        el('span', 'count', tn('mbox.count', b.messages.length)));
      li.append(head);
      if (b.messages.length) {
        const ul = el('ul', 'messages');
        for (const m of b.messages) {
          const btn = el('button', 'msg', null, { type: 'button', 'data-uid': m.uid });
          btn.append(el('span', 'subject', m.subject || t('mbox.noSubject')), el('span', 'from muted', m.from || ''));
          if (m.bcc) btn.append(el('span', 'tag', 'Bcc'));
          btn.addEventListener('click', () => this.socket.send({ t: 'raw', mailbox: b.user, uid: m.uid }));
          const item = el('li');
          item.append(btn);
          ul.append(item);
        }
        li.append(ul);
      }
      list.append(li);
    }
  }

  // raw shows one message as stored: the lines the server added marked,
  // and the Bcc line it removed shown apart.
  raw(m) {
    const pre = $('msg-raw');
    pre.replaceChildren();
    const added = m.raw.slice(0, m.trace);
    const rest = m.raw.slice(m.trace);
    for (const line of lines(added)) pre.append(el('span', 'added', line + '\n', { title: t('msg.added') }));
    if (m.bcc) for (const line of lines(m.bcc)) pre.append(el('span', 'removed', line + '\n', { title: t('msg.bcc') }));
    pre.append(document.createTextNode(rest.replace(/\r\n/g, '\n')));
    this.path(m.path || []);
    $('msg-title').textContent = t('msg.titleFor', { user: m.mailbox });
    const dialog = $('msg-dialog');
    if (!dialog.open) dialog.showModal();
  }

  // path shows the way a message came, read from its Received lines: the
  // server sends them oldest first, the lowest line of the trace.
  path(hops) {
    const box = $('msg-path');
    if (!box) return;
    const list = $('msg-path-list');
    list.replaceChildren();
    for (const h of hops) {
      const li = el('li', 'path-hop');
      if (!h.from && !h.by) {
        li.append(el('span', 'path-raw', t('msg.path.unread', { raw: h.raw || '' })));
        list.append(li);
        continue;
      }
      const from = el('span', 'path-from', h.from || t('msg.path.nofrom'), h.from ? { lang: 'en' } : undefined);
      if (h.fromInfo) from.append(' ', el('span', 'path-info', '(' + h.fromInfo + ')'));
      li.append(from, el('span', 'path-arrow', ' → '), el('strong', 'path-by', h.by || '?', { lang: 'en' }));
      const said = [];
      if (h.with) said.push(h.with);
      if (h.id) said.push('id ' + h.id);
      if (h.for) said.push(t('msg.path.for', { rcpt: h.for }));
      if (h.dateText) said.push(h.dateText);
      if (said.length) li.append(' ', el('span', 'path-said', '(' + said.join(', ') + ')'));
      list.append(li);
    }
    box.hidden = hops.length === 0;
  }

  // reset empties the panels for a replay, or (world) because the world
  // was emptied.
  reset(world) {
    if (this.flow) this.flow.reset(world);
    this.envelope({ from: null, to: [] });
    $('env-last').hidden = true;
    this.last = null;
    clearTimeout(this.settleTimer);
    this.light([]);
    this.showRelay(false);
    this.relayOf.clear();
    $('journey-now').textContent = '';
    if (this.eavesdropper) this.eavesdropper.reset();
    this.sealed = { smtp: false, pop: false };
    this.leg = null;
    this.seal();
  }

  // seal shows which legs of the journey went encrypted: the session that
  // took each one last was under TLS (the open or tls event says so).
  seal(ev) {
    if (ev && ev.kind === 'open') {
      this.leg = ev.proto === 'smtp' ? 'smtp' : 'pop';
      this.sealed[this.leg] = !!(ev.open && ev.open.tls);
    }
    if (ev && ev.kind === 'tls' && this.leg) this.sealed[this.leg] = true;
    for (const [leg, on] of Object.entries(this.sealed)) {
      const g = document.getElementById('leg-' + leg);
      if (g) g.classList.toggle('sealed', on);
    }
  }

  // journey lights the hops a message has reached.
  journey(ev) {
    if (ev.kind === 'open' || ev.kind === 'tls') this.seal(ev);
    let hops = null;
    let now = null;
    if (ev.kind === 'open' && ev.proto === 'smtp') { hops = ['mua-out', 'mta']; now = 'journey.now.smtp'; }
    if (ev.kind === 'message') { hops = ['mua-out', 'mta']; now = 'journey.now.accepted'; }
    if (ev.kind === 'delivery') {
      hops = ev.delivery.status === 'delivered' ? ['mua-out', 'mta', 'mda', 'mailbox'] : ['mua-out', 'mta', 'mda'];
      now = 'journey.now.' + ev.delivery.status;
    }
    if (ev.kind === 'open' && ev.proto !== 'smtp') { hops = ['mailbox', 'pop']; now = 'journey.now.pop'; }
    if (ev.kind === 'mailbox' && ev.mailbox.action === 'retrieved') { hops = ['mailbox', 'pop', 'mua-in']; now = 'journey.now.retrieved'; }
    if (ev.kind === 'tls') now = this.leg === 'smtp' ? 'journey.now.smtp' : 'journey.now.pop';
    if (!now) return;
    if (hops) this.light(hops);
    let text = t(now, { mailbox: ev.delivery ? ev.delivery.mailbox : (ev.mailbox ? ev.mailbox.mailbox : '') });
    const leg = hops && hops.includes('pop') ? 'pop' : 'smtp';
    if (ev.kind === 'tls' ? this.sealed[this.leg] : this.sealed[leg]) text += ' ' + t('journey.sealed');
    $('journey-now').textContent = text;
  }

  // relayJourney lights the hop to the next server: a relay session
  // opened, the queue passed the message on, kept it, or gave up; the
  // next server stored it, or a report came back.
  relayJourney(ev) {
    let hops = null;
    let text = '';
    if (ev.kind === 'open' && ev.open && ev.open.transport === 'relay') {
      const from = (ev.open.via && ev.open.via.host) || document.body.dataset.host || '';
      hops = ['mua-out', 'mta', 'relay'];
      text = t('journey.now.relaying', { from, to: ev.open.host || '' });
    }
    if (ev.kind === 'queue') {
      const q = ev.queue;
      const host = this.holder(ev);
      switch (q.action) {
        case 'queued': hops = ['mua-out', 'mta']; text = t('journey.now.queued', { host }); break;
        case 'relayed':
          // The next server tells its 250 after storing the copy: what it
          // lit stays lit.
          hops = ['mua-out', 'mta', 'relay', ...this.hops.filter((h) => document.getElementById('hop-' + h)?.classList.contains('lit'))];
          text = t('journey.now.relayed', { from: host, to: q.host || '' });
          break;
        case 'deferred':
          hops = ['mua-out', 'mta'];
          text = t('journey.now.deferred', { host, time: q.nextTry ? new Date(q.nextTry).toLocaleTimeString(document.documentElement.lang) : '?' });
          break;
        case 'failed': hops = ['mua-out', 'mta']; text = t('journey.now.failed', { host }); break;
      }
    }
    if (ev.kind === 'delivery') {
      const d = ev.delivery;
      if (d.reason === 'delivery.bounce') {
        hops = ['mda', 'mailbox'];
        text = t('journey.now.bounce', { mailbox: d.mailbox || '' });
      } else if (ev.session && d.status === 'delivered') {
        hops = ['mua-out', 'mta', 'relay', 'mda', 'mailbox'];
        text = t('journey.now.delivered', { mailbox: d.recipient || d.mailbox || '' });
      } else if (ev.session) {
        hops = ['mua-out', 'mta', 'relay', 'mda'];
        text = t('journey.now.' + (d.status === 'dropped' ? 'dropped' : 'bounced'), { mailbox: d.recipient || d.mailbox || '' });
      }
    }
    if (!hops) return;
    if (hops.includes('relay')) this.showRelay(true);
    this.light(hops);
    $('journey-now').textContent = text;
  }

  // holder is the server whose queue a queue event is about.
  holder(ev) {
    return (this.flow && this.flow.queueHosts.get(ev.queue.id)) || document.body.dataset.host || '';
  }

  // showRelay adds the next server to the journey, between the MTA and
  // the MDA, once mail has gone through one; false takes it away.
  showRelay(on) {
    const svg = $('journey');
    if (!svg || (svg.dataset.relay === 'on') === on) return;
    if (on) svg.dataset.relay = 'on';
    else delete svg.dataset.relay;
    svg.setAttribute('viewBox', on ? '0 0 700 120' : '0 0 600 120');
    const after = $('journey-after');
    if (after) after.setAttribute('transform', on ? 'translate(100 0)' : 'translate(0 0)');
  }

  light(hops) {
    for (const h of this.hops) {
      const g = document.getElementById('hop-' + h);
      if (g) g.classList.toggle('lit', hops.includes(h));
    }
  }
}

function fillList(ul, items) {
  ul.replaceChildren(...items.map((i) => el('li', null, i)));
}

function lines(text) {
  return text.replace(/\r\n$/, '').split('\r\n');
}
