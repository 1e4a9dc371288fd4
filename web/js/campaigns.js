// Campaigns (团伙线索): complaints and loan applications that the server
// linked by a shared text template or shared identifiers (a WeChat id, a
// phone, an employer…), for handlers, the legal team and admins.
//
// #/campaigns lists them; #/campaigns/ID shows one: its summary, a graph of
// its members and shared identifiers (laid out here by a small seeded
// force-directed layout, so the same campaign always looks the same), the
// member table (each opens its assessment) and the export for police and
// regulator cooperation with its integrity hash (X-Export-SHA256, the same
// for the JSON, CSV and Markdown files of the same campaign state).
//
// Identifiers only ever arrive masked ("lil*********p88"); the page shows
// them as they come, as text, like everything else.

import { get, raw, query, describe, enc } from './api.js';
import { h, fill, busy, uid, when, loading, errorBox, saveFile, setText } from './dom.js';
import { t } from './i18n.js';
import { loadSchemes, schemeName, idKindName } from './names.js';
import { gradeBadge } from './assessment.js';

// The order and minimum size survive leaving and re-opening the list.
const filters = { order: 'recent', minSize: '' };

const GRADES = ['red', 'yellow', 'green'];
const EXPORTS = [
  ['json', 'JSON'],
  ['csv', 'CSV'],
  ['md', 'Markdown'],
];

/** "微信 lil*********p88": kind in the page's language, value masked. */
function idText(kind, masked) {
  return `${idKindName(kind)} ${masked}`;
}

/** An identifier node's text: the server's label is "{kind} {masked}". */
function idNodeText(node) {
  const label = String(node.label || '');
  const space = label.indexOf(' ');
  return node.id_kind && space > 0 ? idText(node.id_kind, label.slice(space + 1)) : label;
}

function kindKey(kind) {
  return kind === 'application' ? 'kindApplication' : 'kindComplaint';
}

// ---------------------------------------------------------------- the list

/** One campaign of the list, as a link card. */
function campaignItem(c) {
  const schemes = (c.schemes || []).slice(0, 3);
  const ids = (c.identifiers || []).slice(0, 3);
  return h('li', {},
    h('a', {
      class: 'campaign-item',
      href: `#/campaigns/${enc(c.id)}`,
      dataset: { id: c.id, size: String(c.size), complaints: String(c.complaints), applications: String(c.applications) },
    },
    h('span', { class: 'ci-head' },
      h('strong', { class: 'ci-size', t: 'cgSize', targs: { n: c.size } }),
      h('span', { class: 'ci-mix', t: 'cgMix', targs: { c: c.complaints, a: c.applications } }),
      h('span', { class: `ci-growth${c.growth?.last_7_days ? ' growing' : ''}`, t: 'cgGrowth', targs: { n: c.growth?.last_7_days || 0 } })),
    h('span', { class: 'ci-line muted' },
      h('span', { class: 'mono', text: c.id }), ' · ',
      h('span', { t: 'cgSpan', targs: { from: when(c.first_seen), to: when(c.last_seen) } })),
    h('span', { class: 'ci-line' },
      h('span', { class: 'muted', t: 'cgSchemes' }), ' ',
      schemes.length
        ? schemes.map((s, i) => [i ? '、' : '', h('span', { t: 'cgSchemeCount', targs: { name: schemeName(s.id), n: s.count } })])
        : h('span', { t: 'nothing' })),
    h('span', { class: 'ci-line' },
      h('span', { class: 'muted', t: 'cgIdentifiers' }), ' ',
      ids.length
        ? ids.map((i) => h('span', { class: 'id-chip', dataset: { kind: i.kind }, t: 'cgIdCount', targs: { what: idText(i.kind, i.masked), n: i.count } }))
        : h('span', { t: 'cgNoIds' }))));
}

