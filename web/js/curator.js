// The curator's view of the knowledge base: upload documents (drag and
// drop or a file picker; one request per file, so each file shows its own
// progress and its own error), list, search, open and delete documents,
// and review the example candidates that handlers' corrections produced.
//
// Built once per sign-in and kept across navigation, so an upload in
// progress and its results stay visible.

import { get, post, del, query, describe, enc, getKey, errorOf, ApiError } from './api.js';
import { h, fill, busy, uid, when, loading, errorBox, setText } from './dom.js';
import { t } from './i18n.js';
import { schemeName, loadSchemes } from './names.js';

const EXTENSIONS = ['md', 'markdown', 'txt', 'text', 'jsonl', 'ndjson', 'pdf', 'docx'];
const KINDS = ['pattern', 'case', 'regulation', 'example', 'other'];

function sizeText(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * POST one file as multipart. XMLHttpRequest rather than fetch because it
 * reports upload progress. Resolves with the upload report; rejects with
 * an ApiError.
 */
function uploadFile(file, kind, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/v1/kb/documents');
    xhr.setRequestHeader('Authorization', `Bearer ${getKey()}`);
    xhr.upload.addEventListener('progress', (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); });
    xhr.upload.addEventListener('load', () => onProgress(1));
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText));
        } catch {
          reject(new ApiError(xhr.status, 'internal', 'unreadable answer'));
        }
      } else {
        reject(errorOf(xhr.status, xhr.responseText, xhr.getResponseHeader('Retry-After')));
      }
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'network', '')));
    const form = new FormData();
    if (kind) form.append('kind', kind); // must come before the files
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

function uploadPanel(onUploaded) {
  const inputId = 'kb-file-input';
  const kindId = uid('kind');
  const input = h('input', { id: inputId, type: 'file', multiple: true, accept: EXTENSIONS.map((e) => `.${e}`).join(',') });
  const kind = h('select', { id: kindId },
    h('option', { value: '', t: 'kindFromFile' }), KINDS.map((k) => h('option', { value: k, t: `doc_${k}` })));
  const drop = h('div', {
    class: 'dropzone',
    attrs: { tabindex: '0', role: 'button', 'aria-describedby': `${inputId}-hint` },
  }, h('span', { t: 'dropHere' }));
  const items = h('ul', { class: 'uploads' });

  // Files go one after another: the server indexes one upload at a time anyway.
  let queue = Promise.resolve();
  const add = (files) => {
    for (const file of files) {
      const bar = h('progress', { max: 1, value: 0 });
      const state = h('span', { class: 'up-state', t: 'upQueued' });
      const detail = h('div', { class: 'up-detail' });
      const item = h('li', { class: 'upload-item', dataset: { state: 'queued', file: file.name } },
        h('span', { class: 'up-name', text: file.name }),
        h('span', { class: 'muted small', text: sizeText(file.size) }),
        bar, state, detail);
      items.prepend(item);
      const ext = (file.name.split('.').pop() || '').toLowerCase();
      if (!file.name.includes('.') || !EXTENSIONS.includes(ext)) {
        item.dataset.state = 'failed';
        setText(state, 'upFailed');
        fill(detail, errorBox({ text: t('errUnsupported') }));
        continue;
      }
      queue = queue.then(async () => {
        item.dataset.state = 'uploading';
        setText(state, 'upSending', { p: 0 });
        try {
          const report = await uploadFile(file, kind.value, (p) => {
            bar.value = p;
            if (p >= 1) setText(state, 'upIndexing');
            else setText(state, 'upSending', { p: Math.round(p * 100) });
          });
          bar.value = 1;
          const f = report.files?.[0] || { documents: [] };
          if (f.error) {
            item.dataset.state = 'failed';
            setText(state, 'upFailed');
            fill(detail, errorBox({ text: t('errInvalidDocument'), detail: f.error }));
          } else {
            item.dataset.state = 'done';
            setText(state, 'upDone');
            fill(detail, h('ul', {}, f.documents.map((d) => h('li', {},
              h('span', { class: 'mono', text: d.id }), ` · ${d.title} · `,
              h('span', { t: `outcome_${d.outcome}` }), ` · ${t('chunksN', { n: d.chunks })}`))));
            onUploaded();
          }
        } catch (e) {
          item.dataset.state = 'failed';
          setText(state, 'upFailed');
          fill(detail, errorBox(describe(e)));
        }
      });
    }
  };

  input.addEventListener('change', () => {
    add([...input.files]);
    input.value = ''; // the same file can be chosen again
  });
  drop.addEventListener('click', () => input.click());
  drop.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      input.click();
    }
  });
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    add([...(e.dataTransfer?.files || [])]);
  });

  return h('section', { class: 'card' },
    h('h3', { t: 'uploadTitle' }),
    h('p', { class: 'hint', id: `${inputId}-hint`, t: 'uploadHint' }),
    h('div', { class: 'upload-row' },
      h('div', { class: 'field' }, h('label', { htmlFor: inputId, t: 'chooseFiles' }), input),
      h('div', { class: 'field' }, h('label', { htmlFor: kindId, t: 'defaultKind' }), kind)),
    drop, items);
}

