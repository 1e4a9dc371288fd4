// The submitted text with the signals' spans highlighted.
//
// The server reports spans as BYTE offsets into the UTF-8 text (Rust string
// indices); JavaScript strings index UTF-16 code units. One Chinese
// character is 3 bytes but 1 code unit, an emoji 4 bytes but 2 units, so the
// offsets are converted through the text's own UTF-8 encoding.
//
// Spans overlap ("停息" inside "停息挂账"), so the text is cut at every span
// boundary and each piece is marked with all the signals covering it. Each
// mark is focusable and described by a tooltip that explains its signals.

import { h, uid } from './dom.js';
import { t } from './i18n.js';

/**
 * A function from a byte offset in the UTF-8 form of `text` to the index
 * in the JS string (offsets inside a character snap forward to its end).
 */
export function byteToIndex(text) {
  const bytes = new TextEncoder().encode(text);
  const index = new Int32Array(bytes.length + 1).fill(-1);
  let i = 0;
  for (let b = 0; b < bytes.length; b += 1) {
    const x = bytes[b];
    if ((x & 0xc0) === 0x80) continue; // continuation byte: not a character start
    index[b] = i;
    i += x >= 0xf0 ? 2 : 1; // four-byte sequences are surrogate pairs in UTF-16
  }
  index[bytes.length] = i;
  return (offset) => {
    let b = Math.max(0, Math.min(bytes.length, offset | 0));
    while (index[b] < 0) b += 1;
    return index[b];
  };
}

/** How a signal is coloured: fraud cue, legitimate cue or neutral wording. */
export function signalClass(s) {
  const schemes = s.schemes || [];
  if (s.kind === 'legitimate' || (schemes.length && schemes.every((x) => x === 'none'))) return 'sig-legit';
  if (schemes.some((x) => x !== 'none')) return 'sig-fraud';
  return 'sig-neutral';
}

/**
 * The text as a <div> of text nodes and marks. `signals` are the
 * assessment's; those without a span (structured cross-checks) are skipped.
 */
export function highlightedText(text, signals) {
  const at = byteToIndex(text);
  const spans = [];
  signals.forEach((s, n) => {
    if (!s.span) return;
    const start = at(s.span.start);
    const end = at(s.span.end);
    if (end > start) spans.push({ start, end, n, s });
  });
  const cuts = new Set([0, text.length]);
  for (const sp of spans) { cuts.add(sp.start); cuts.add(sp.end); }
  const points = [...cuts].sort((a, b) => a - b);

  // Pieces between cuts, with the signals covering each; neighbours
  // covered by the same signals are joined.
  const pieces = [];
  for (let k = 0; k + 1 < points.length; k += 1) {
    const [a, b] = [points[k], points[k + 1]];
    const cover = spans.filter((sp) => sp.start <= a && sp.end >= b);
    const key = cover.map((sp) => sp.n).join(',');
    const last = pieces[pieces.length - 1];
    if (last && last.key === key) last.end = b;
    else pieces.push({ start: a, end: b, key, cover });
  }

  const box = h('div', { class: 'source-text', attrs: { lang: 'zh-CN' } });
  for (const p of pieces) {
    const part = text.slice(p.start, p.end);
    if (!p.cover.length) {
      box.append(document.createTextNode(part));
      continue;
    }
    box.append(mark(part, p.cover.map((sp) => sp.s), p.cover.map((sp) => sp.n)));
  }
  return box;
}

function mark(part, covering, numbers) {
  const tipId = uid('tip');
  // The strongest signal decides the colour.
  const strongest = covering.reduce((a, b) => (b.weight > a.weight ? b : a));
  const m = h('mark', {
    class: `sig ${signalClass(strongest)}`,
    text: part,
    attrs: { tabindex: '0', 'aria-describedby': tipId },
    // Space-separated signal numbers: the signal list finds a signal's
    // marks with [data-signals~="n"].
    dataset: { signals: numbers.join(' ') },
  });
  const tip = h('span', { class: 'tip', id: tipId, attrs: { role: 'tooltip' } },
    covering.map((s) => h('span', { class: 'tip-item' },
      h('strong', { text: s.label }), ' ', h('span', { text: s.explanation }),
      h('span', { class: 'tip-weight', text: ` (${t('weight')} ${Number(s.weight).toFixed(2)})` }))));
  const wrap = h('span', { class: 'hl' }, m, tip);
  // Keep the tooltip inside the window: narrow screens put marks near the edge.
  const place = () => {
    tip.style.left = '0px';
    const r = tip.getBoundingClientRect();
    const over = r.right - (document.documentElement.clientWidth - 8);
    if (over > 0) tip.style.left = `${-Math.min(over, r.left - 8)}px`;
  };
  m.addEventListener('mouseenter', place);
  m.addEventListener('focus', place);
  m.addEventListener('keydown', (e) => { if (e.key === 'Escape') m.blur(); });
  return wrap;
}
