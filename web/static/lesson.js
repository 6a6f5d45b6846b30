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
    this.draw();
    const reset = document.getElementById('btn-lesson-reset');
    if (reset) reset.addEventListener('click', () => {
      this.state = { done: [] };
      saveProgress(this.slug, this.state);
      this.socket.send({ t: 'lesson-reset' });
      for (const q of root.querySelectorAll('.quiz')) q.quiz.reset();
      this.draw();
    });
    for (const r of root.querySelectorAll('.replay')) new Replay(r);
    for (const q of root.querySelectorAll('.quiz')) q.quiz = new Quiz(q, (step, found) => socket.send({ t: 'quiz', step, found }));
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
        const h = this.root.querySelector('#step-' + CSS.escape(id) + ' .step-title');
        if (!h) return id;
        return [...h.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent).join('').trim();
      });
      const steps = this.root.querySelectorAll('.step').length;
      let text = titles.map((title) => t('lesson.say.done', { step: title })).join(' ');
      text += ' ' + (this.state.done.length >= steps ? t('lesson.say.complete') : tn('lesson.say.left', steps - this.state.done.length));
      announce('lesson-announce', text);
    }
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
  }
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

// Quiz: the student clicks the lines they think are wrong.
class Quiz {
  constructor(root, report) {
    this.root = root;
    this.report = report;
    this.total = Number(root.dataset.mistakes);
    this.status = root.querySelector('.quiz-score');
    for (const b of root.querySelectorAll('.quiz-line')) b.addEventListener('click', () => this.pick(b));
    this.reset();
  }

  reset() {
    this.found = 0;
    this.misses = 0;
    for (const b of this.root.querySelectorAll('.quiz-line')) {
      b.classList.remove('found', 'miss');
      b.removeAttribute('aria-pressed');
      b.nextElementSibling.hidden = true;
    }
    this.update();
  }

  pick(b) {
    if (b.getAttribute('aria-pressed') === 'true') return;
    b.setAttribute('aria-pressed', 'true');
    b.nextElementSibling.hidden = false;
    if (b.dataset.wrong === 'yes') {
      b.classList.add('found');
      this.found++;
      this.report(this.root.dataset.step, this.found);
    } else {
      b.classList.add('miss');
      this.misses++;
    }
    this.update();
  }

  update() {
    this.status.textContent = t('quiz.score', { found: this.found, total: this.total }) + (this.misses ? ' ' + tn('quiz.misses', this.misses) : '');
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
