// The legal team's view: open an assessment, preview its evidence report,
// download it as HTML, Markdown or JSON, print it, and see its integrity
// hash (SHA-256 of the report's canonical JSON, from X-Report-SHA256).
//
// Every export is generated afresh and stamped with its generation time,
// which is part of the hashed report: two exports made at different
// moments have different hashes. So the page shows the hash of the export
// it is showing (the preview) and, after each download, that file's hash.

import { get, raw, query, describe, enc } from './api.js';
import { h, fill, busy, uid, when, loading, errorBox, saveFile } from './dom.js';
import { t } from './i18n.js';
import { gradeBadge } from './assessment.js';
import { summaryItem } from './queue.js';
import { schemeName, learn } from './names.js';

const FORMATS = [
  ['html', 'HTML'],
  ['md', 'Markdown'],
  ['json', 'JSON'],
];

/** Fetch one export: {text, hash, filename, type}. */
async function fetchReport(id, format) {
  const resp = await raw('GET', `/v1/assessments/${enc(id)}/report${query({ format })}`);
  const disposition = resp.headers.get('Content-Disposition') || '';
  const named = /filename="([^"]+)"/.exec(disposition);
  return {
    text: await resp.text(),
    hash: resp.headers.get('X-Report-SHA256') || '',
    filename: named ? named[1] : `caseguard-report-${id}.${format}`,
    type: resp.headers.get('Content-Type') || 'application/octet-stream',
  };
}

/** #/legal: pick an assessment (recent ones, severity first, or by id). */
async function pickView(main) {
  const idField = uid('aid');
  const input = h('input', { id: idField, type: 'text', required: true, autocomplete: 'off', spellcheck: false });
  const form = h('form', { class: 'card inline-form' },
    h('label', { htmlFor: idField, t: 'assessmentId' }), input,
    h('button', { type: 'submit', class: 'primary', t: 'open' }));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (input.value.trim()) location.hash = `#/legal/${enc(input.value.trim())}`;
  });
  const out = h('div', {}, loading());
  fill(main, h('h2', { t: 'legalTitle' }), form, h('h3', { t: 'recentBySeverity' }), out);
  try {
    const r = await get('/v1/assessments?order=severity&limit=30');
    fill(out, r.items.length
      ? h('ol', { class: 'queue' }, r.items.map((s) => summaryItem(s, `#/legal/${enc(s.id)}`)))
      : h('p', { class: 'muted', t: 'queueEmpty' }));
  } catch (e) {
    fill(out, errorBox(describe(e)));
  }
}

/** #/legal/ID: the report of one assessment. */
async function reportView(main, id) {
  const back = h('p', {}, h('a', { href: '#/legal', t: 'backToLegal' }));
  fill(main, back, loading());
  let a;
  try {
    a = await get(`/v1/assessments/${enc(id)}`);
  } catch (e) {
    fill(main, back, errorBox(describe(e)));
    return;
  }
  learn(a.schemes);

  const hash = h('code', { id: 'report-hash', class: 'hash' });
  const hashNote = h('p', { class: 'muted small', t: 'hashNote' });
  const frame = h('iframe', {
    class: 'report-frame',
    title: t('reportPreview'),
    // No scripts in the report; same-origin only so the page can print it,
    // modals so print() is allowed.
    attrs: { sandbox: 'allow-same-origin allow-modals' },
  });
  const frameState = h('div', { attrs: { 'aria-live': 'polite' } });
  const log = h('ul', { class: 'export-log' });
  const logTitle = h('h4', { t: 'exports', hidden: true });
  const message = h('div', { attrs: { 'aria-live': 'polite' } });

  const showHash = (value) => {
    hash.textContent = value;
    hash.dataset.hash = value;
  };

  // Preview: the HTML export in a sandboxed frame.
  let previewed = null;
  const preview = async () => {
    fill(frameState, loading('loadingReport'));
    try {
      const r = await fetchReport(id, 'html');
      previewed = r;
      await new Promise((resolve) => {
        frame.addEventListener('load', resolve, { once: true });
        frame.srcdoc = r.text;
      });
      showHash(r.hash);
      fill(frameState);
      frame.dataset.loaded = 'true';
    } catch (e) {
      fill(frameState, errorBox(describe(e)));
    }
  };

  const previewButton = h('button', { type: 'button', t: 'refreshPreview' });
  previewButton.addEventListener('click', () => busy(previewButton, preview));
  const printButton = h('button', { type: 'button', t: 'print' });
  printButton.addEventListener('click', () => busy(printButton, async () => {
    if (!previewed) await preview();
    try {
      frame.contentWindow.focus();
      frame.contentWindow.print();
    } catch {
      window.print(); // the print stylesheet shows only the report frame
    }
  }));

  const downloads = FORMATS.map(([format, label]) => {
    const b = h('button', { type: 'button', class: 'primary', dataset: { format }, t: 'downloadAs', targs: { format: label } });
    b.addEventListener('click', () => busy(b, async () => {
      fill(message);
      try {
        const r = await fetchReport(id, format);
        saveFile(r.text, r.filename, r.type);
        showHash(r.hash);
        logTitle.hidden = false;
        log.prepend(h('li', {}, h('span', { text: `${when(new Date().toISOString())} · ${r.filename} · SHA-256 ` }), h('code', { class: 'hash', text: r.hash })));
      } catch (e) {
        fill(message, errorBox(describe(e)));
      }
    }));
    return b;
  });

  fill(main, back,
    h('h2', { t: 'reportTitle' }),
    h('section', { class: 'card summary' },
      h('div', { class: 'summary-head' }, gradeBadge(a.grade, true),
        h('div', {},
          h('p', { class: 'top-scheme', text: schemeName(a.top_scheme) }),
          h('p', { class: 'muted meta' }, h('span', { t: a.kind === 'application' ? 'kindApplication' : 'kindComplaint' }),
            ` · ${when(a.created_at)} · `, h('a', { class: 'mono', href: `#/a/${enc(a.id)}`, text: a.id })))),
      h('p', {}, h('a', { href: `#/a/${enc(a.id)}`, t: 'openAssessment' }))),
    h('section', { class: 'card' },
      h('h3', { t: 'integrity' }),
      h('p', {}, h('span', { t: 'hashLabel' }), ' ', hash),
      hashNote,
      h('div', { class: 'actions' }, downloads, printButton, previewButton),
      message,
      logTitle, log),
    h('section', { class: 'card report-card' },
      h('h3', { t: 'reportPreview' }),
      a.draft ? null : h('p', { class: 'muted', t: 'noDraftYet' }),
      frameState, frame));
  await preview();
}

export function legalView(main, id) {
  return id ? reportView(main, id) : pickView(main);
}
