// Parts of a page brought up to date without a reload: the page is fetched
// again and the elements with the given ids are swapped for their new
// versions. The new markup comes from smtplab's own templates (DOMParser
// runs no script), and the element that had the focus gets it back.

// refresher returns a function that refreshes the parts ids; calls close
// together make one fetch, and a call during a fetch makes one more after.
export function refresher(ids, { delay = 300, onDone } = {}) {
  let timer = null;
  let running = false;
  let again = false;
  const run = async () => {
    timer = null;
    if (running) { again = true; return; }
    running = true;
    try {
      await refreshParts(ids);
      if (onDone) onDone();
    } catch {
      // The next change or the next timer will try again.
    } finally {
      running = false;
      if (again) { again = false; schedule(); }
    }
  };
  const schedule = () => {
    if (timer === null) timer = setTimeout(run, delay);
  };
  return schedule;
}

// refreshParts fetches this page and replaces the elements ids with theirs.
export async function refreshParts(ids) {
  const res = await fetch(location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' }, cache: 'no-store' });
  if (!res.ok) throw new Error('refresh: ' + res.status);
  const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
  const focus = focusPath();
  for (const id of ids) {
    const old = document.getElementById(id);
    const fresh = doc.getElementById(id);
    if (old && fresh) old.replaceWith(document.adoptNode(fresh));
  }
  if (focus) restoreFocus(focus);
}

// focusPath describes the focused element well enough to find its new copy:
// the nearest element with an id or a data-student, and the control in it.
function focusPath() {
  const a = document.activeElement;
  if (!a || a === document.body) return null;
  const anchor = a.closest('[data-student], [id]');
  if (!anchor) return null;
  const sel = anchor.id ? '#' + CSS.escape(anchor.id) : '[data-student="' + CSS.escape(anchor.dataset.student) + '"]';
  const controls = [...anchor.querySelectorAll('a, button, input, select, textarea, [tabindex]')];
  return { sel, index: controls.indexOf(a), wasAnchor: a === anchor };
}

function restoreFocus({ sel, index, wasAnchor }) {
  if (document.activeElement && document.activeElement !== document.body) return;
  const anchor = document.querySelector(sel);
  if (!anchor) return;
  if (wasAnchor) { anchor.focus(); return; }
  const controls = anchor.querySelectorAll('a, button, input, select, textarea, [tabindex]');
  if (index >= 0 && controls[index]) controls[index].focus();
}