async function listView(main) {
  const orderId = uid('cg-order');
  const minId = uid('cg-min');
  const order = h('select', { id: orderId, name: 'order' },
    ['recent', 'size', 'growth'].map((o) => h('option', { value: o, t: `cgOrder_${o}`, selected: filters.order === o })));
  const minSize = h('input', { id: minId, name: 'min_size', type: 'number', min: 2, step: 1, inputMode: 'numeric', value: filters.minSize, tattr: { placeholder: 'cgMinSizeDefault' } });
  const apply = h('button', { type: 'submit', class: 'primary', t: 'applyFilters' });
  const count = h('p', { class: 'muted', attrs: { role: 'status' } });
  const out = h('div', { class: 'campaign-list', attrs: { 'aria-live': 'polite' } });
  const form = h('form', { class: 'card filters campaign-filters', attrs: { 'aria-label': t('filters') } },
    h('div', { class: 'field' }, h('label', { htmlFor: orderId, t: 'order' }), order),
    h('div', { class: 'field' }, h('label', { htmlFor: minId, t: 'cgMinSize' }), minSize),
    h('div', { class: 'actions' }, apply));

  fill(main, h('h2', { t: 'campaignsTitle' }), h('p', { class: 'hint', t: 'campaignsHint' }), form, count, out);

  const load = async () => {
    filters.order = order.value;
    filters.minSize = minSize.value.trim();
    fill(out, loading('loadingCampaigns'));
    count.textContent = '';
    try {
      const r = await get(`/v1/campaigns${query({ order: filters.order, min_size: filters.minSize, limit: 200 })}`);
      setText(count, 'cgCount', { n: r.count, total: r.total });
      fill(out, r.items.length
        ? h('ol', { class: 'campaigns' }, r.items.map(campaignItem))
        : h('p', { class: 'muted empty', t: 'cgEmpty' }));
    } catch (e) {
      fill(out, errorBox(describe(e)));
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const n = minSize.value.trim();
    if (n !== '' && !(Number.isInteger(Number(n)) && Number(n) >= 2)) {
      fill(out, errorBox({ text: t('cgMinSizeBad') }));
      minSize.focus();
      return;
    }
    busy(apply, load);
  });
  order.addEventListener('change', () => form.requestSubmit());

  await loadSchemes(); // scheme names for the cards
  await busy(apply, load);
}

// --------------------------------------------------------------- the graph

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element; text children become text nodes (never markup). */
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null && v !== false) el.setAttribute(k, String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** A small seeded random generator (mulberry32): the same layout every time. */
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const MAX_NODES = 500;
const SEED = 20240917;

/**
 * Fruchterman–Reingold: every pair repels, every edge pulls, a weak pull to
 * the centre keeps separate parts together; the step shrinks as it cools.
 * Nodes start on a sunflower spiral (their order) with seeded jitter, so
 * the same graph is always drawn the same way. Returns [{x, y}] fitted to
 * the box inside the margins.
 */
export function forceLayout(n, links, { width, height, margin = { x: 40, y: 40 }, seed = SEED } = {}) {
  const rand = seeded(seed);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const cx = width / 2;
  const cy = height / 2;
  const spread = Math.min(width, height) * 0.45;
  for (let i = 0; i < n; i += 1) {
    const a = i * 2.399963229728653; // the golden angle
    const r = spread * Math.sqrt((i + 0.5) / Math.max(n, 1));
    x[i] = cx + r * Math.cos(a) + (rand() - 0.5) * 8;
    y[i] = cy + r * Math.sin(a) + (rand() - 0.5) * 8;
  }
  if (n === 0) return [];
  if (n === 1) return [{ x: cx, y: cy }];
  const k = Math.sqrt((width * height) / n) * 0.55;
  const k2 = k * k;
  const far2 = 4 * k2;
  const aspect = Math.min(1, height / width);
  const iterations = n > 250 ? 160 : 300;
  const dx = new Float64Array(n);
  const dy = new Float64Array(n);
  let temp = width / 6;
  const cool = (0.5 / temp) ** (1 / iterations); // down to half a unit
  for (let it = 0; it < iterations; it += 1) {
    dx.fill(0);
    dy.fill(0);
    for (let i = 0; i < n; i += 1) {
      for (let j = i + 1; j < n; j += 1) {
        let ex = x[i] - x[j];
        let ey = y[i] - y[j];
        let d2 = ex * ex + ey * ey;
        if (d2 < 0.01) { // on top of each other: push apart in a seeded direction
          ex = rand() - 0.5;
          ey = rand() - 0.5;
          d2 = 0.01;
        }
        // k²/d along the unit vector, fading beyond 2k so that separate
        // parts do not drift apart (the pull to the centre holds them).
        const f = d2 < far2 ? k2 / d2 : (k2 / d2) * (far2 / d2);
        dx[i] += ex * f; dy[i] += ey * f;
        dx[j] -= ex * f; dy[j] -= ey * f;
      }
    }
    for (const [a, b, strength] of links) {
      const ex = x[a] - x[b];
      const ey = y[a] - y[b];
      const d = Math.sqrt(ex * ex + ey * ey) || 0.1;
      const f = (d / k) * strength; // d²/k along the unit vector
      dx[a] -= ex * f; dy[a] -= ey * f;
      dx[b] += ex * f; dy[b] += ey * f;
    }
    for (let i = 0; i < n; i += 1) {
      dx[i] += (cx - x[i]) * 0.06 * aspect; // weaker sideways: the box is wide
      dy[i] += (cy - y[i]) * 0.06;
      const len = Math.sqrt(dx[i] * dx[i] + dy[i] * dy[i]);
      if (len > 0) {
        const step = Math.min(len, temp) / len;
        x[i] += dx[i] * step;
        y[i] += dy[i] * step;
      }
    }
    temp *= cool;
  }
  // Fit into the box, the same scale both ways.
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < n; i += 1) {
    x0 = Math.min(x0, x[i]); x1 = Math.max(x1, x[i]);
    y0 = Math.min(y0, y[i]); y1 = Math.max(y1, y[i]);
  }
  const w = width - 2 * margin.x;
  const hh = height - 2 * margin.y;
  const scale = Math.min(w / Math.max(x1 - x0, 1), hh / Math.max(y1 - y0, 1));
  const ox = margin.x + (w - (x1 - x0) * scale) / 2;
  const oy = margin.y + (hh - (y1 - y0) * scale) / 2;
  return Array.from({ length: n }, (_, i) => ({ x: ox + (x[i] - x0) * scale, y: oy + (y[i] - y0) * scale }));
}

