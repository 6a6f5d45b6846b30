// Interface texts, read from the page's JSON block (never executed as code).
const block = document.getElementById('ui-strings');
const strings = block ? JSON.parse(block.textContent) : {};

// t returns the text for key with {name} placeholders filled from args.
export function t(key, args) {
  let s = strings[key];
  if (s === undefined) return key;
  if (args) {
    for (const [k, v] of Object.entries(args)) s = s.split('{' + k + '}').join(String(v));
  }
  return s;
}

export const locale = document.documentElement.lang || 'fr';

// el builds an element with a class, text and attributes; text is always
// set as text, never parsed as HTML.
export function el(tag, cls, text, attrs) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  if (attrs) for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}
