// Reply badges and their explanations: what the code means, the enhanced
// code split into its parts, and why this reply was given now.
import { t, el } from './i18n.js';

const pop = () => document.getElementById('explain-pop');

// family gives the colour class of a reply: 2, 3, 4 or 5 (POP: 2 or 5).
export function family(reply) {
  if (reply.code) return String(reply.code)[0];
  return reply.status === '-ERR' || reply.status === '-' ? '5' : '2';
}

// label is what the badge shows: the SMTP code, or the POP status.
export function label(reply) {
  // POP2's RETR sends the message with no status sign at all.
  return reply.code ? String(reply.code) : (reply.status || '…');
}


// explanation builds the explanation block of a reply.
export function explanation(reply, x) {
  const box = el('div', 'explain');
  // Why now first: it is what the student needs at this point.
  if (x.reason) {
    const why = el('p', 'x-reason');
    why.append(el('strong', null, t('explain.why') + ' '), x.reason);
    box.append(why);
  }
  const head = el('p', 'x-meaning');
  head.append(el('strong', 'x-code', label(reply)), ' ', el('span', null, x.meaning || ''));
  box.append(head);
  if (reply.enhanced) {
    const parts = reply.enhanced.split('.');
    const enh = el('div', 'x-enhanced');
    enh.append(el('strong', null, reply.enhanced));
    const list = el('ul');
    if (x.class) list.append(el('li', null, parts[0] + ' — ' + x.class));
    if (x.subject) list.append(el('li', null, parts[0] + '.' + parts[1] + ' — ' + x.subject));
    if (x.detail) list.append(el('li', null, reply.enhanced + ' — ' + x.detail));
    enh.append(list);
    box.append(enh);
  }
  return box;
}

// badge makes the button that carries a reply's code. Hover or focus shows
// the explanation beside it, where it fits (below, or above when there is
// no room below); it stays while the pointer is over it, and Escape hides
// it (WCAG 1.4.13). A click pins it under the reply for good.
let owner = null;   // the badge whose explanation the popover shows
let hideTimer = 0;

function hidePop() {
  clearTimeout(hideTimer);
  const p = pop();
  if (p) p.hidden = true;
  if (owner) owner.removeAttribute('aria-describedby');
  owner = null;
}

// hideSoon leaves the pointer time to cross from the badge to the popover.
function hideSoon() {
  clearTimeout(hideTimer);
  hideTimer = setTimeout(hidePop, 300);
}

// place puts the popover next to the badge b, inside the window.
function place(p, b) {
  const r = b.getBoundingClientRect();
  const margin = 8;
  const gap = 6;
  const width = Math.min(420, window.innerWidth - 2 * margin);
  p.style.width = width + 'px';
  p.style.maxHeight = '';
  p.style.left = Math.max(margin, Math.min(r.left, window.innerWidth - width - margin)) + window.scrollX + 'px';
  const below = window.innerHeight - r.bottom - gap - margin;
  const above = r.top - gap - margin;
  let h = p.offsetHeight;
  const up = h > below && above > below;
  const room = up ? above : below;
  if (h > room) {
    p.style.maxHeight = Math.max(80, room) + 'px';
    h = p.offsetHeight;
  }
  p.dataset.side = up ? 'above' : 'below';
  p.style.top = (up ? r.top - gap - h : r.bottom + gap) + window.scrollY + 'px';
}

export function badge(reply, x, pinAfter) {
  const b = el('button', 'badge b' + family(reply), label(reply), {
    type: 'button',
    'aria-expanded': 'false',
    'aria-label': t('explain.badge', { code: label(reply) }),
  });
  let pinned = null;
  const show = () => {
    const p = pop();
    clearTimeout(hideTimer);
    if (!p || pinned) return;
    if (owner === b && !p.hidden) return;
    if (owner) owner.removeAttribute('aria-describedby');
    owner = b;
    p.replaceChildren(explanation(reply, x));
    p.hidden = false;
    place(p, b);
    b.setAttribute('aria-describedby', 'explain-pop');
  };
  b.addEventListener('mouseenter', show);
  b.addEventListener('focus', show);
  b.addEventListener('mouseleave', hideSoon);
  b.addEventListener('blur', () => { if (owner === b) hidePop(); });
  b.addEventListener('click', () => {
    hidePop();
    if (pinned) {
      pinned.remove();
      pinned = null;
      b.setAttribute('aria-expanded', 'false');
      return;
    }
    pinned = explanation(reply, x);
    pinned.classList.add('pinned');
    pinAfter().after(pinned);
    b.setAttribute('aria-expanded', 'true');
  });
  return b;
}

