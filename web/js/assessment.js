// One assessment, as complaint handlers and lawyers read it: the grade,
// the schemes with their confidence, the text with the signals marked, the
// reasons, the similar cases and cited knowledge, the evidence chain, the
// LLM draft and (for handlers) the feedback buttons.

import { get, enc, describe } from './api.js';
import { h, fill, uid, percent, when, loading, errorBox } from './dom.js';
import { t } from './i18n.js';
import { learn, schemeName, ID_KINDS } from './names.js';
import { highlightedText, signalClass } from './highlight.js';
import { draftPanel } from './draft.js';
import { feedbackPanel } from './feedback.js';

/** The grade as a coloured badge with words (colour is never the only cue). */
export function gradeBadge(grade, big = false) {
  return h('span', {
    class: `grade-badge grade-${grade}${big ? ' big' : ''}`,
    t: `grade_${grade}`,
    dataset: { grade },
  });
}

function schemeBars(a) {
  const list = h('ul', { class: 'scheme-bars' });
  for (const s of a.schemes || []) {
    const id = uid('bar');
    const bar = h('span', { class: 'bar-fill' });
    bar.style.width = percent(s.confidence); // CSSOM, not a style attribute: allowed by the CSP
    list.append(h('li', { class: s.id === a.top_scheme ? 'leading' : '' },
      h('span', { class: 'bar-label', id, text: s.name || schemeName(s.id) }),
      h('span', {
        class: 'bar',
        attrs: { role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(Math.round(s.confidence * 100)), 'aria-labelledby': id },
      }, bar),
      h('span', { class: 'bar-value', text: percent(s.confidence) })));
  }
  return list;
}

/** "该件属于团伙线索 c…（7 件）", linking to the campaign. */
function campaignNotice(c) {
  return h('p', { class: 'campaign-notice', attrs: { role: 'note' }, dataset: { campaign: c.id } },
    h('a', { href: `#/campaigns/${enc(c.id)}`, t: 'campaignNotice', targs: { id: c.id, size: c.size } }));
}

/** What a campaign signal's field ("campaign.wechat") says was shared. */
function campaignBasis(field) {
  const what = String(field || '').replace(/^campaign\./, '');
  if (what === 'template') return { key: 'cgBasisTemplate' };
  return ID_KINDS.includes(what) ? { key: `idk_${what}` } : what;
}

function section(titleKey, ...body) {
  return h('section', { class: 'card' }, h('h3', { t: titleKey }), ...body);
}

/** A <details> for a labelled example that loads its text when opened. */
function similarItem(n) {
  const body = h('div', { class: 'doc-text' });
  const d = h('details', { class: 'cite' },
    h('summary', {},
      h('span', { class: 'cite-title', text: n.title || n.doc_id }),
      h('span', { class: 'muted', text: ` · ${(n.schemes || []).map(schemeName).join('、')} · ${t('similarity')} ${Number(n.similarity).toFixed(2)}` })),
    body);
  let loaded = false;
  d.addEventListener('toggle', async () => {
    if (!d.open || loaded) return;
    loaded = true;
    fill(body, loading());
    try {
      const doc = await get(`/v1/kb/documents/${enc(n.doc_id)}`);
      fill(body, (doc.chunks || []).map((c) => h('p', { text: c.text })));
    } catch (e) {
      loaded = false;
      fill(body, h('p', { class: 'error', text: describe(e).text }));
    }
  });
  return d;
}

/**
 * Render assessment `a` (a stored assessment, with `draft` and `feedback`
 * when read back). `roles` decides the draft, feedback and report parts.
 */
