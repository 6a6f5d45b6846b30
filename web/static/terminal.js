// The browser terminal: what is typed at its prompt goes to the server's
// shell (package shell), which answers with what to print and opens the
// session a command asks for (telnet, nc, openssl s_client); then raw
// protocol lines, each reply with its explanation.
import { t, tn, el, announce } from './i18n.js';
import { Transcript } from './transcript.js';
import { family, label } from './explain.js';
import { ownSession } from './flow.js';

const SHELL_PROMPT = 'student@smtplab:~$';
const FONT_KEY = 'smtplab.fontSize';
// MAX_QUEUED bounds the lines kept while a command runs or a connection opens.
const MAX_QUEUED = 50;
// LINE_CLASS is how the terminal shows each kind of line the shell prints;
// the programs' own lines are English, as they print them.
const LINE_CLASS = { prompt: ['prompt-line', ''], out: ['', 'en'], err: ['warn', 'en'], note: ['note', ''] };

// drawEvent draws one engine event in transcript as a watcher sees it:
// telnet's lines when a connection opens or closes (the student's own
// terminal gets what its program really printed from the server), the
// protocol lines in between. host is the server dialled, when the event
// does not name it. The teacher's watch page draws a student's terminal
// with it.
export function drawEvent(transcript, ev, x, host) {
  switch (ev.kind) {
    case 'open':
      transcript.system(t('shell.connected', { host: ev.open && ev.open.host ? ev.open.host : host }), '', 'en');
      transcript.system(t('shell.escape'), '', 'en');
      return;
    case 'close':
      transcript.system(t('shell.closed'), '', 'en');
      return;
  }
  transcript.event(ev, x);
}

// sessionMode is the line under a terminal in a session: protocol and state.
export function sessionMode(proto, state) {
  if (state === 'IN_DATA') return t('mode.data');
  return t('mode.session', { proto: (proto || '').toUpperCase(), state: state || '' });
}

export class Terminal {
  constructor(socket, { onEvent, onTap }) {
    this.socket = socket;
    this.onEvent = onEvent || (() => {});
    this.onTap = onTap || (() => {});
    this.out = document.getElementById('term-out');
    this.input = document.getElementById('term-input');
    this.prompt = document.getElementById('term-prompt');
    this.modeLine = document.getElementById('term-mode');
    this.transcript = new Transcript(this.out);
    this.host = document.body.dataset.host;
    // 'shell' (the prompt), 'busy' (a command runs, a connection opens),
    // 'session' (lines go to the server).
    this.mode = 'shell';
    // Lines typed while a command runs wait for it, as a terminal keeps
    // what is typed before the program reads it.
    this.queued = [];
    this.proto = null;
    this.state = null;
    this.history = JSON.parse(sessionStorage.getItem('smtplab.history') || '[]');
    this.hist = this.history.length;
    this.bindKeys();
    this.bindTools();
    this.applyFont(Number(localStorage.getItem(FONT_KEY)) || 0);
    this.setMode('shell');
  }

  // say puts one sentence in the terminal's live region. The transcript
  // itself is a log that is not read aloud: a screen reader hears one
  // announcement per reply, not every line drawn.
  say(text, wire) { announce('term-announce', text, wire); }

  // note draws a line of the shell's own and says it.
  note(text, cls, lang) {
    this.transcript.system(text, cls, lang);
    if (lang) this.say('', text);
    else this.say(text);
  }

  sayReply(reply) {
    const lines = reply.lines || [];
    const code = reply.code ? String(reply.code) : (reply.status || '');
    const bare = lines.map((l) => l.replace(/^\d{3}[ -]/, '').replace(/^(\+OK|-ERR)\s?/, ''));
    if (lines.length <= 1) return this.say(t('term.say.reply', { code }), bare[0] || '');
    const shown = bare.slice(0, 12).filter((l) => l !== '');
    this.say(tn('term.say.multi', lines.length, { code }), shown.join(' ; ') + (lines.length > 12 ? ' …' : ''));
  }

