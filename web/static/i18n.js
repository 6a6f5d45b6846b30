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

// tn is the plural form of key for the count n: key.one or key.other, as
// the page language's plural rules pick (in French 0 and 1 are singular),
// with {n} and the other placeholders filled.
const plurals = new Intl.PluralRules(locale);
export function tn(key, n, args) {
  const form = plurals.select(n) === 'one' ? '.one' : '.other';
  const k = strings[key + form] !== undefined ? key + form : key + '.other';
  return t(k, Object.assign({ n }, args || {}));
}

// announce says text once in the live region id (a visually hidden
// role=status): emptied first, so that the same text twice is said twice.
// wire, if given, is protocol text, said after text in English.
export function announce(id, text, wire) {
  const region = document.getElementById(id);
  if (!region) return;
  region.textContent = '';
  clearTimeout(region.announceTimer);
  region.announceTimer = setTimeout(() => {
    region.append(text);
    if (wire) region.append(' ', el('span', '', wire, { lang: 'en' }));
  }, 60);
}

// el builds an element with a class, text and attributes; text is always
// set as text, never parsed as HTML.
export function el(tag, cls, text, attrs) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  if (attrs) for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}
