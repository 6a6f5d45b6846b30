// The panels beside the terminal: envelope against headers, mailboxes, and
// the journey of a message. All of it is drawn from engine events.
import { t, el } from './i18n.js';

const $ = (id) => document.getElementById(id);

export class Panels {
  constructor(socket) {
    this.socket = socket;
    this.hops = ['mua-out', 'mta', 'mda', 'mailbox', 'pop', 'mua-in'];
  }

  event(ev, x) {
    switch (ev.kind) {
      case 'envelope': this.envelope(ev.envelope); break;
      case 'message': this.message(ev.message, x); break;
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
    if (!headers.childElementCount) headers.append(el('dd', 'empty', t('env.noHeaders')));
    const body = $('verdicts');
    body.replaceChildren();
    const legend = new Map(); // one explanation per kind of verdict, under the table
    (a.verdicts || []).forEach((v, i) => {
      const text = (x && x.verdicts && x.verdicts[i]) || { label: v.verdict, long: '', visible: v.visibleTo };
      const tr = el('tr', 'v-' + v.verdict, null, { 'data-address': v.address });
      tr.append(
        el('td', 'addr', v.address),
        el('td', null, v.envelope ? '✓' : '—', { title: v.envelope ? 'RCPT TO' : '' }),

        el('td', null, v.field || '—'),
      );
      const cell = el('td', 'verdict');
      cell.append(el('strong', null, text.label), el('span', 'visible', text.visible));
      if (text.long) cell.title = text.long;
      tr.append(cell);
      body.append(tr);
      if (text.long) legend.set(v.verdict, [text.label, text.long]);
    });
    const dl = $('verdict-legend');
    dl.replaceChildren();
    for (const [verdict, [label, long]] of legend) {
      dl.append(el('dt', 'v-' + verdict, label), el('dd', null, long));
    }
    fillList($('warnings'), (x && x.warnings) || []);
  }

  mailboxes(boxes) {
    const list = $('mailboxes');
    list.replaceChildren();
    for (const b of boxes) {
      const li = el('li', 'mailbox', null, { 'data-user': b.user });
      const head = el('div', 'mbox-head');
      head.append(el('strong', null, b.name), ' ', el('span', 'muted', b.address),
        el('span', 'count', t('mbox.count', { n: b.messages.length })));
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
    this.light([]);
    $('journey-now').textContent = '';
  }

  // journey lights the hops a message has reached.
  journey(ev) {
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
    if (!hops) return;
    this.light(hops);
    $('journey-now').textContent = t(now, { mailbox: ev.delivery ? ev.delivery.mailbox : (ev.mailbox ? ev.mailbox.mailbox : '') });
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