  // Engine events addressed to this terminal. Only its own session's are
  // printed; the relay sessions and the queue its messages went through
  // are the panels' (Between servers), and leave the session's state be.
  event(ev, x, replaying) {
    if (!ownSession(ev)) {
      this.onEvent(ev, x, replaying);
      return;
    }
    switch (ev.kind) {
      case 'open':
        this.transcript.sealed = !!(ev.open && ev.open.tls);
        if (this.transcript.sealed) this.transcript.system(t('tls.implicit'), 'note tls-note');
        break;
      case 'tls':
        this.transcript.sealed = true;
        this.transcript.system(t('tls.started'), 'note tls-note');
        if (!replaying) this.say(t('tls.started'));
        break;
      case 'close':
        this.transcript.sealed = false;
        break;
    }
    this.transcript.event(ev, x);
    if (!replaying && ev.kind === 'reply') this.sayReply(ev.reply);
    if (ev.kind === 'reply') this.lastReply(ev.reply, x && x.reply);
    switch (ev.kind) {
      case 'open':
        this.proto = ev.proto;
        // A command that opens a session says when it is done with it.
        if (this.mode !== 'busy') this.setMode('session');
        break;
      case 'state':
        this.state = ev.state.to;
        this.setMode(this.mode);
        break;
      case 'close':
        this.proto = null;
        this.state = null;
        if (this.mode !== 'busy') this.setMode('shell');
        if (!replaying) this.say(t('term.say.closed'));
        this.stillOpenDone();
        break;
    }
    this.onEvent(ev, x, replaying);
  }

  // shell prints what the server's shell answered; at the end of a
  // command, the prompt comes back or the connection is open. The command
  // line itself was drawn when typed, except in a replay.
  shell(m, replaying) {
    if (m.clear) {
      this.transcript.clear();
      this.clearLastReply();
    }
    if (m.aside !== undefined) this.transcript.aside(m.aside, t('term.aside'));
    const said = [];
    for (const line of m.lines || []) {
      if (line.kind === 'prompt' && !replaying) continue;
      const [cls, lang] = LINE_CLASS[line.kind] || ['', ''];
      for (const text of line.text.split('\n')) this.transcript.system(text === '' ? '\u00a0' : text, cls, lang);
      if (line.kind !== 'prompt') said.push(line.text.replace(/\n/g, ' '));
    }
    if (!replaying && said.length) {
      if (said.length <= 3) this.say(said.join(' '));
      else this.say(tn('term.say.printed', said.length), said[0]);
    }
    if (!m.end || replaying) return;
    if (m.end === 'session' && this.proto) {
      this.setMode('session');
      this.sendQueued();
      return;
    }
    this.setMode('shell');
    // What was typed meanwhile was for the prompt.
    const lines = this.queued;
    this.queued = [];
    for (const l of lines) this.submit(l, true);
  }

  // tap is what an eavesdropper sees of the session's last step.
  tap(m, replaying) { this.onTap(m, replaying); }

  // lastReply shows, under the terminal, the newest reply's reason: why
  // the server said that now, without hovering its badge.
  lastReply(reply, x) {
    const strip = document.getElementById('last-reply');
    if (!strip) return;
    x = x || {};
    const code = document.getElementById('last-code');
    code.className = 'last-code b' + family(reply);
    code.textContent = label(reply);
    const text = document.getElementById('last-text');
    if (x.reason) {
      text.replaceChildren(el('strong', null, t('explain.why') + ' '), x.reason);
    } else {
      text.replaceChildren(el('strong', null, t('term.last.meaning') + ' '), x.meaning || (reply.lines || [''])[0]);
    }
    strip.hidden = false;
  }

  clearLastReply() {
    const strip = document.getElementById('last-reply');
    if (strip) strip.hidden = true;
  }

  // sendQueued sends the lines typed while the connection was opening.
  sendQueued() {
    const lines = this.queued;
    this.queued = [];
    if (lines.length && !this.socket.send({ t: 'input', lines })) this.note(t('link.down'), 'warn');
  }

  // connectFailed goes back to the shell when the server refused to run
  // the command; what was typed meanwhile is dropped with it.
  connectFailed() {
    if (this.mode !== 'busy') return;
    this.queued = [];
    this.setMode(this.proto ? 'session' : 'shell');
  }

  // stillOpen says, when a page opens on a session left open on an
  // earlier page, that what is typed goes to that server, and how to
  // close it; with a button that does.
  stillOpen() {
    if (this.mode !== 'session') return;
    this.stillOpenDone();
    const proto = (this.proto || '').toUpperCase();
    const text = t('term.still.open', { proto });
    const box = el('div', 'line still-open');
    box.append(el('span', 'still-text', text));
    const close = el('button', 'still-close', t('term.still.close'), { type: 'button' });
    close.addEventListener('click', () => { this.hangup(); this.input.focus(); });
    box.append(' ', close);
    this.transcript.append(box);
    this.out.scrollTop = this.out.scrollHeight;
    this.say(text);
  }

  // stillOpenDone retires the notice's button once the session is closed.
  stillOpenDone() {
    for (const b of this.out.querySelectorAll('.still-open .still-close')) b.remove();
    for (const n of this.out.querySelectorAll('.still-open')) n.classList.add('past');
  }

