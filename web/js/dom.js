// Building the page out of DOM nodes.
//
// Complaint texts, document texts and even server messages are untrusted,
// so nothing on this page is ever parsed as HTML: every node is created
// here, and every piece of text goes in through textContent / text nodes.

import { t, getLang } from './i18n.js';

let nextId = 0;

/** A fresh id for label/aria wiring. */
export function uid(prefix = 'cg') {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/**
 * h('button', {class: 'primary', t: 'signIn', on: {click: f}}, child, …)
 *
 * props: class, id, text (plain text), t / targs (a dictionary key, kept
 * up to date when the language changes), tattr ({placeholder: key, …}),
 * attrs ({name: value}), dataset, on ({event: handler}), and any property
 * the element has (type, value, hidden, disabled, checked, …).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null) continue;
    switch (k) {
      case 'class': el.className = v; break;
      case 'text': el.textContent = String(v); break;
      case 't': setText(el, v, props.targs); break;
      case 'targs': break;
      case 'tattr': setAttrs(el, v); break;
      case 'attrs': for (const [a, x] of Object.entries(v)) if (x !== undefined && x !== null && x !== false) el.setAttribute(a, x === true ? '' : String(x)); break;
      case 'dataset': Object.assign(el.dataset, v); break;
      case 'on': for (const [ev, f] of Object.entries(v)) el.addEventListener(ev, f); break;
      default: el[k] = v;
    }
  }
  append(el, children);
  return el;
}

/** Append children: nodes, strings (as text), arrays; null/false are skipped. */
export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Replace all children. */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** Translated text that follows language changes (see i18n.applyLang). */
export function setText(el, key, args) {
  el.dataset.i18n = key;
  if (args) el.dataset.i18nArgs = JSON.stringify(args);
  else delete el.dataset.i18nArgs;
  el.textContent = t(key, args);
  return el;
}

/** Translated attributes: {placeholder: key, 'aria-label': key, title: key}. */
export function setAttrs(el, map) {
  el.dataset.i18nAttr = Object.entries(map).map(([a, k]) => `${a}:${k}`).join(';');
  for (const [a, k] of Object.entries(map)) el.setAttribute(a, t(k));
  return el;
}

/**
 * Run `work` while `button` shows it is busy (disabled, spinner,
 * aria-busy); the button comes back whatever happens.
 */
export async function busy(button, work) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.classList.add('busy');
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.classList.remove('busy');
  }
}

/** A loading line for a panel that waits on the server. */
export function loading(key = 'loading') {
  return h('p', { class: 'loading', attrs: { role: 'status' } }, h('span', { class: 'spinner', attrs: { 'aria-hidden': 'true' } }), h('span', { t: key }));
}

/** Format a 0..1 number as a percentage. */
export function percent(x) {
  return `${Math.round((Number(x) || 0) * 1000) / 10}%`;
}

/** A server time (RFC 3339) in the reader's local form. */
export function when(rfc3339) {
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return String(rfc3339 || '');
  return d.toLocaleString(getLang() === 'zh' ? 'zh-CN' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

/**
 * Save a download as a file through a temporary object URL: `body` is a
 * Blob (kept as it came) or text (typed as `type`).
 */
export function saveFile(body, filename, type = 'application/octet-stream') {
  const blob = body instanceof Blob ? body : new Blob([body], { type });
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** An error for the user: {text, detail} from api.describe. */
export function errorBox(d) {
  return h('div', { class: 'error', attrs: { role: 'alert' } },
    h('span', { text: d.text }),
    d.detail ? h('span', { class: 'detail', text: ` (${d.detail})` }) : null);
}
