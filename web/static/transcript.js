// A transcript: what the client typed and what the server answered, drawn
// from the engine's events, each reply with its badge and explanation.
import { t, el } from './i18n.js';
import { badge, challengeOf, decodedLine } from './explain.js';

export class Transcript {
  constructor(container) {
    this.out = container;
    this.lastInput = null;
    // sealed: the session is under TLS, its lines only the two ends read.
    this.sealed = false;
    // into: where lines go, the transcript or a folded aside in it.
    this.into = null;
    // challenge: what the last SASL challenge asked (AUTH LOGIN), or null.
    this.challenge = null;
    // follow: the view keeps to the newest line, until the reader scrolls
    // up; and again once they scroll back down. A larger text or a
    // projector's layout does not make it lose its place.
    this.follow = true;
    container.addEventListener('scroll', () => { this.follow = this.nearBottom(); });
    if (window.ResizeObserver) new ResizeObserver(() => { if (this.follow) this.toBottom(); }).observe(container);
  }

  nearBottom() {
    const line = parseFloat(getComputedStyle(this.out).lineHeight) || 20;
    return this.out.scrollHeight - this.out.scrollTop - this.out.clientHeight < Math.max(40, 2 * line);
  }

  toBottom() { this.out.scrollTop = this.out.scrollHeight; }

  // event draws one engine event; it returns true if it drew something.
  event(ev, x) {
    switch (ev.kind) {
      case 'input': return this.input(ev.input);
      case 'command': return this.command(ev.command, x);
      case 'reply': return this.reply(ev.reply, x && x.reply);
    }
    return false;
  }

  input(inp) {
    const line = el('div', 'line typed' + (inp.data ? ' data' : '') + (this.sealed ? ' sealed' : ''));
    const text = el('span', 'text', null, { lang: 'en' });
    if (inp.text === '') text.textContent = '\u00a0';
    else if (inp.data) showSpaces(text, inp.text);
    else text.textContent = inp.text;
    line.dataset.raw = inp.text;
    line.append(text);
    if (inp.bareLF) line.append(el('span', 'flag', t('line.bareLF')));
    if (inp.tooLong) line.append(el('span', 'flag', t('line.tooLong')));
    if (inp.data) {
      const flag = dataFlag(inp.text);
      if (flag) line.append(el('span', 'flag flag-data', t(flag)));
    }
    this.mark(line);
    this.append(line);
    this.lastInput = line;
    // An answer to a SASL challenge is base64 that anyone can decode.
    if (inp.secret && this.challenge !== null) this.append(decodedLine(this.challenge.mech, inp.text, this.challenge.asks, this.sealed));
    this.challenge = null;
    return true;
  }

  // mark says, for a screen reader, that a line went encrypted.
  mark(line) {
    if (this.sealed) line.append(el('span', 'visually-hidden', ' — ' + t('tls.line')));
  }

  // command splits the typed line into its labelled parts (verb, address…).
  command(cmd, x) {
    const line = this.lastInput;
    if (!line || !cmd.parts || !cmd.parts.length) return false;
    const text = line.querySelector('.text');
    const raw = text.textContent;
    const upper = raw.toUpperCase(); // the verb comes back upper case, whatever was typed
    const frag = document.createDocumentFragment();
    let at = 0;
    cmd.parts.forEach((p, i) => {
      const found = upper.indexOf(p.text.toUpperCase(), at);
      if (found < 0) return;
      if (found > at) frag.append(raw.slice(at, found));
      const label = (x && x.parts && x.parts[i]) || p.kind;
      frag.append(el('span', 'part part-' + p.kind, raw.slice(found, found + p.text.length), { title: label }));
      at = found + p.text.length;
    });

    if (at < raw.length) frag.append(raw.slice(at));
    text.replaceChildren(frag);
    if (x && x.command) line.title = cmd.verb + ' — ' + x.command;
    line.dataset.verb = cmd.verb;
    // AUTH's initial response: credentials in base64, decoded here.
    const secret = cmd.parts.find((p) => p.kind === 'secret');
    if (cmd.verb === 'AUTH' && secret) {
      const mech = (cmd.parts.find((p) => p.kind === 'keyword') || {}).text || '';
      line.after(decodedLine(mech, secret.text, mech.toUpperCase() === 'LOGIN' ? 'user' : '', this.sealed));
    }
    this.authMech = cmd.verb === 'AUTH' ? ((cmd.parts.find((p) => p.kind === 'keyword') || {}).text || '') : '';
    return true;
  }

  reply(reply, x) {
    const lines = reply.lines || [];
    const group = el('div', 'reply' + (this.sealed ? ' sealed' : ''));
    this.challenge = challengeOf(reply, this.authMech || '');
    lines.forEach((l, i) => {
      const line = el('div', 'line server');
      if (i === 0) line.append(badge(reply, x || {}, () => group), ' ');
      line.append(el('span', 'text', l, { lang: 'en' }));
      if (i === 0) this.mark(line);
      group.append(line);
      // An excerpt of a long reply (RETR of a big message) says what it left out.
      if (reply.omitted && i === lines.length - 2) {
        group.append(el('div', 'line system', t('term.omitted', { lines: reply.omitted, octets: reply.omittedOctets })));
      }
    });
    group.dataset.code = reply.code ? String(reply.code) : reply.status;
    this.append(group);
    return true;
  }

  // system is a line of the terminal's own; lang is set when its text is
  // not in the page's language (telnet's messages are in English).
  system(text, cls, lang) {
    this.append(el('div', 'line system' + (cls ? ' ' + cls : ''), text, lang ? { lang } : undefined));
  }

  append(node) {
    const stick = this.follow || this.nearBottom();
    (this.into || this.out).append(node);
    if (stick) this.toBottom();
  }

  // aside folds what follows, until aside(false), under a summary: what
  // a client program exchanged by itself without printing it.
  aside(on, summary) {
    if (!on) {
      this.into = null;
      return;
    }
    const box = el('details', 'aside');
    box.append(el('summary', null, summary));
    this.append(box);
    this.into = box;
  }

  clear() {
    this.out.replaceChildren();
    this.lastInput = null;
    this.into = null;
    this.challenge = null;
    this.follow = true;
  }

  // text is the transcript as plain lines, badges left out.
  text() {
    const lines = [];
    for (const l of this.out.querySelectorAll('.line')) {
      const text = l.querySelector('.text');
      lines.push(l.dataset.raw !== undefined ? l.dataset.raw : text ? text.textContent : l.textContent);
    }
    return lines.join('\n') + '\n';
  }
}

// showSpaces writes a line of message text with the spaces and tabs at its
// ends made visible: " ." and ". " are not the end of the message, and
// must not look like it.
function showSpaces(span, text) {
  const m = /^([ \t]*)(.*?)([ \t]*)$/s.exec(text);
  const mark = (run) => {
    for (const c of run) {
      span.append(el('span', 'sp', c === '\t' ? '→' : '␣', { title: t(c === '\t' ? 'line.tab' : 'line.space') }));
    }
  };
  mark(m[1]);
  span.append(m[2]);
  mark(m[3]);
}

// dataFlag names what a line of message text does that a student may not
// expect, as a key of the page's texts; '' for a plain line.
function dataFlag(text) {
  if (text === '.') return '';
  if (text.trim() === '.') return 'line.nearEnd';
  if (text.startsWith('..')) return 'line.stuffed';
  if (text.startsWith('.')) return 'line.dotRemoved';
  if (/^(QUIT|RSET|NOOP|DATA|HELO |EHLO |MAIL FROM:|RCPT TO:)/i.test(text.trim())) return 'line.command';
  return '';
}
