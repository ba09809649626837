// DOM helpers. Every value is written as text (text nodes, textContent);
// nothing here, or anywhere in the UI, parses data as markup.

// h builds an element: attrs sets attributes (class, href, data-*, …;
// event handlers go through on()), children are nodes or strings (strings
// become text nodes; null and false are skipped; arrays are flattened).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

// append adds children (as h does) to el and returns el.
export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// on adds an event listener and returns the element.
export function on(el, type, fn) {
  el.addEventListener(type, fn);
  return el;
}

// replace empties el and puts children in.
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

// fmtTime shows an RFC 3339 time as local "YYYY-MM-DD HH:MM:SS".
export function fmtTime(s) {
  if (!s) return '';
  const d = new Date(s);
  if (Number.isNaN(d.getTime()) || d.getFullYear() < 2) return '';
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

// badge is a small labelled marker.
export function badge(text, cls, title) {
  return h('span', { class: `badge ${cls || ''}`.trim(), title }, text);
}

// kvList shows [key, value] pairs as a definition list.
export function kvList(pairs, cls) {
  return h('dl', { class: `kv ${cls || ''}`.trim() }, pairs.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}

// tagChips shows a tag map as chips "key=value".
export function tagChips(tags) {
  const keys = Object.keys(tags || {}).sort();
  return h('span', { class: 'chips' }, keys.map((k) => h('span', { class: 'chip', title: `${k}=${tags[k]}` }, `${k}=${tags[k]}`)));
}
