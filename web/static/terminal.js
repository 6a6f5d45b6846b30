// The browser terminal: a small shell whose telnet (and nc) connects to the
// visitor's sandbox over the page's WebSocket, then raw protocol lines.
import { t, tn, el, announce } from './i18n.js';
import { Transcript } from './transcript.js';
import { family, label } from './explain.js';

const SHELL_PROMPT = 'student@smtplab:~$';
const STANDARD = { smtp: 25, pop3: 110, pop2: 109 };
const SERVICE_NAMES = { smtp: 'smtp', mail: 'smtp', pop3: 'pop3', pop: 'pop3', 'pop-3': 'pop3', pop2: 'pop2', 'pop-2': 'pop2' };
const FONT_KEY = 'smtplab.fontSize';
// MAX_QUEUED bounds the lines kept while a connection opens.
const MAX_QUEUED = 50;

// drawEvent draws one engine event in transcript as the terminal shows it:
// telnet's own lines when a connection opens or closes, the protocol lines
// in between. host is the server dialled, when the event does not name it.
// The teacher's watch page draws a student's terminal with it too.
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
  constructor(socket, { onEvent }) {
    this.socket = socket;
    this.onEvent = onEvent || (() => {});
    this.out = document.getElementById('term-out');
    this.input = document.getElementById('term-input');
    this.prompt = document.getElementById('term-prompt');
    this.modeLine = document.getElementById('term-mode');
    this.transcript = new Transcript(this.out);
    const body = document.body.dataset;
    this.host = body.host;
    this.domain = body.domain;
    // A student of a class also reaches the class's own mail server.
    this.classHost = body.classHost || '';
    this.classDomain = body.classDomain || '';
    this.peer = this.host;
    this.ports = {
      smtp: [STANDARD.smtp, Number(body.smtpPort)],
      pop3: [STANDARD.pop3, Number(body.pop3Port)],
      pop2: [STANDARD.pop2, Number(body.pop2Port)],
    };
    this.mode = 'shell'; // 'shell', 'connecting', 'session'
    // Lines typed while a connection is being opened wait for it, as
    // telnet keeps what is typed before the server answers.
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

  // Engine events addressed to this terminal.
  event(ev, x, replaying) {
    drawEvent(this.transcript, ev, x, this.peer);
    if (!replaying) {
      if (ev.kind === 'reply') this.sayReply(ev.reply);
      else if (ev.kind === 'close') this.say(t('term.say.closed'));
    }
    if (ev.kind === 'reply') this.lastReply(ev.reply, x && x.reply);
    switch (ev.kind) {
      case 'open':
        this.proto = ev.proto;
        this.setMode('session');
        if (!replaying) this.sendQueued();
        break;
      case 'state':
        this.state = ev.state.to;
        this.setMode(this.mode);
        break;
      case 'close':
        this.proto = null;
        this.state = null;
        this.setMode('shell');
        this.stillOpenDone();
        break;
    }
    this.onEvent(ev, x, replaying);
  }

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

  // connectFailed goes back to the shell when the server refused to open
  // the connection; what was typed meanwhile is dropped with it.
  connectFailed() {
    if (this.mode !== 'connecting') return;
    this.queued = [];
    this.setMode('shell');
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

  submit(line) {
    if (line.trim() !== '') {
      this.history.push(line);
      if (this.history.length > 200) this.history.shift();
      sessionStorage.setItem('smtplab.history', JSON.stringify(this.history));
    }
    this.hist = this.history.length;
    if (this.mode === 'session') {
      if (!this.socket.send({ t: 'input', lines: [line] })) this.note(t('link.down'), 'warn');
      return;
    }
    if (this.mode === 'connecting') {
      if (this.queued.length < MAX_QUEUED) this.queued.push(line);
      return;
    }
    this.transcript.system(SHELL_PROMPT + ' ' + line, 'prompt-line');
    this.shell(line.trim());
  }

  // shell runs one command typed at the prompt.
  shell(line) {
    const [cmd, ...args] = line.split(/\s+/);
    switch (cmd) {
      case '': return;
      case 'help':
        t('shell.help', { host: this.host }).split('\n').forEach((l) => this.transcript.system(l));
        return this.say(t('shell.help', { host: this.host }).replace(/\n/g, ' '));
      case 'clear':
        this.transcript.clear();
        this.socket.send({ t: 'clear' });
        return;
      case 'telnet':
      case 'nc':
      case 'netcat':
        return this.connect(cmd, args);
    }
    this.note(t('shell.notfound', { cmd }), 'warn');
  }

  connect(cmd, args) {
    const rest = args.filter((a) => !a.startsWith('-'));
    if (rest.length < 1) return this.note(t('shell.usage', { cmd }), 'warn');
    const [host, portArg = cmd === 'telnet' ? '23' : ''] = rest;
    const world = this.worldOf(host);
    if (world === null) return this.note(t('shell.unknownHost', { cmd, host }), 'warn', 'en');
    const proto = this.protoFor(portArg);
    if (cmd === 'telnet') this.transcript.system(t('shell.trying'), '', 'en');
    if (!proto) return this.note(t('shell.refused', { cmd, port: portArg }), 'warn', 'en');
    this.peer = world === 'class' ? this.classHost : this.host;
    if (!this.socket.send({ t: 'open', proto, world })) return this.note(t('link.down'), 'warn');
    this.setMode('connecting');
  }

  // worldOf says which server a host name reaches: 'class' (the class's
  // own), '' (the practice server), or null (no such host).
  worldOf(h) {
    h = h.toLowerCase().replace(/\.$/, '');
    if (this.classDomain && [this.classHost, this.classDomain].concat(['smtp.', 'pop.', 'pop3.'].map((p) => p + this.classDomain)).includes(h)) return 'class';
    const practice = ['localhost', '127.0.0.1', '::1', this.host, this.domain, 'mail', 'smtp', 'pop', 'pop3']
      .includes(h) || h === 'smtp.' + this.domain || h === 'pop.' + this.domain || h === 'pop3.' + this.domain;
    return practice ? '' : null;
  }

  protoFor(port) {
    const named = SERVICE_NAMES[port.toLowerCase()];
    if (named) return named;
    const n = Number(port);
    for (const [proto, ports] of Object.entries(this.ports)) if (ports.includes(n) && n > 0) return proto;
    return null;
  }

  setMode(mode) {
    this.mode = mode;
    const inData = this.state === 'IN_DATA';
    let prompt = SHELL_PROMPT;
    let info = '';
    if (mode === 'session') {
      prompt = inData ? 'DATA ›' : (this.proto || '').toUpperCase() + ' ›';
      info = sessionMode(this.proto, this.state);
    } else if (mode === 'connecting') {
      prompt = '…';
    }
    this.prompt.textContent = prompt;
    this.modeLine.textContent = info;
    this.input.setAttribute('aria-label', mode === 'session' ? (inData ? t('term.input.data') : t('term.input.session', { proto: (this.proto || '').toUpperCase() })) : t('shell.label'));
    document.getElementById('term').dataset.mode = inData ? 'data' : mode;
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

  // paste sends several lines at once, as a pipelining client would.
  paste(lines) {
    if (this.mode === 'session') {
      if (!this.socket.send({ t: 'input', lines })) this.note(t('link.down'), 'warn');
      return;
    }
    this.submit(lines[0]);
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
    this.queued = [];
    this.transcript.clear();
    this.clearLastReply();
    this.proto = null;
    this.state = null;
    this.setMode('shell');
    this.note(t('reset.done'), 'note');
  }

  // replayStart forgets what is on screen before the server replays the log.
  replayStart() {
    this.queued = [];
    this.transcript.clear();
    this.clearLastReply();
    this.proto = null;
    this.state = null;
    this.setMode('shell');
  }

  greet() {
    if (this.out.childElementCount === 0) this.transcript.system(t('shell.welcome', { host: this.host }), 'note');
  }
}
