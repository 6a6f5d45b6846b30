// The panels beside the terminal: envelope against headers, what an
// eavesdropper sees, mailboxes, and the journey of a message. All of it is
// drawn from engine events (and the server's taps).
import { t, tn, el } from './i18n.js';
import { Tap } from './tap.js';

const $ = (id) => document.getElementById(id);

// SETTLE_MS is how long after a message's last delivery event its
// recipients still waiting are taken as served by a copy already stored.
// The engine reports every delivery at once, right after the 250.
const SETTLE_MS = 1500;

export class Panels {
  constructor(socket) {
    this.socket = socket;
    this.hops = ['mua-out', 'mta', 'mda', 'mailbox', 'pop', 'mua-in'];
    this.eavesdropper = $('tap-list') ? new Tap($('tap-list'), $('tap-empty')) : null;
    this.sealed = { smtp: false, pop: false }; // the legs encrypted (TLS)
    this.leg = null; // the leg of the session open
  }

  // tap shows what passed encrypted in the session's last step.
  tap(m) {
    if (this.eavesdropper) this.eavesdropper.records(m.records);
  }

  event(ev, x) {
    if (this.eavesdropper) this.eavesdropper.event(ev);
    switch (ev.kind) {
      case 'envelope': this.envelope(ev.envelope); break;
      case 'message': this.message(ev.message, x); break;
      case 'delivery': this.delivery(ev.delivery, x); break;
    }
    this.journey(ev);
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
      $('env-notes').append(el('li', null, t('env.note.bounce', { mailbox: d.mailbox })));
    }
    if (!last || d.messageId !== last.id) return;
    const row = last.rows.get((d.recipient || '').toLowerCase());
    if (!row) return;
    row.deliveries.push({ status: d.status, mailbox: d.mailbox, why: (x && x.delivery) || '' });
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
    $('msg-title').textContent = t('msg.titleFor', { user: m.mailbox });
    const dialog = $('msg-dialog');
    if (!dialog.open) dialog.showModal();
  }

  reset() {
    this.envelope({ from: null, to: [] });
    $('env-last').hidden = true;
    this.last = null;
    clearTimeout(this.settleTimer);
    this.light([]);
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