  // submit handles one line typed: to the session, to the queue while a
  // command runs, or to the server's shell. again: a queued line, already
  // in the history.
  submit(line, again) {
    if (!again) {
      if (line.trim() !== '') {
        this.history.push(line);
        if (this.history.length > 200) this.history.shift();
        sessionStorage.setItem('smtplab.history', JSON.stringify(this.history));
      }
      this.hist = this.history.length;
    }
    if (this.mode === 'session') {
      if (!this.socket.send({ t: 'input', lines: [line] })) this.note(t('link.down'), 'warn');
      return;
    }
    if (this.mode === 'busy') {
      if (this.queued.length < MAX_QUEUED) this.queued.push(line);
      return;
    }
    this.transcript.system(SHELL_PROMPT + ' ' + line, 'prompt-line');
    if (line.trim() === '') return;
    if (!this.socket.send({ t: 'shell', line })) return this.note(t('link.down'), 'warn');
    this.setMode('busy');
  }

  setMode(mode) {
    this.mode = mode;
    const inData = this.state === 'IN_DATA';
    let prompt = SHELL_PROMPT;
    let info = '';
    if (mode === 'session') {
      prompt = inData ? 'DATA ›' : (this.proto || '').toUpperCase() + ' ›';
      info = sessionMode(this.proto, this.state);
    } else if (mode === 'busy') {
      prompt = '…';
    }
    this.prompt.textContent = prompt;
    this.modeLine.textContent = info;
    this.input.setAttribute('aria-label', mode === 'session' ? (inData ? t('term.input.data') : t('term.input.session', { proto: (this.proto || '').toUpperCase() })) : t('shell.label'));
    document.getElementById('term').dataset.mode = inData ? 'data' : mode === 'busy' ? 'connecting' : mode;
    document.getElementById('btn-hangup').disabled = mode !== 'session';
  }

  hangup() {
    if (this.mode !== 'session') return;
    this.transcript.system('^]', 'prompt-line');
    this.socket.send({ t: 'hangup' });
  }
  bindKeys() {
    const form = document.getElementById('term-form');
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const line = this.input.value;
      this.input.value = '';
      this.submit(line);
    });
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowUp' || e.key === 'ArrowDown') {
        e.preventDefault();
        this.recall(e.key === 'ArrowUp' ? -1 : 1);
      } else if (e.key === ']' && e.ctrlKey) {
        e.preventDefault();
        this.hangup();
      }
    });
    this.input.addEventListener('paste', (e) => {
      const text = (e.clipboardData || window.clipboardData).getData('text');
      if (!/[\r\n]/.test(text)) return;
      e.preventDefault();
      const lines = (this.input.value + text).replace(/\r\n?/g, '\n').split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      this.input.value = '';
      this.paste(lines);
    });
    this.out.addEventListener('click', () => {
      if (!window.getSelection().toString()) this.input.focus();
    });
  }

  // paste sends several lines at once, as a pipelining client would; at
  // the prompt, the first is a command and the others wait for it.
  paste(lines) {
    if (this.mode === 'session') {
      if (!this.socket.send({ t: 'input', lines })) this.note(t('link.down'), 'warn');
      return;
    }
    for (const l of lines) this.submit(l);
  }

  recall(dir) {
    const i = this.hist + dir;
    if (i < 0 || i > this.history.length) return;
    this.hist = i;
    this.input.value = i === this.history.length ? '' : this.history[i];
  }

  bindTools() {
    document.getElementById('btn-hangup').addEventListener('click', () => { this.hangup(); this.input.focus(); });
    document.getElementById('btn-copy').addEventListener('click', () => this.copy());
    document.getElementById('btn-reset').addEventListener('click', () => {
      if (window.confirm(t('reset.confirm'))) this.socket.send({ t: 'reset' });
    });
    document.getElementById('btn-smaller').addEventListener('click', () => this.applyFont(this.font - 1));
    document.getElementById('btn-larger').addEventListener('click', () => this.applyFont(this.font + 1));
  }

  applyFont(step) {
    this.font = Math.max(-2, Math.min(8, step));
    localStorage.setItem(FONT_KEY, String(this.font));
    document.getElementById('term').style.setProperty('--term-font', (1 + this.font * 0.15).toFixed(2) + 'rem');
    if (this.transcript.follow) this.transcript.toBottom();
  }

  async copy() {
    const text = this.transcript.text();
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = el('textarea', 'visually-hidden');
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    this.note(t('copy.done'), 'note');
  }

  // reset is the server's confirmation that the world was emptied.
  reset() {
    this.replayStart();
    this.note(t('reset.done'), 'note');
  }

  // replayStart forgets what is on screen before the server replays the log.
  replayStart() {
    this.queued = [];
    this.transcript.clear();
    this.transcript.sealed = false;
    this.clearLastReply();
    this.proto = null;
    this.state = null;
    this.setMode('shell');
  }

  greet() {
    if (this.out.childElementCount === 0) this.transcript.system(t('shell.welcome', { host: this.host }), 'note');
  }
}