function documentsPanel() {
  const detail = h('div', { class: 'doc-detail' });
  const listOut = h('div');
  const hitsOut = h('div');
  let docs = [];

  // ---- one document, with delete
  const open = async (id) => {
    fill(detail, loading());
    detail.scrollIntoView({ block: 'nearest' });
    try {
      const d = await get(`/v1/kb/documents/${enc(id)}`);
      const message = h('div', { attrs: { 'aria-live': 'polite' } });
      const seed = d.origin === 'seed';
      const remove = h('button', { type: 'button', class: 'danger', t: 'delete', disabled: seed });
      const sure = h('button', { type: 'button', class: 'danger', t: 'confirmDelete', hidden: true });
      const cancel = h('button', { type: 'button', t: 'cancel', hidden: true });
      const ask = (on) => { remove.hidden = on; sure.hidden = !on; cancel.hidden = !on; };
      remove.addEventListener('click', () => { ask(true); sure.focus(); });
      cancel.addEventListener('click', () => { ask(false); remove.focus(); });
      sure.addEventListener('click', () => busy(sure, async () => {
        try {
          const r = await del(`/v1/kb/documents/${enc(id)}`);
          fill(detail, h('p', { class: 'ok', attrs: { role: 'status' }, text: t('deleted', { id: r.id, n: r.chunks_removed }) }));
          refresh();
        } catch (e) {
          ask(false);
          fill(message, errorBox(describe(e)));
        }
      }));
      fill(detail, h('article', { class: 'card doc', dataset: { docId: d.doc_id } },
        h('h3', { text: d.title || d.doc_id }),
        h('dl', { class: 'meta-list' },
          [['docId', h('span', { class: 'mono', text: d.doc_id })],
            ['docKind', h('span', { t: `doc_${d.kind}` })],
            ['docSchemes', (d.schemes || []).map(schemeName).join('、') || '—'],
            ['docOrigin', h('span', { t: `origin_${d.origin || 'unknown'}` })],
            ['docSource', [d.source, d.version && `v${d.version}`].filter(Boolean).join(' · ') || '—'],
            ['docIngested', when(d.ingested_at)],
            ['docChunks', String(d.chunks)]].map(([k, v]) => [h('dt', { t: k }), h('dd', {}, v)])),
        h('div', { class: 'actions' }, remove, sure, cancel),
        seed ? h('p', { class: 'muted small', t: 'seedNoDelete' }) : null,
        message,
        h('div', { class: 'chunks' }, (d.content || []).map((c) => h('section', { class: 'chunk' },
          c.heading ? h('h4', { text: c.heading }) : null,
          h('p', { text: c.text }))))));
      detail.querySelector('h3')?.setAttribute('tabindex', '-1');
      detail.querySelector('h3')?.focus();
    } catch (e) {
      fill(detail, errorBox(describe(e)));
    }
  };
  const openButton = (id, label) => h('button', { type: 'button', class: 'link doc-open', dataset: { docId: id }, text: label, on: { click: () => open(id) } });

  // ---- the list, filtered on the page by kind and text
  const filterId = uid('filter');
  const kindId = uid('kind');
  const filter = h('input', { id: filterId, type: 'search', autocomplete: 'off' });
  const kind = h('select', { id: kindId }, h('option', { value: '', t: 'allKinds' }), KINDS.map((k) => h('option', { value: k, t: `doc_${k}` })));
  const count = h('p', { class: 'muted small', attrs: { role: 'status' } });
  const render = () => {
    const q = filter.value.trim().toLowerCase();
    const shown = docs.filter((d) => (!kind.value || d.kind === kind.value)
      && (!q || d.doc_id.toLowerCase().includes(q) || (d.title || '').toLowerCase().includes(q)));
    setText(count, 'docCount', { n: shown.length, total: docs.length });
    fill(listOut, h('ul', { class: 'doc-list' }, shown.map((d) => h('li', { dataset: { docId: d.doc_id } },
      openButton(d.doc_id, d.title || d.doc_id),
      h('span', { class: 'muted small' }, ' · ', h('span', { t: `doc_${d.kind}` }), ` · ${d.doc_id} · ${t('chunksN', { n: d.chunks })}`)))));
  };
  filter.addEventListener('input', render);
  kind.addEventListener('change', render);
  const refresh = async () => {
    fill(listOut, loading());
    try {
      docs = (await get('/v1/kb/documents')).documents || [];
      render();
    } catch (e) {
      fill(listOut, errorBox(describe(e)));
    }
  };

  // ---- search (hybrid: meaning and words)
  const q = h('input', { id: 'kb-search-input', type: 'search', autocomplete: 'off', required: true });
  const go = h('button', { type: 'submit', class: 'primary', t: 'search' });
  const searchForm = h('form', { class: 'inline-form', attrs: { role: 'search' } },
    h('label', { htmlFor: 'kb-search-input', t: 'searchKb' }), q, go);
  searchForm.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!q.value.trim()) return;
    busy(go, async () => {
      fill(hitsOut, loading());
      try {
        const hits = await get(`/v1/kb/search${query({ q: q.value.trim(), limit: 10 })}`);
        fill(hitsOut, hits.length
          ? h('ol', { class: 'hits' }, hits.map((x) => h('li', { dataset: { docId: x.doc_id } },
            openButton(x.doc_id, x.title || x.doc_id),
            h('span', { class: 'muted small' }, ' · ', h('span', { t: `doc_${x.kind}` }), ` · ${x.doc_id}${x.heading ? ` · ${x.heading}` : ''}`),
            h('p', { class: 'hit-text', text: x.text }))))
          : h('p', { class: 'muted', t: 'noHits' }));
      } catch (err) {
        fill(hitsOut, errorBox(describe(err)));
      }
    });
  });

  const panel = h('section', { class: 'card' },
    h('h3', { t: 'documentsTitle' }),
    searchForm, hitsOut,
    h('div', { class: 'docs-grid' },
      h('div', {},
        h('div', { class: 'filters-row' },
          h('div', { class: 'field' }, h('label', { htmlFor: filterId, t: 'filterDocs' }), filter),
          h('div', { class: 'field' }, h('label', { htmlFor: kindId, t: 'docKind' }), kind)),
        count, listOut),
      detail));
  return { panel, refresh };
}