/** Roughly how wide `text` is at `size` px (CJK full width, Latin about half). */
function textWidth(text, size) {
  let w = 0;
  for (const ch of text) w += /[\u2e80-\u9fff\uff00-\uffef]/.test(ch) ? size : size * 0.62;
  return w;
}

const GRADE_FILL = { red: '#b71c1c', yellow: '#f2b705', green: '#2e7d32' };

/**
 * The graph of detail `d`: an <svg> scaled by its viewBox, with `onItem(id)`
 * called when a member node is activated. Returns {svg, capped, shown}.
 */
function campaignGraph(d, numbers, onItem) {
  const members = new Map((d.members || []).map((m) => [m.id, m]));
  let items = (d.nodes || []).filter((n) => n.type === 'item');
  // Identifier nodes in a stable order (kind, masked text), not by hash.
  let ids = (d.nodes || []).filter((n) => n.type === 'identifier')
    .sort((a, b) => String(a.id_kind).localeCompare(String(b.id_kind)) || String(a.label).localeCompare(String(b.label)) || String(a.id).localeCompare(String(b.id)));
  const total = items.length + ids.length;
  if (total > MAX_NODES) {
    ids = ids.slice(0, Math.min(ids.length, Math.floor(MAX_NODES / 5)));
    items = items.slice(0, MAX_NODES - ids.length); // the server lists the newest first
  }
  const nodes = [...items, ...ids];
  const at = new Map(nodes.map((n, i) => [n.id, i]));

  // Edges between shown nodes, once per pair and reason.
  const seen = new Set();
  const edges = [];
  for (const e of d.edges || []) {
    if (!at.has(e.from) || !at.has(e.to) || e.from === e.to) continue;
    const pair = [e.from, e.to].sort().join('\u0000');
    const key = `${e.reason}\u0000${pair}`;
    if (seen.has(key)) continue;
    seen.add(key);
    edges.push(e);
  }
  const degree = new Map();
  for (const e of edges) {
    degree.set(e.from, (degree.get(e.from) || 0) + 1);
    degree.set(e.to, (degree.get(e.to) || 0) + 1);
  }

  const small = nodes.length <= 40;
  // Drawn at about the size it is shown (text stays readable on narrow
  // screens); the viewBox scales it to its container from then on.
  const avail = document.getElementById('main')?.clientWidth || 1000;
  const width = Math.round(Math.max(560, Math.min(960, avail - 90)));
  const height = Math.round(width * (nodes.length <= 20 ? 0.55 : nodes.length <= 120 ? 0.7 : 0.9));
  const fontSize = small ? 14 : nodes.length <= 150 ? 10 : 8;
  const r = small ? 14 : nodes.length <= 150 ? 9 : 6;
  const idText0 = ids.map(idNodeText);
  const widest = Math.max(40, ...idText0.map((s0) => textWidth(s0, fontSize) + 16));
  const pos = forceLayout(nodes.length, edges.map((e) => [at.get(e.from), at.get(e.to), e.reason === 'template' ? 0.8 : 1]), {
    width, height, margin: { x: Math.min(widest / 2 + 8, 200), y: 36 },
  });
  const idLabel = new Map(ids.map((n, i) => [n.id, idText0[i]]));

  const edgeLabel = (e) => {
    if (e.reason === 'template' && e.similarity !== undefined && e.similarity !== null) {
      return t('cgEdgeTemplate', { s: Number(e.similarity).toFixed(2) });
    }
    if (e.reason === 'identifier') {
      const idNode = idLabel.get(e.to) || idLabel.get(e.from);
      if (idNode) return t('cgEdgeShared', { what: idNode });
    }
    return String(e.label || '');
  };
  const focusable = edges.length <= 150;
  const edgeEls = new Map(nodes.map((n) => [n.id, []]));
  const edgeLayer = s('g', { class: 'edges' });
  for (const e of edges) {
    const a = pos[at.get(e.from)];
    const b = pos[at.get(e.to)];
    const label = edgeLabel(e);
    // Identifier edges meet at their identifier: their labels sit nearer
    // the member, so that they do not pile up there.
    const at0 = e.reason === 'identifier' ? (idLabel.has(e.to) ? 0.4 : 0.6) : 0.5;
    const lx = a.x + (b.x - a.x) * at0;
    const ly = a.y + (b.y - a.y) * at0;
    const g = s('g', {
      class: `edge edge-${e.reason === 'template' ? 'template' : 'identifier'}`,
      tabindex: focusable ? '0' : null,
      'aria-label': label,
      'data-from': e.from,
      'data-to': e.to,
      'data-reason': e.reason,
    },
    s('title', {}, label),
    s('line', { class: 'edge-hit', x1: a.x, y1: a.y, x2: b.x, y2: b.y }),
    s('line', { class: 'edge-line', x1: a.x, y1: a.y, x2: b.x, y2: b.y }),
    s('text', { class: 'edge-label', x: lx, y: ly - 4, 'text-anchor': 'middle', 'font-size': fontSize - 2 }, label));
    edgeEls.get(e.from).push(g);
    edgeEls.get(e.to).push(g);
    edgeLayer.append(g);
  }

  const nodeLayer = s('g', { class: 'nodes' });
  const nodeEls = new Map();
  nodes.forEach((n, i) => {
    const p = pos[i];
    let g;
    if (n.type === 'item') {
      const m = members.get(n.id);
      const kind = n.channel || m?.kind || 'complaint';
      const grade = n.grade || m?.grade || 'yellow';
      const no = numbers.get(n.id);
      const title = [
        no ? `${no}.` : '', t(kindKey(kind)), n.id, '·', t(`grade_${grade}`),
        m ? `· ${schemeName(m.top_scheme)}` : '',
      ].filter(Boolean).join(' ');
      const shape = kind === 'application'
        ? s('polygon', { class: 'shape', points: `${p.x},${p.y - r * 1.3} ${p.x + r * 1.3},${p.y} ${p.x},${p.y + r * 1.3} ${p.x - r * 1.3},${p.y}`, fill: GRADE_FILL[grade] || '#8d99a8' })
        : s('circle', { class: 'shape', cx: p.x, cy: p.y, r, fill: GRADE_FILL[grade] || '#8d99a8' });
      g = s('g', {
        class: `node node-item node-${kind === 'application' ? 'application' : 'complaint'} grade-${grade}`,
        tabindex: '0',
        role: 'button',
        'aria-label': title,
        'data-id': n.id,
        'data-kind': kind,
        'data-grade': grade,
      },
      s('title', {}, title),
      shape,
      no && r >= 9 ? s('text', { class: 'node-no', x: p.x, y: p.y, 'text-anchor': 'middle', 'dominant-baseline': 'central', 'font-size': r >= 14 ? 12 : 9 }, String(no)) : null);
      const activate = () => onItem(n.id);
      g.addEventListener('click', activate);
      g.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') {
          ev.preventDefault();
          activate();
        }
      });
    } else {
      const text = idLabel.get(n.id);
      const w = textWidth(text, fontSize) + 14;
      const hgt = fontSize + 10;
      const title = `${text} · ${t('cgIdShared', { n: degree.get(n.id) || 0 })}`;
      g = s('g', {
        class: 'node node-identifier',
        tabindex: '0',
        role: 'img',
        'aria-label': title,
        'data-id': n.id,
        'data-kind': n.id_kind || '',
      },
      s('title', {}, title),
      s('rect', { class: 'shape', x: p.x - w / 2, y: p.y - hgt / 2, width: w, height: hgt, rx: 6, ry: 6 }),
      s('text', { class: 'node-label', x: p.x, y: p.y, 'text-anchor': 'middle', 'dominant-baseline': 'central', 'font-size': fontSize }, text));
    }
    nodeEls.set(n.id, g);
    nodeLayer.append(g);
  });

  const svg = s('svg', {
    class: `cg-graph${edges.length <= 14 ? ' show-labels' : ''}`,
    viewBox: `0 0 ${width} ${height}`,
    preserveAspectRatio: 'xMidYMid meet',
    role: 'group',
    'aria-label': t('cgGraphLabel', { items: items.length, ids: ids.length, edges: edges.length }),
    'data-nodes': nodes.length,
    'data-edges': edges.length,
  }, edgeLayer, nodeLayer);

  // Hover or focus on a node lights up its edges and their labels; on an
  // edge, the edge and its two ends.
  const light = (els, on) => {
    svg.classList.toggle('focusing', on);
    for (const el of els) el.classList.toggle('hot', on);
  };
  for (const [id, g] of nodeEls) {
    const around = () => [g, ...edgeEls.get(id), ...edgeEls.get(id).flatMap((e) => [nodeEls.get(e.dataset.from), nodeEls.get(e.dataset.to)])];
    for (const [ev, on] of [['mouseenter', true], ['focus', true], ['mouseleave', false], ['blur', false]]) {
      g.addEventListener(ev, () => light(around(), on));
    }
  }
  for (const g of edgeLayer.children) {
    const around = () => [g, nodeEls.get(g.dataset.from), nodeEls.get(g.dataset.to)];
    for (const [ev, on] of [['mouseenter', true], ['focus', true], ['mouseleave', false], ['blur', false]]) {
      g.addEventListener(ev, () => light(around(), on));
    }
  }
  return { svg, capped: total > MAX_NODES, shown: nodes.length };
}

