// A transcript: what the client typed and what the server answered, drawn
// from the engine's events, each reply with its badge and explanation.
import { t, el } from './i18n.js';
import { badge } from './explain.js';

export class Transcript {
  constructor(container) {
    this.out = container;
    this.lastInput = null;
  }

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
    const line = el('div', 'line typed' + (inp.data ? ' data' : ''));
    line.append(el('span', 'text', inp.text === '' ? '\u00a0' : inp.text, { lang: 'en' }));
    if (inp.bareLF) line.append(el('span', 'flag', t('line.bareLF')));
    if (inp.tooLong) line.append(el('span', 'flag', t('line.tooLong')));
    this.append(line);
    this.lastInput = line;
    return true;
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
    return true;
  }

  reply(reply, x) {
    const lines = reply.lines || [];
    const group = el('div', 'reply');
    lines.forEach((l, i) => {
      const line = el('div', 'line server');
      if (i === 0) line.append(badge(reply, x || {}, () => group), ' ');
      line.append(el('span', 'text', l, { lang: 'en' }));
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
    const stick = this.out.scrollHeight - this.out.scrollTop - this.out.clientHeight < 40;
    this.out.append(node);
    if (stick) this.out.scrollTop = this.out.scrollHeight;
  }

  clear() {
    this.out.replaceChildren();
    this.lastInput = null;
  }

  // text is the transcript as plain lines, badges left out.
  text() {
    const lines = [];
    for (const l of this.out.querySelectorAll('.line')) {
      const text = l.querySelector('.text');
      lines.push(text ? text.textContent : l.textContent);
    }
    return lines.join('\n') + '\n';
  }
}