// The pointer on the popover keeps it open; leaving it hides it.
document.addEventListener('mouseover', (e) => {
  if (e.target.closest && e.target.closest('#explain-pop')) clearTimeout(hideTimer);
});
document.addEventListener('mouseout', (e) => {
  const p = pop();
  if (!p || p.hidden || !e.target.closest || !e.target.closest('#explain-pop')) return;
  const to = e.relatedTarget;
  if (to && (p.contains(to) || to === owner)) return;
  hideSoon();
});

document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') hidePop();
});

// Credentials in base64: AUTH's initial response and the answers to its
// challenges (RFC 4954, 4616; LOGIN's "Username:" and "Password:") are
// decoded here, as anyone who reads them can, and labelled.

// challengeOf reads a reply as a SASL challenge (SMTP 334, POP3 "+"): what
// the next line of the client answers, or null if it is no challenge.
export function challengeOf(reply, mech) {
  const first = (reply.lines || [''])[0];
  if (reply.code !== 334 && reply.status !== '+') return null;
  const asked = (decode64(first.replace(/^(334|\+) ?/, '')) || '').toLowerCase();
  let asks = '';
  if (asked.startsWith('username')) asks = 'user';
  else if (asked.startsWith('password')) asks = 'password';
  return { mech: mech.toUpperCase(), asks };
}

// decode64 is the text base64 b holds, or null if b is not base64.
function decode64(b) {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b) || b.length % 4 !== 0) return null;
  try {
    const bytes = Uint8Array.from(atob(b), (c) => c.charCodeAt(0));
    return new TextDecoder().decode(bytes);
  } catch {
    return null;
  }
}

// decodedLine is the line shown under credentials in base64: what they
// say, the password masked, and that base64 is no encryption. asks is what
// a LOGIN challenge asked ('user', 'password'), '' for PLAIN.
export function decodedLine(mech, b64, asks, sealed) {
  const line = el('div', 'line system decoded');
  const what = el('span', 'decoded-what');
  const field = (label, value, masked) => {
    const f = el('span', 'sasl-field');
    f.append(el('span', 'sasl-label', label + ' '));
    if (masked) {
      f.append(el('code', 'sasl-masked', '•'.repeat(Math.max(1, [...value].length)), { 'aria-hidden': 'true' }),
        el('span', 'visually-hidden', t('sasl.masked')));
    } else {
      f.append(el('code', null, value === '' ? t('sasl.empty') : value, { lang: 'en' }));
    }
    return f;
  };
  b64 = b64.trim();
  if (b64 === '*') {
    line.append(el('span', null, t('sasl.cancel')));
    return line;
  }
  const text = b64 === '=' ? '' : decode64(b64);
  if (text === null) {
    line.append(el('span', null, t('sasl.bad')));
    return line;
  }
  const fields = [];
  if (asks === 'password') fields.push(field(t('sasl.password'), text, true));
  else if (asks === 'user' || mech === 'LOGIN') fields.push(field(t('sasl.user'), text, false));
  else {
    const [authzid = '', user = '', password = ''] = text.split('\0');
    fields.push(field(t('sasl.identity'), authzid, false), field(t('sasl.user'), user, false), field(t('sasl.password'), password, true));
  }
  what.append(el('strong', null, t('sasl.decoded') + ' '));
  fields.forEach((f, i) => {
    if (i > 0) what.append(' · ');
    what.append(f);
  });
  line.append(what, ' ', el('span', 'decoded-note', t('sasl.note') + ' ' + t(sealed ? 'sasl.sealed' : 'sasl.clear')));
  return line;
}