export function renderAssessment(a, roles) {
  learn(a.schemes);
  const can = (...r) => roles.includes('admin') || r.some((x) => roles.includes(x));
  const p = uid('as'); // prefix for the ids chips jump to
  const factsById = new Map((a.evidence?.facts || []).map((f) => [f.id, f]));
  const doubtsById = new Map((a.evidence?.doubts || []).map((d) => [d.id, d]));
  const citesById = new Map((a.citations || []).map((c) => [c.id, c]));

  // A chip for F1 / D1 / K1: jumps to the fact, doubt or citation.
  const chip = (id) => {
    const what = factsById.get(id)?.value || doubtsById.get(id)?.statement || citesById.get(id)?.title || '';
    return h('button', {
      type: 'button',
      class: `chip chip-${id[0]}`,
      text: id,
      title: what,
      attrs: { 'aria-label': `${id} ${what}` },
      on: {
        click: () => {
          const target = document.getElementById(`${p}-${id}`);
          if (!target) return;
          if (target.tagName === 'DETAILS') target.open = true;
          target.scrollIntoView({ block: 'center', behavior: 'smooth' });
          target.focus({ preventScroll: true });
          target.classList.add('flash');
          setTimeout(() => target.classList.remove('flash'), 1500);
        },
      },
    });
  };

  // ---- summary: badge, scheme, confidence bars
  const top = (a.schemes || []).find((s) => s.id === a.top_scheme);
  const summary = h('section', { class: 'card summary', attrs: { 'aria-label': t('result') } },
    h('div', { class: 'summary-head' },
      gradeBadge(a.grade, true),
      h('div', {},
        h('p', { class: 'top-scheme', text: top?.name || schemeName(a.top_scheme) }),
        h('p', { class: 'submitter-role', dataset: { role: a.role || 'legitimate' } },
          h('span', { t: 'submitterRole' }), '：',
          h('strong', { t: `sr_${a.role || 'legitimate'}` }),
          a.role_confidence ? h('span', { class: 'muted', text: ` ${percent(a.role_confidence)}` }) : null),
        h('p', { class: 'muted meta' },
          h('span', { t: a.kind === 'application' ? 'kindApplication' : 'kindComplaint' }),
          ` · ${when(a.created_at)} · `,
          h('a', { href: `#/a/${enc(a.id)}`, text: a.id, class: 'mono' })))),
    a.campaign ? campaignNotice(a.campaign) : null,
    h('h3', { t: 'schemes' }),
    schemeBars(a),
    can('legal') ? h('p', {}, h('a', { class: 'button', href: `#/legal/${enc(a.id)}`, t: 'openReport' })) : null);

  // ---- the text with the signals, and the signal list
  const signals = a.signals || [];
  const textBox = highlightedText(a.text || '', signals);
  const sigList = h('ul', { class: 'signal-list' });
  signals.forEach((s, n) => {
    let where;
    if (s.span) {
      where = h('button', {
        type: 'button', class: 'link', t: 'showInText',
        on: { click: () => textBox.querySelector(`mark[data-signals~="${n}"]`)?.focus() },
      });
    } else if (s.kind === 'campaign') {
      // Links to earlier submissions: what was shared, and the campaign.
      where = h('span', { class: 'muted' },
        h('span', { t: 'cgSignalBasis', targs: { what: campaignBasis(s.field) } }),
        a.campaign ? [' ', h('a', { href: `#/campaigns/${enc(a.campaign.id)}`, t: 'cgOpenCampaign' })] : null);
    } else {
      where = h('span', { class: 'muted', text: s.field ? `${t('fields')}: ${s.field.split(',').map((f) => t(`ap_${f.trim()}`)).join('、')}` : '' });
    }
    sigList.append(h('li', { class: `${signalClass(s)}${s.kind === 'campaign' ? ' campaign-signal' : ''}` },
      h('span', { class: 'dot', attrs: { 'aria-hidden': 'true' } }),
      h('strong', { text: s.label }), ' ',
      h('span', { text: s.explanation }), ' ',
      h('span', { class: 'muted', text: `${t('weight')} ${Number(s.weight).toFixed(2)} ` }), where));
  });
  const textCard = section('textAndSignals',
    h('p', { class: 'legend' },
      h('mark', { class: 'sig sig-fraud', t: 'legendFraud' }), ' ',
      h('mark', { class: 'sig sig-neutral', t: 'legendNeutral' }), ' ',
      h('mark', { class: 'sig sig-legit', t: 'legendLegit' }), ' ',
      h('span', { class: 'muted', t: 'legendHint' })),
    textBox,
    signals.length ? sigList : h('p', { class: 'muted', t: 'noSignals' }));

  // ---- reasons
  const reasons = section('reasons', h('ul', { class: 'reasons' }, (a.reasons || []).map((r) => h('li', { text: r }))));

  // ---- similar cases and cited knowledge
  const cites = h('div', { class: 'cites' });
  for (const c of a.citations || []) {
    cites.append(h('details', { class: 'cite', id: `${p}-${c.id}`, attrs: { tabindex: '-1' } },
      h('summary', {},
        h('span', { class: 'chip chip-K', text: c.id }), ' ',
        h('span', { class: `kind kind-${c.kind}`, t: `doc_${c.kind}` }), ' ',
        h('span', { class: 'cite-title', text: c.title })),
      h('blockquote', { text: c.excerpt }),
      h('p', { class: 'muted' }, `${t('document')}: `, h('span', { class: 'mono', text: c.doc_id }),
        ` · ${t('relevance')} ${Number(c.score).toFixed(3)}`)));
  }
  const similar = h('div', { class: 'cites' }, (a.similar || []).map(similarItem));
  const knowledge = section('similarAndRules',
    h('h4', { t: 'citedKnowledge' }), (a.citations || []).length ? cites : h('p', { class: 'muted', t: 'nothing' }),
    h('h4', { t: 'similarExamples' }), (a.similar || []).length ? similar : h('p', { class: 'muted', t: 'nothing' }));

  // ---- evidence chain: facts and doubts
  const facts = h('table', { class: 'facts' },
    h('thead', {}, h('tr', {}, ['colId', 'colKind', 'colValue', 'colNormalized'].map((k) => h('th', { t: k, attrs: { scope: 'col' } })))),
    h('tbody', {}, (a.evidence?.facts || []).map((f) => h('tr', { id: `${p}-${f.id}`, attrs: { tabindex: '-1' } },
      h('td', { class: 'mono', text: f.id }),
      h('td', { t: `fact_${f.kind}` }),
      h('td', { text: f.value }),
      h('td', { text: f.normalized || '' })))));
  const doubts = h('ol', { class: 'doubts' }, (a.evidence?.doubts || []).map((d) => h('li', { id: `${p}-${d.id}`, attrs: { tabindex: '-1' } },
    h('span', { class: 'chip chip-D', text: d.id }), ' ',
    h('span', { text: d.statement }),
    h('div', { class: 'links' },
      d.fact_ids?.length ? [h('span', { class: 'muted', t: 'facts' }), ': ', d.fact_ids.map(chip)] : null,
      d.citation_ids?.length ? [' ', h('span', { class: 'muted', t: 'basis' }), ': ', d.citation_ids.map(chip)] : null))));
  const chain = section('evidenceChain',
    h('h4', { t: 'facts' }),
    (a.evidence?.facts || []).length ? h('div', { class: 'table-wrap' }, facts) : h('p', { class: 'muted', t: 'nothing' }),
    h('h4', { t: 'doubts' }),
    (a.evidence?.doubts || []).length ? doubts : h('p', { class: 'muted', t: 'nothing' }));

  return h('div', { class: 'assessment', dataset: { id: a.id, grade: a.grade } },
    summary,
    textCard,
    reasons,
    can('handler', 'legal') ? draftPanel(a.id, a.draft, chip) : null,
    chain,
    knowledge,
    can('handler') ? feedbackPanel(a, a.feedback || []) : null,
    h('p', { class: 'muted small' }, `${t('versions')}: caseguard ${a.versions?.caseguard || ''} · ${t('knowledgeBase')} ${a.versions?.knowledge_base || ''} · ${Math.round(a.timings?.total_ms || 0)} ms`));
}

/** The assessment view (#/a/ID): fetch and render. */
export async function assessmentView(main, id, roles) {
  fill(main, h('p', {}, h('a', { href: '#/queue', t: 'backToQueue' })), loading());
  try {
    const a = await get(`/v1/assessments/${enc(id)}`);
    fill(main, h('p', {}, h('a', { href: '#/queue', t: 'backToQueue' })), h('h2', { t: 'assessment' }), renderAssessment(a, roles));
  } catch (e) {
    fill(main, h('p', {}, h('a', { href: '#/queue', t: 'backToQueue' })), errorBox(describe(e)));
  }
}