/** The graph's legend: shapes, colours and line styles in words. */
function legend() {
  const swatch = (...children) => s('svg', { class: 'swatch', viewBox: '0 0 28 18', width: 28, height: 18, 'aria-hidden': 'true' }, ...children);
  const item = (sw, key) => h('li', {}, sw, ' ', h('span', { t: key }));
  return h('ul', { class: 'cg-legend' },
    item(swatch(s('circle', { cx: 14, cy: 9, r: 7, class: 'lg-item' })), 'kindComplaint'),
    item(swatch(s('polygon', { points: '14,0 23,9 14,18 5,9', class: 'lg-item' })), 'kindApplication'),
    item(swatch(s('rect', { x: 2, y: 3, width: 24, height: 12, rx: 4, ry: 4, class: 'lg-id' })), 'cgLegendIdentifier'),
    GRADES.map((g) => item(swatch(s('circle', { cx: 14, cy: 9, r: 7, fill: GRADE_FILL[g] })), `grade_${g}`)),
    item(swatch(s('line', { x1: 1, y1: 9, x2: 27, y2: 9, class: 'lg-template' })), 'cgLegendTemplate'),
    item(swatch(s('line', { x1: 1, y1: 9, x2: 27, y2: 9, class: 'lg-identifier' })), 'cgLegendIdEdge'));
}

