// Lesson steps: ticked as the server reports goals met, remembered in the
// browser so a reload or a return next week resumes where the student was.
// Also the replays of classic sessions and the spot-the-mistakes quizzes.
import { t, tn, el, announce } from './i18n.js';
import { explanation } from './explain.js';

const key = (slug) => 'smtplab.lesson.' + slug;

export function loadProgress(slug) {
  try { return JSON.parse(localStorage.getItem(key(slug))) || { done: [] }; } catch { return { done: [] }; }
}

function saveProgress(slug, p) { localStorage.setItem(key(slug), JSON.stringify(p)); }

export class Lesson {
  constructor(root, socket) {
    this.root = root;
    this.slug = root.dataset.lesson;
    this.socket = socket;
    this.state = loadProgress(this.slug);
    const box = document.getElementById('steps-box');
    if (box && window.matchMedia('(max-width: 1100px)').matches) box.open = false;
    // "See this step in the list" opens the list first.
    const go = document.getElementById('now-goto');
    if (go && box) go.addEventListener('click', () => { box.open = true; });
    this.draw();
    const reset = document.getElementById('btn-lesson-reset');
    if (reset) reset.addEventListener('click', () => {
      this.state = { done: [] };
      saveProgress(this.slug, this.state);
      this.socket.send({ t: 'lesson-reset' });
      const note = document.getElementById('now-ticked');
      if (note) note.hidden = true;
      for (const q of root.querySelectorAll('.quiz')) q.quiz.reset();
      this.draw();
    });
    for (const r of root.querySelectorAll('.replay')) new Replay(r);
    for (const q of root.querySelectorAll('.quiz')) q.quiz = new Quiz(q, socket);
    const why = document.getElementById('now-why');
    if (why) why.addEventListener('click', () => this.askWhy());
  }

  // quiz is the server's word on one of the lesson's quizzes.
  quiz(m) {
    const q = this.root.querySelector('.quiz[data-step="' + CSS.escape(m.step) + '"]');
    if (q) q.quiz.show(m);
  }

  // askWhy asks the server why the current step has not ticked yet.
  askWhy() {
    const out = document.getElementById('now-why-out');
    if (!this.socket.send({ t: 'why' })) {
      out.replaceChildren(el('p', null, t('link.down')));
      out.hidden = false;
      return;
    }
    out.replaceChildren(el('p', 'muted', t('why.asking')));
    out.hidden = false;
  }

  // why shows the checker's reasons on the card, for the step they are about.
  why(m) {
    const out = document.getElementById('now-why-out');
    const card = document.getElementById('now-card');
    if (!out || (m.step && card.dataset.step !== m.step)) return;
    const list = el('ul');
    for (const r of m.reasons || []) list.append(el('li', null, r));
    out.replaceChildren(el('p', 'now-why-title', t('why.title')), list);
    out.hidden = false;
  }

  // progress is the server saying which steps' goals are met.
  progress(m) {
    if (m.lesson !== this.slug) return;
    const fresh = [];
    for (const id of m.done || []) {
      if (!this.state.done.includes(id)) { this.state.done.push(id); fresh.push(id); }
    }
    if (fresh.length) {
      saveProgress(this.slug, this.state);
      this.draw();
      // Said once, after the reply that met the goal.
      const titles = fresh.map((id) => {
        const step = this.root.querySelector('#step-' + CSS.escape(id));
        return step ? stepTitle(step) : id;
      });
      const steps = this.root.querySelectorAll('.step').length;
      let text = titles.map((title) => t('lesson.say.done', { step: title })).join(' ');
      const next = this.root.querySelector('.step.current');
      if (next) text += ' ' + t('lesson.say.next', { step: stepTitle(next) });
      text += ' ' + (this.state.done.length >= steps ? t('lesson.say.complete') : tn('lesson.say.left', steps - this.state.done.length));
      announce('lesson-announce', text);
      this.ticked(titles[titles.length - 1]);
    }
  }

  // ticked shows, on the card, that a step was just done, and brings the
  // card (now the next step, or the end of the lesson) into view.
  ticked(title) {
    const card = document.getElementById('now-card');
    if (!card) return;
    const note = document.getElementById('now-ticked');
    const all = this.root.querySelector('.step.current') === null;
    note.textContent = t('lesson.now.ticked', { step: title });
    note.hidden = all;
    card.classList.remove('flash');
    void card.offsetWidth; // restart the animation
    card.classList.add('flash');
    inView(card);
    // The step list, in its own scrolling column, follows too.
    const cur = this.root.querySelector('.step.current') || document.getElementById('lesson-done');
    const col = this.root.querySelector('.lesson-text-col');
    if (cur && col && col.scrollHeight > col.clientHeight) {
      const top = cur.getBoundingClientRect().top - col.getBoundingClientRect().top + col.scrollTop;
      col.scrollTo({ top: Math.max(0, top - 16), behavior: 'smooth' });
    }
  }

