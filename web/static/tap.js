// What someone on the path between the client and the server sees: the
// lines as they are while the connection is in clear (the banner, EHLO, an
// AUTH PLAIN on the teaching port…), then only TLS records, their sizes
// and bytes that look like noise. Clear lines come from the session's
// events; records from the server ({"t":"tap"}), which never holds their
// text.
import { t, tn, el } from './i18n.js';

// TAP_ROWS bounds the rows kept: the newest stay.
const TAP_ROWS = 60;
// REPLY_LINES bounds the lines shown of one reply in clear.
const REPLY_LINES = 6;

export class Tap {
  constructor(list, empty) {
    this.list = list;
    this.empty = empty;
    this.sealed = false;
  }

  // event shows a line in clear, or notes that the session is now sealed.
  event(ev) {
    switch (ev.kind) {
      case 'open': this.sealed = !!(ev.open && ev.open.tls); break;
      case 'tls': this.sealed = true; break;
      case 'close': this.sealed = false; break;
      case 'input':
        if (!this.sealed) this.row('client', this.clear([ev.input.text]));
        break;
      case 'reply':
        if (!this.sealed) this.row('server', this.clear(ev.reply.lines || []));
        break;
    }
  }

  // records shows what passed encrypted.
  records(recs) {
    for (const r of recs || []) this.row(r.from, r.type === 'handshake' ? this.handshake(r) : this.data(r), true);
  }

  clear(lines) {
    const shown = lines.slice(0, REPLY_LINES).join('\n') + (lines.length > REPLY_LINES ? '\n…' : '');
    return [el('code', 'tap-text', shown === '' ? '\u00a0' : shown, { lang: 'en' }), el('span', 'tap-kind', t('tap.clear'))];
  }

  handshake(r) {
    const what = r.from === 'client'
      ? (r.serverName ? t('tap.hello', { name: r.serverName }) : t('tap.hello.noname'))
      : t('tap.flight');
    return [el('code', 'tap-head', spaced(r.head)), el('span', 'tap-kind', what + ' ' + tn('tap.octets', r.octets))];
  }

  data(r) {
    const what = r.count > 1 ? tn('tap.records', r.count, { octets: r.octets }) : tn('tap.record', r.length);
    return [el('code', 'tap-head', spaced(r.head)), ' ', el('code', 'tap-cipher', spaced(r.sample) + ' …', { 'aria-hidden': 'true' }),
      el('span', 'tap-kind', what)];
  }

  row(from, parts, sealed) {
    const li = el('li', 'tap-row from-' + from + (sealed ? ' sealed' : ''));
    li.append(el('span', 'tap-dir', t(from === 'client' ? 'tap.client' : 'tap.server')), ...parts);
    this.list.append(li);
    while (this.list.childElementCount > TAP_ROWS) this.list.firstElementChild.remove();
    this.empty.hidden = true;
    this.list.scrollTop = this.list.scrollHeight;
  }

  reset() {
    this.list.replaceChildren();
    this.empty.hidden = false;
    this.sealed = false;
  }
}

// spaced writes hex octets apart: "17 03 03 00 2b".
function spaced(hex) {
  return (hex || '').replace(/(..)(?=.)/g, '$1 ');
}
