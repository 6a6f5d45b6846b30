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
  if (x.reason) {
    const why = el('p', 'x-reason');
    why.append(el('strong', null, t('explain.why') + ' '), x.reason);
    box.append(why);
  }
  return box;
}

// badge makes the button that carries a reply's code. Hover or focus shows
// the explanation beside it; a click pins it under the reply for good.
export function badge(reply, x, pinAfter) {
  const b = el('button', 'badge b' + family(reply), label(reply), {
    type: 'button',
    'aria-expanded': 'false',
    'aria-label': t('explain.badge', { code: label(reply) }),
  });
  let pinned = null;
  const show = () => {
    const p = pop();
    if (!p || pinned) return;
    p.replaceChildren(explanation(reply, x));
    p.hidden = false;
    const r = b.getBoundingClientRect();
    const width = Math.min(420, window.innerWidth - 16);
    p.style.width = width + 'px';
    p.style.left = Math.max(8, Math.min(r.left + window.scrollX, window.scrollX + window.innerWidth - width - 8)) + 'px';
    p.style.top = (r.bottom + window.scrollY + 6) + 'px';
    b.setAttribute('aria-describedby', 'explain-pop');
  };
  const hide = () => {
    const p = pop();
    if (p) p.hidden = true;
    b.removeAttribute('aria-describedby');
  };
  b.addEventListener('mouseenter', show);
  b.addEventListener('focus', show);
  b.addEventListener('mouseleave', hide);
  b.addEventListener('blur', hide);
  b.addEventListener('click', () => {
    hide();
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

document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') { const p = pop(); if (p) p.hidden = true; }
});