  // card copies the current step's instruction and hint beside the terminal.
  card(current, steps) {
    const card = document.getElementById('now-card');
    if (!card) return;
    const done = steps.filter((s) => s.classList.contains('done')).length;
    document.getElementById('now-bar-fill').style.width = (steps.length ? (100 * done / steps.length) : 0) + '%';
    const body = document.getElementById('now-body');
    const finished = document.getElementById('now-done');
    const tools = document.getElementById('now-tools');
    card.classList.toggle('complete', !current);
    if (!current) {
      document.getElementById('now-count').textContent = '';
      const end = document.getElementById('lesson-done');
      document.getElementById('now-step').textContent = end ? end.textContent : t('lesson.say.complete');
      document.getElementById('now-ticked').hidden = true;
      body.replaceChildren();
      body.hidden = true;
      tools.hidden = true;
      finished.hidden = false;
      card.dataset.step = '';
      return;
    }
    finished.hidden = true;
    body.hidden = false;
    tools.hidden = false;
    if (card.dataset.step === current.dataset.step) return;
    card.dataset.step = current.dataset.step;
    const why = document.getElementById('now-why-out');
    if (why) { why.hidden = true; why.replaceChildren(); }
    document.getElementById('now-count').textContent = t('lesson.now.count', { n: Number(current.dataset.index) + 1, total: steps.length });
    document.getElementById('now-step').textContent = stepTitle(current);
    const parts = [];
    const prose = current.querySelector(':scope > .prose');
    if (prose) parts.push(prose.cloneNode(true));
    const hint = current.querySelector(':scope > details.hint');
    if (hint) {
      const h = hint.cloneNode(true);
      h.open = false;
      parts.push(h);
    }
    body.replaceChildren(...parts);
    body.scrollTop = 0;
    document.getElementById('now-goto').href = '#' + current.id;
  }

  draw() {
    const steps = [...this.root.querySelectorAll('.step')];
    let current = null;
    for (const s of steps) {
      const done = this.state.done.includes(s.dataset.step);
      s.classList.toggle('done', done);
      s.querySelector('.step-state').textContent = done ? t('lesson.stepDone') : t('lesson.stepTodo');
      s.classList.remove('current');
      if (!done && !current) current = s;
    }
    if (current) current.classList.add('current');
    const all = steps.length > 0 && steps.every((s) => s.classList.contains('done'));
    const doneNote = document.getElementById('lesson-done');
    if (doneNote) doneNote.hidden = !all;
    this.card(current, steps);
  }
}

