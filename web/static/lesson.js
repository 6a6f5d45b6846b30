// Lesson steps: ticked as the server reports goals met, remembered in the
// browser so a reload or a return next week resumes where the student was.
import { t } from './i18n.js';

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
      this.draw();
    });
  }

  // progress is the server saying which steps' goals are met.
  progress(m) {
    if (m.lesson !== this.slug) return;
    let changed = false;
    for (const id of m.done || []) {
      if (!this.state.done.includes(id)) { this.state.done.push(id); changed = true; }
    }
    if (changed) {
      saveProgress(this.slug, this.state);
      this.draw();
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
