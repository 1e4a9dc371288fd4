// The queue: recent assessments, filtered by grade, scheme and date, red
// first by default; each opens the full assessment (#/a/ID), or for the
// legal team its report (#/legal/ID).

import { get, query, describe, enc } from './api.js';
import { h, fill, busy, uid, when, percent, loading, errorBox, setText } from './dom.js';
import { t } from './i18n.js';
import { loadSchemes, schemeName } from './names.js';
import { gradeBadge } from './assessment.js';

// Filters survive leaving and re-opening the queue.
const filters = { grades: ['red', 'yellow', 'green'], scheme: '', since: '', order: 'severity', limit: 50 };

/** One assessment summary as a link card. */
export function summaryItem(s, href) {
  return h('li', {},
    h('a', { class: 'queue-item', href, dataset: { id: s.id, grade: s.grade } },
      gradeBadge(s.grade),
      h('span', { class: 'qi-scheme', text: schemeName(s.top_scheme) }),
      h('span', { class: 'qi-role muted', t: `sr_${s.role || 'legitimate'}` }),
      h('span', { class: 'qi-conf muted', text: percent(s.confidence) }),
      h('span', { class: 'qi-excerpt', text: s.excerpt }),
      h('span', { class: 'qi-meta muted' },
        h('span', { t: s.kind === 'application' ? 'kindApplication' : 'kindComplaint' }),
        ` · ${when(s.created_at)} · `,
        h('span', { t: 'signalCount', targs: { n: s.signals } }))));
}

export async function queueView(main, roles) {
  const legalOnly = roles.includes('legal');
  const gradeBoxes = ['red', 'yellow', 'green'].map((g) => {
    const id = uid('g');
    return h('span', { class: 'check' },
      h('input', { type: 'checkbox', id, value: g, checked: filters.grades.includes(g) }),
      h('label', { htmlFor: id, t: `grade_${g}` }));
  });
  const schemeId = uid('scheme');
  const sinceId = uid('since');
  const orderId = uid('order');
  const scheme = h('select', { id: schemeId }, h('option', { value: '', t: 'allSchemes' }));
  const since = h('input', { id: sinceId, type: 'date', value: filters.since });
  const order = h('select', { id: orderId },
    h('option', { value: 'severity', t: 'orderSeverity', selected: filters.order === 'severity' }),
    h('option', { value: 'recent', t: 'orderRecent', selected: filters.order === 'recent' }));
  const refresh = h('button', { type: 'submit', class: 'primary', t: 'applyFilters' });
  const count = h('p', { class: 'muted', attrs: { role: 'status' } });
  const list = h('ol', { class: 'queue' });
  const out = h('div');

  const form = h('form', { class: 'card filters', attrs: { 'aria-label': t('filters') } },
    h('fieldset', { class: 'grades' }, h('legend', { t: 'grade' }), gradeBoxes),
    h('div', { class: 'field' }, h('label', { htmlFor: schemeId, t: 'scheme' }), scheme),
    h('div', { class: 'field' }, h('label', { htmlFor: sinceId, t: 'since' }), since),
    h('div', { class: 'field' }, h('label', { htmlFor: orderId, t: 'order' }), order),
    h('div', { class: 'actions' }, refresh));

  fill(main, h('h2', { t: 'queueTitle' }), form, count, out);

  const load = async () => {
    filters.grades = gradeBoxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
    filters.scheme = scheme.value;
    filters.since = since.value;
    filters.order = order.value;
    fill(out, loading());
    count.textContent = '';
    try {
      const r = await get(`/v1/assessments${query({
        grade: filters.grades.length === 3 ? '' : filters.grades.join(','),
        scheme: filters.scheme,
        since: filters.since,
        order: filters.order,
        limit: filters.limit,
      })}`);
      fill(list, r.items.map((s) => summaryItem(s, legalOnly ? `#/legal/${enc(s.id)}` : `#/a/${enc(s.id)}`)));
      setText(count, 'shownCount', { n: r.count });
      fill(out, r.items.length ? list : h('p', { class: 'muted', t: 'queueEmpty' }));
    } catch (e) {
      fill(out, errorBox(describe(e))); // filters stay as chosen
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!gradeBoxes.some((b) => b.querySelector('input').checked)) {
      fill(out, errorBox({ text: t('pickAGrade') }));
      return;
    }
    busy(refresh, load);
  });

  // Scheme choices: the label set as the server knows it now.
  const ids = await loadSchemes();
  for (const id of [...ids, 'insufficient_evidence']) {
    scheme.append(h('option', { value: id, text: schemeName(id), selected: id === filters.scheme }));
  }
  await busy(refresh, load);
}
