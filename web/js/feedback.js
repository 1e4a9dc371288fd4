// Confirm or correct an assessment. A correction (the right scheme and/or
// grade) becomes a candidate example that curators review, so the
// assessment learns from handlers.

import { post, describe, enc } from './api.js';
import { h, fill, busy, uid, when, errorBox } from './dom.js';
import { t } from './i18n.js';
import { schemeName } from './names.js';

function gradeLabel(g) {
  return t(`grade_${g}`);
}

function entry(f) {
  const what = f.verdict === 'confirm'
    ? t('fbConfirmed')
    : t('fbCorrected', { scheme: schemeName(f.scheme), grade: gradeLabel(f.grade) });
  const status = f.status && f.status !== 'none' ? ` · ${t(`cand_${f.status}`)}` : '';
  return h('li', {}, h('span', { text: `${when(f.created_at)} · ${what}${status}` }),
    f.note ? h('span', { class: 'muted', text: ` — ${f.note}` }) : null);
}

/** The feedback card of assessment `a` with the feedback given so far. */
export function feedbackPanel(a, given) {
  const list = h('ul', { class: 'feedback-list' });
  const empty = h('p', { class: 'muted', t: 'fbNone' });
  const showList = () => { empty.hidden = list.children.length > 0; };
  for (const f of given || []) list.append(entry(f));
  showList();

  const message = h('div', { attrs: { 'aria-live': 'polite' } });
  const fail = (e) => fill(message, errorBox(describe(e)));
  const done = (f, key) => {
    list.append(entry(f));
    showList();
    fill(message, h('p', { class: 'ok', text: t(key) }));
  };

  const confirm = h('button', { type: 'button', class: 'ok-button', t: 'fbConfirm' });
  const correct = h('button', { type: 'button', t: 'fbCorrect', attrs: { 'aria-expanded': 'false' } });

  // The correction form: the right scheme and grade, and a note.
  const schemeId = uid('fb-scheme');
  const gradeId = uid('fb-grade');
  const roleId = uid('fb-role');
  const noteId = uid('fb-note');
  const scheme = h('select', { id: schemeId },
    (a.schemes || []).map((s) => h('option', { value: s.id, text: s.name || s.id, selected: s.id === a.top_scheme })));
  const grade = h('select', { id: gradeId },
    ['red', 'yellow', 'green'].map((g) => h('option', { value: g, text: gradeLabel(g), selected: g === a.grade })));
  const currentRole = a.role || 'legitimate';
  const role = h('select', { id: roleId },
    ['legitimate', 'victim', 'participant', 'intermediary'].map((r) => h('option', { value: r, t: `sr_${r}`, selected: r === currentRole })));
  const note = h('textarea', { id: noteId, rows: 2, maxLength: 2000 });
  const send = h('button', { type: 'submit', class: 'primary', t: 'fbSend' });
  const form = h('form', { class: 'correction', hidden: true },
    h('div', { class: 'field' }, h('label', { htmlFor: schemeId, t: 'fbRightScheme' }), scheme),
    h('div', { class: 'field' }, h('label', { htmlFor: gradeId, t: 'fbRightGrade' }), grade),
    h('div', { class: 'field' }, h('label', { htmlFor: roleId, t: 'submitterRole' }), role),
    h('div', { class: 'field wide' }, h('label', { htmlFor: noteId, t: 'fbNote' }), note),
    h('div', { class: 'actions' }, send));

  confirm.addEventListener('click', () => busy(confirm, async () => {
    try {
      done(await post(`/v1/assessments/${enc(a.id)}/feedback`, { verdict: 'confirm' }), 'fbThanksConfirm');
    } catch (e) {
      fail(e);
    }
  }));
  correct.addEventListener('click', () => {
    form.hidden = !form.hidden;
    correct.setAttribute('aria-expanded', String(!form.hidden));
    if (!form.hidden) scheme.focus();
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const body = { verdict: 'correct' };
    if (scheme.value !== a.top_scheme) body.scheme = scheme.value;
    if (grade.value !== a.grade) body.grade = grade.value;
    if (role.value !== currentRole) body.role = role.value;
    if (note.value.trim()) body.note = note.value.trim();
    if (!body.scheme && !body.grade && !body.role) {
      fill(message, errorBox({ text: t('fbNothingChanged') }));
      return;
    }
    busy(send, async () => {
      try {
        const f = await post(`/v1/assessments/${enc(a.id)}/feedback`, body);
        done(f, f.status === 'pending' ? 'fbThanksPending' : 'fbThanksCorrect');
        form.hidden = true;
        correct.setAttribute('aria-expanded', 'false');
        note.value = '';
      } catch (e) {
        fail(e); // the form keeps what was typed
      }
    });
  });

  return h('section', { class: 'card feedback' },
    h('h3', { t: 'fbTitle' }),
    h('div', { class: 'actions' }, confirm, correct),
    form, message,
    h('h4', { t: 'fbHistory' }), empty, list);
}