function candidatesPanel() {
  const statusId = uid('status');
  const status = h('select', { id: statusId }, ['pending', 'approved', 'rejected'].map((s) => h('option', { value: s, t: `cand_${s}` })));
  const out = h('div', { attrs: { 'aria-live': 'polite' } });
  const item = (c) => {
    const message = h('div');
    const state = h('span', { class: 'cand-state', t: `cand_${c.status}` });
    const actions = h('div', { class: 'actions' });
    if (c.status === 'pending') {
      for (const [decision, key, cls] of [['approve', 'approve', 'ok-button'], ['reject', 'reject', 'danger']]) {
        const b = h('button', { type: 'button', class: cls, t: key });
        b.addEventListener('click', () => busy(b, async () => {
          try {
            const r = await post(`/v1/kb/candidates/${enc(c.id)}`, { decision });
            setText(state, `cand_${r.status}`);
            fill(actions);
            fill(message, h('p', { class: 'ok', text: r.example_id ? t('approvedAs', { id: r.example_id }) : t('rejectedDone') }));
          } catch (e) {
            fill(message, errorBox(describe(e)));
          }
        }));
        actions.append(b);
      }
    }
    return h('li', { class: 'card candidate', dataset: { id: c.id } },
      h('p', {},
        h('strong', { text: `${schemeName(c.assessed_scheme)} / ${t(`grade_${c.assessed_grade}`)}` }),
        ' → ',
        h('strong', { text: `${schemeName(c.scheme)} / ${t(`grade_${c.grade}`)}` }),
        ' · ', state),
      h('p', { class: 'muted small' }, h('span', { t: c.kind === 'application' ? 'kindApplication' : 'kindComplaint' }), ` · ${when(c.created_at)} · ${c.assessment_id}`),
      c.note ? h('p', {}, h('span', { class: 'muted', t: 'fbNote' }), `: ${c.note}`) : null,
      h('details', {}, h('summary', { t: 'exampleText' }), h('p', { class: 'doc-text', text: c.text })),
      actions, message);
  };
  const load = async () => {
    fill(out, loading());
    try {
      const list = await get(`/v1/kb/candidates${query({ status: status.value })}`);
      fill(out, list.length ? h('ul', { class: 'candidates' }, list.map(item)) : h('p', { class: 'muted', t: 'noCandidates' }));
    } catch (e) {
      fill(out, errorBox(describe(e)));
    }
  };
  status.addEventListener('change', load);
  const reload = h('button', { type: 'button', t: 'reload', on: { click: (e) => busy(e.currentTarget, load) } });
  return {
    panel: h('section', { class: 'card' },
      h('h3', { t: 'candidatesTitle' }),
      h('p', { class: 'hint', t: 'candidatesHint' }),
      h('div', { class: 'filters-row' }, h('div', { class: 'field' }, h('label', { htmlFor: statusId, t: 'status' }), status), reload),
      out),
    load,
  };
}

/** Build the curator view (once per sign-in); `refresh` reloads its lists. */
export function curatorView() {
  const docs = documentsPanel();
  const candidates = candidatesPanel();
  const el = h('div', { class: 'curator' },
    h('h2', { t: 'curatorTitle' }),
    uploadPanel(() => docs.refresh()),
    docs.panel,
    candidates.panel);
  const refresh = () => {
    loadSchemes();
    docs.refresh();
    candidates.load();
  };
  return { el, refresh };
}