// stepTitle is a step's title, without its hidden state word.
function stepTitle(step) {
  const h = step.querySelector('.step-title');
  if (!h) return step.dataset.step;
  return [...h.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join('').trim();
}

// inView scrolls the page, if need be, so that e is on screen whole (or
// its top, if it is taller than the window).
// With atTop, it goes to the top of the window (what follows it under it).
export function inView(e, atTop) {
  const r = e.getBoundingClientRect();
  if (r.top >= 0 && r.bottom <= window.innerHeight) return;
  const up = atTop || r.height > window.innerHeight || r.top < 0;
  window.scrollBy({ top: up ? r.top - 8 : r.bottom - window.innerHeight + 8 });
}

// Replay plays a classic session back, one line at a time; in predict mode
// it asks for the family of each reply before showing it.
class Replay {
  constructor(root) {
    this.root = root;
    this.items = JSON.parse(document.getElementById('replay-' + root.dataset.step).textContent).items || [];
    this.out = root.querySelector('.replay-out');
    this.guess = root.querySelector('.replay-guess');
    this.score = root.querySelector('.replay-score');
    this.predict = root.querySelector('.replay-predict');
    root.querySelector('.replay-next').addEventListener('click', () => this.next());
    root.querySelector('.replay-all').addEventListener('click', () => { while (this.at < this.items.length && !this.waiting) this.next(); });
    root.querySelector('.replay-restart').addEventListener('click', () => this.restart());
    for (const b of this.guess.querySelectorAll('button')) b.addEventListener('click', () => this.answer(b.dataset.family));
    this.predict.addEventListener('change', () => this.restart());
    this.restart();
  }

  restart() {
    this.at = 0;
    this.right = 0;
    this.asked = 0;
    this.waiting = false;
    this.out.replaceChildren();
    this.guess.hidden = true;
    this.score.textContent = '';
  }

  next() {
    if (this.waiting || this.at >= this.items.length) return;
    const item = this.items[this.at];
    if (!item.client && this.predict.checked) {
      this.waiting = true;
      this.guess.hidden = false;
      this.guess.querySelector('button').focus();
      return;
    }
    this.show(item);
  }

  answer(family) {
    const item = this.items[this.at];
    this.asked++;
    const ok = family === item.family;
    if (ok) this.right++;
    this.waiting = false;
    this.guess.hidden = true;
    this.show(item);
    this.out.append(el('div', 'line ' + (ok ? 'note' : 'warn'), ok ? t('replay.right') : t('replay.wrong', { label: item.label })));
    this.score.textContent = t('replay.score', { right: this.right, asked: this.asked });
  }

  show(item) {
    this.at++;
    if (item.client) {
      this.out.append(el('div', 'line typed', item.text === '' ? '\u00a0' : item.text, { lang: 'en' }));
    } else {
      const group = el('div', 'reply');
      item.lines.forEach((l) => group.append(el('div', 'line server', l, { lang: 'en' })));
      const reply = { code: /^\d+$/.test(item.label) ? Number(item.label) : 0, status: item.label, enhanced: item.enhanced };
      const x = explanation(reply, item);
      x.classList.add('pinned');
      this.out.append(group, x);
    }
    this.out.scrollTop = this.out.scrollHeight;
    if (this.at >= this.items.length) this.out.append(el('div', 'line system', t('replay.end')));
  }
}

// Quiz: the student marks the lines they think are wrong, then asks the
// server, which alone knows the answers and tells, for the lines marked,
// whether each was wrong and why.
class Quiz {
  constructor(root, socket) {
    this.root = root;
    this.socket = socket;
    this.step = root.dataset.step;
    this.total = Number(root.dataset.mistakes);
    this.status = root.querySelector('.quiz-score');
    this.check = root.querySelector('.quiz-check');
    this.again = root.querySelector('.quiz-again');
    this.lines = [...root.querySelectorAll('.quiz-line')];
    for (const b of this.lines) b.addEventListener('click', () => this.toggle(b));
    this.check.addEventListener('click', () => this.send());
    this.again.addEventListener('click', () => this.socket.send({ t: 'quiz-again', step: this.step }));
    this.reset();
  }

  reset() {
    for (const b of this.lines) {
      b.classList.remove('found', 'miss');
      b.setAttribute('aria-pressed', 'false');
      b.removeAttribute('aria-disabled');
      b.querySelector('.quiz-mark').textContent = '';
      const why = b.nextElementSibling;
      why.hidden = true;
      why.textContent = '';
    }
    this.locked = false;
    this.check.disabled = false;
    this.again.hidden = true;
    this.status.textContent = '';
  }

  // toggle marks or unmarks a line not answered yet.
  toggle(b) {
    if (this.locked || b.getAttribute('aria-disabled') === 'true') return;
    const on = b.getAttribute('aria-pressed') !== 'true';
    b.setAttribute('aria-pressed', String(on));
    b.querySelector('.quiz-mark').textContent = on ? t('quiz.marked') : '';
  }

  send() {
    const picks = this.lines.filter((b) => b.getAttribute('aria-pressed') === 'true').map((b) => Number(b.dataset.index));
    if (!picks.length) {
      this.status.textContent = t('quiz.none');
      return;
    }
    if (!this.socket.send({ t: 'quiz', step: this.step, picks })) this.status.textContent = t('link.down');
  }

  // show draws the server's word on the quiz: every line answered so far.
  show(m) {
    this.reset();
    for (const p of m.picks || []) {
      const b = this.lines[p.line];
      if (!b) continue;
      b.classList.add(p.wrong ? 'found' : 'miss');
      b.setAttribute('aria-pressed', 'false');
      b.setAttribute('aria-disabled', 'true');
      b.querySelector('.quiz-mark').textContent = p.wrong ? t('quiz.found') : t('quiz.miss');
      const why = b.nextElementSibling;
      why.textContent = p.why;
      why.hidden = false;
    }
    this.locked = !!m.locked;
    this.check.disabled = this.locked || m.found >= m.mistakes;
    this.again.hidden = !this.locked;
    let text = t('quiz.score', { found: m.found, total: m.mistakes });
    if (m.misses) text += ' ' + tn('quiz.misses', m.misses);
    if (this.locked) text += ' ' + t('quiz.locked', { max: m.maxMisses });
    else if (m.found >= m.mistakes) text += ' ' + t('quiz.complete');
    this.status.textContent = text;
  }
}

// showListProgress marks, in a lesson list, how far each lesson went.
export function showListProgress() {
  for (const item of document.querySelectorAll('.lesson-item[data-lesson]')) {
    const total = Number(item.dataset.steps) || 0;
    const done = loadProgress(item.dataset.lesson).done.length;
    const badge = item.querySelector('.lesson-progress');
    if (!badge || !total) continue;
    badge.textContent = done >= total ? t('lessons.complete') : done > 0 ? t('lessons.partial', { done, total }) : '';
    item.classList.toggle('complete', done >= total);
  }
}
