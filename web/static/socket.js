// A WebSocket to /ws that reconnects by itself and says so.
import { t } from './i18n.js';

// linkStatus shows the state of the link in the page's status element
// (#link-status, or #live-status on the live page) and on <body>.
export function linkStatus(state, seconds) {
  const s = document.getElementById('link-status') || document.getElementById('live-status');
  document.body.dataset.ws = state;
  if (!s) return;
  s.dataset.state = state;
  s.textContent = state === 'lost' ? t('link.lost', { s: seconds }) : t('link.' + state);
}

export class Socket {
  // hello() returns the first message to send after each (re)connection;
  // onMessage gets every message; onState gets 'connecting', 'open', 'lost'.
  constructor({ hello, onMessage, onState }) {
    this.hello = hello;
    this.onMessage = onMessage;
    this.onState = onState;
    this.delay = 1000;
    this.ws = null;
    this.connect();
  }

  connect() {
    this.onState('connecting');
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(scheme + '//' + location.host + '/ws');
    this.ws = ws;
    ws.addEventListener('open', () => {
      ws.send(JSON.stringify(this.hello()));
      this.onState('open');
    });
    ws.addEventListener('message', (e) => {
      let data;
      try { data = JSON.parse(e.data); } catch { return; }
      // A frame holds one message, or an array of messages sent together.
      for (const msg of Array.isArray(data) ? data : [data]) {
        // Only a welcome means the server took the page: a socket it opens
        // and then refuses (too many sandboxes) must not reset the back-off.
        if (msg.t === 'welcome') this.delay = 1000;
        if (msg.t === 'error' && msg.retry) this.retry = msg.retry * 1000;
        this.onMessage(msg);
      }
    });
    ws.addEventListener('close', () => {
      if (this.ws !== ws) return;
      this.ws = null;
      const wait = Math.max(this.delay, this.retry || 0);
      this.retry = 0;
      this.delay = Math.min(this.delay * 2, 15000);
      this.onState('lost', Math.round(wait / 1000));
      setTimeout(() => this.connect(), wait);
    });
  }

  get open() { return this.ws !== null && this.ws.readyState === WebSocket.OPEN; }

  // send returns false when the link is down; the caller tells the user.
  send(msg) {
    if (!this.open) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }
}