// -------------------------------------------------------------- the detail

/** Fetch one export: {blob, hash, filename}. */
async function fetchExport(id, format) {
  const resp = await raw('GET', `/v1/campaigns/${enc(id)}/export${query({ format })}`);
  const named = /filename="([^"]+)"/.exec(resp.headers.get('Content-Disposition') || '');
  return {
    blob: await resp.blob(),
    hash: resp.headers.get('X-Export-SHA256') || '',
    filename: named ? named[1] : `caseguard-campaign-${id}.${format}`,
  };
}

function stat(key, value) {
  return [h('dt', { t: key }), h('dd', {}, value)];
}

async function detailView(main, id) {
  const back = h('p', {}, h('a', { href: '#/campaigns', t: 'backToCampaigns' }));
  fill(main, back, loading('loadingCampaign'));
  let d;
  try {
    await loadSchemes();
    d = await get(`/v1/campaigns/${enc(id)}`);
  } catch (e) {
    fill(main, back, h('h2', { t: 'cgTitle', targs: { id } }), errorBox(describe(e)));
    return;
  }
  const c = d.campaign;
  const members = d.members || [];
  const numbers = new Map(members.map((m, i) => [m.id, i + 1]));

  // ---- summary
  const summary = h('section', { class: 'card cg-summary', attrs: { 'aria-labelledby': 'cg-summary-title' } },
    h('h3', { id: 'cg-summary-title', t: 'cgSummary' }),
    h('dl', { class: 'meta-list' },
      stat('cgSizeLabel', h('span', { t: 'cgSizeMix', targs: { n: c.size, c: c.complaints, a: c.applications } })),
      stat('cgSpanLabel', h('span', { t: 'cgSpan', targs: { from: when(c.first_seen), to: when(c.last_seen) } })),
      stat('cgGradesLabel', h('span', { class: 'cg-grades' }, GRADES.map((g) => [gradeBadge(g), h('span', { class: 'cg-grade-n', text: ` ${c.grades?.[g] || 0} ` })]))),
      stat('cgSchemes', (c.schemes || []).length
        ? h('span', {}, c.schemes.map((x, i) => [i ? '、' : '', h('span', { t: 'cgSchemeCount', targs: { name: schemeName(x.id), n: x.count } })]))
        : h('span', { t: 'nothing' })),
      stat('cgIdentifiers', (c.identifiers || []).length
        ? h('span', {}, c.identifiers.map((i) => h('span', { class: 'id-chip', dataset: { kind: i.kind }, t: 'cgIdCount', targs: { what: idText(i.kind, i.masked), n: i.count } })))
        : h('span', { t: 'cgNoIds' })),
      stat('cgLinksLabel', h('span', { t: 'cgLinks', targs: { t: c.template_links, i: c.identifier_links } })),
      stat('cgGrowthLabel', h('span', { t: 'cgGrowthBoth', targs: { a: c.growth?.last_7_days || 0, b: c.growth?.previous_7_days || 0 } }))),
    d.truncated ? h('p', { class: 'muted', t: 'cgTruncated', targs: { n: members.length } }) : null);

  // ---- member table
  const rows = new Map();
  const table = h('table', { class: 'members' },
    h('thead', {}, h('tr', {}, ['colNo', 'colId', 'colMaterial', 'colTime', 'grade', 'scheme', 'colExcerpt'].map((k) => h('th', { t: k, attrs: { scope: 'col' } })))),
    h('tbody', {}, members.map((m, i) => {
      const row = h('tr', { id: `cg-m-${m.id}`, dataset: { id: m.id, kind: m.kind }, attrs: { tabindex: '-1' } },
        h('td', { class: 'num', text: String(i + 1) }),
        h('td', {}, h('a', { class: 'mono member-link', href: `#/a/${enc(m.id)}`, text: m.id })),
        h('td', { t: kindKey(m.kind) }),
        h('td', { class: 'time', text: when(m.created_at) }),
        h('td', {}, gradeBadge(m.grade)),
        h('td', { text: schemeName(m.top_scheme) }),
        h('td', { class: 'excerpt', text: m.excerpt || '' }));
      rows.set(m.id, row);
      return row;
    })));
  const membersCard = h('section', { class: 'card', attrs: { 'aria-labelledby': 'cg-members-title' } },
    h('h3', { id: 'cg-members-title', t: 'cgMembers' }),
    h('p', { class: 'hint', t: 'cgMembersHint' }),
    members.length ? h('div', { class: 'table-wrap' }, table) : h('p', { class: 'muted', t: 'nothing' }));

  // ---- graph: a member node jumps to its row
  const toRow = (mid) => {
    const row = rows.get(mid);
    if (!row) return;
    row.scrollIntoView({ block: 'center', behavior: 'smooth' });
    row.focus({ preventScroll: true });
    row.classList.add('flash');
    setTimeout(() => row.classList.remove('flash'), 1500);
  };
  const graph = campaignGraph(d, numbers, toRow);
  const labelsId = uid('cg-labels');
  const labelsBox = h('input', { type: 'checkbox', id: labelsId, checked: graph.svg.classList.contains('show-labels') });
  labelsBox.addEventListener('change', () => graph.svg.classList.toggle('show-labels', labelsBox.checked));
  const graphCard = h('section', { class: 'card cg-graph-card', attrs: { 'aria-labelledby': 'cg-graph-title' } },
    h('h3', { id: 'cg-graph-title', t: 'cgGraph' }),
    h('p', { class: 'hint', t: 'cgGraphHint' }),
    legend(),
    h('p', { class: 'check' }, labelsBox, h('label', { htmlFor: labelsId, t: 'cgShowLabels' })),
    graph.capped ? h('p', { class: 'muted', t: 'cgGraphCapped', targs: { n: graph.shown } }) : null,
    h('div', { class: 'cg-graph-wrap' }, graph.svg));

  // ---- export with its integrity hash
  // The hash an export of this state will carry (the server computes it);
  // each download then shows its own file's hash.
  const hash = d.export_sha256
    ? h('code', { id: 'campaign-hash', class: 'hash', text: d.export_sha256, dataset: { expected: d.export_sha256 } })
    : h('code', { id: 'campaign-hash', class: 'hash', t: 'cgHashPending' });
  const message = h('div', { attrs: { 'aria-live': 'polite' } });
  const log = h('ul', { class: 'export-log' });
  const logTitle = h('h4', { t: 'exports', hidden: true });
  const downloads = EXPORTS.map(([format, label]) => {
    const b = h('button', { type: 'button', class: 'primary', dataset: { format }, t: 'downloadAs', targs: { format: label } });
    b.addEventListener('click', () => busy(b, async () => {
      fill(message);
      try {
        const r = await fetchExport(c.id, format);
        saveFile(r.blob, r.filename);
        delete hash.dataset.i18n; // the hash is not a dictionary text any more
        hash.textContent = r.hash;
        hash.dataset.hash = r.hash;
        logTitle.hidden = false;
        log.prepend(h('li', {}, h('span', { text: `${when(new Date().toISOString())} · ${r.filename} · SHA-256 ` }), h('code', { class: 'hash', text: r.hash })));
      } catch (e) {
        fill(message, errorBox(describe(e)));
      }
    }));
    return b;
  });
  const exportCard = h('section', { class: 'card', attrs: { 'aria-labelledby': 'cg-export-title' } },
    h('h3', { id: 'cg-export-title', t: 'cgExport' }),
    h('p', { class: 'hint', t: 'cgExportHint' }),
    h('p', {}, h('span', { t: 'hashLabel' }), ' ', hash),
    h('div', { class: 'actions' }, downloads),
    message, logTitle, log);

  fill(main, back,
    h('h2', { t: 'cgTitle', targs: { id: c.id } }),
    h('div', { class: 'campaign', dataset: { id: c.id, size: String(c.size) } },
      summary, graphCard, membersCard, exportCard));
}

/** #/campaigns and #/campaigns/ID. */
export function campaignsView(main, id) {
  return id ? detailView(main, id) : listView(main);
}
