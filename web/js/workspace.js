// The handler's workspace: paste a complaint, or fill the intake form of a
// loan application (the structured fields the cross-checks compare), and
// read the assessment.
//
// The workspace is built once per sign-in and kept while the user visits
// other views, so a pasted text, a half-filled form or a result is never
// lost to navigation; a failed request leaves the form as it was.

import { post, describe } from './api.js';
import { h, fill, busy, uid, errorBox, setText } from './dom.js';
import { t } from './i18n.js';
import { renderAssessment } from './assessment.js';

const MAX_CHARS = 20000;

// The applicant fields (see the API's Applicant schema), in intake order.
// money/int: numbers; percent: entered as %, sent as a 0..1 ratio;
// bool: unknown / yes / no; select: fixed choices; text: free text.
const FIELDS = [
  ['employment_status', 'select', ['', 'employed', 'self_employed', 'unemployed', 'retired', 'student']],
  ['employer', 'text'],
  ['claimed_monthly_income', 'money'],
  ['bank_flow_monthly_avg', 'money'],
  ['social_insurance_active', 'bool'],
  ['provident_fund_active', 'bool'],
  ['credit_history_months', 'int'],
  ['credit_accounts', 'int'],
  ['loan_amount', 'money'],
  ['loan_purpose', 'text'],
  ['down_payment_ratio', 'percent'],
  ['property_price', 'money'],
  ['property_appraisal', 'money'],
  ['resale_within_months', 'int'],
  ['remote_collateral', 'bool'],
  ['phone', 'text'],
  ['address', 'text'],
];

function fieldInput(name, type, choices) {
  const id = uid(`f-${name}`);
  let input;
  if (type === 'select') {
    input = h('select', { id, name }, choices.map((c) => h('option', { value: c, t: c ? `emp_${c}` : 'unknown' })));
  } else if (type === 'bool') {
    input = h('select', { id, name }, [['', 'unknown'], ['true', 'yes'], ['false', 'no']].map(([v, k]) => h('option', { value: v, t: k })));
  } else if (type === 'text') {
    input = h('input', { id, name, type: 'text', maxLength: 500, autocomplete: 'off' });
  } else {
    input = h('input', {
      id, name, type: 'number', min: 0, inputMode: type === 'int' ? 'numeric' : 'decimal',
      step: type === 'int' ? 1 : 'any', max: type === 'percent' ? 100 : undefined,
    });
  }
  input.dataset.kind = type;
  return h('div', { class: 'field' }, h('label', { htmlFor: id, t: `ap_${name}` }), input);
}

/** The applicant object from the form: only filled fields, typed. */
function readApplicant(form) {
  const out = {};
  for (const [name, type] of FIELDS) {
    const el = form.elements.namedItem(name);
    const v = el.value.trim();
    if (v === '') continue;
    if (type === 'bool') out[name] = v === 'true';
    else if (type === 'text' || type === 'select') out[name] = v;
    else if (type === 'percent') out[name] = Number(v) / 100;
    else out[name] = Number(v);
  }
  return out;
}

/** Build the workspace (once per sign-in). */
export function workspace(roles) {
  const textId = uid('text');
  const kindName = uid('kind');
  const text = h('textarea', {
    id: textId, name: 'text', rows: 8, required: true,
    tattr: { placeholder: 'textPlaceholder' },
    attrs: { 'aria-describedby': `${textId}-count` },
  });
  const count = h('span', { id: `${textId}-count`, class: 'muted small' });
  const updateCount = () => {
    const n = [...text.value].length;
    setText(count, 'charCount', { n, max: MAX_CHARS });
    count.classList.toggle('over', n > MAX_CHARS);
  };
  text.addEventListener('input', updateCount);
  updateCount();

  const radio = (value, key) => {
    const id = uid('k');
    return h('span', { class: 'radio' },
      h('input', { type: 'radio', id, name: kindName, value, checked: value === 'complaint' }),
      h('label', { htmlFor: id, t: key }));
  };
  const applicant = h('fieldset', { class: 'applicant', hidden: true },
    h('legend', { t: 'applicantLegend' }),
    h('p', { class: 'hint', t: 'applicantHint' }),
    h('div', { class: 'grid' }, FIELDS.map(([n, type, choices]) => fieldInput(n, type, choices))));

  const textLabel = h('label', { htmlFor: textId, t: 'textLabel' });
  const submit = h('button', { type: 'submit', class: 'primary', t: 'assess' });
  const clear = h('button', { type: 'button', t: 'clear' });
  const message = h('div', { attrs: { 'aria-live': 'polite' } });
  const result = h('div', { class: 'result' });

  const form = h('form', { class: 'card intake', attrs: { 'aria-labelledby': 'ws-title' } },
    h('fieldset', { class: 'kinds' }, h('legend', { t: 'materialKind' }),
      radio('complaint', 'kindComplaint'), radio('application', 'kindApplication')),
    h('div', { class: 'field wide' }, textLabel, text, count),
    applicant,
    h('div', { class: 'actions' }, submit, clear),
    message);

  const kind = () => form.elements.namedItem(kindName).value;
  const showKind = () => {
    applicant.hidden = kind() !== 'application';
    setText(textLabel, kind() === 'application' ? 'applicationLabel' : 'textLabel');
  };
  form.addEventListener('change', (e) => {
    if (e.target.name === kindName) showKind();
  });
  clear.addEventListener('click', () => {
    form.reset();
    showKind();
    updateCount();
    fill(message);
    text.focus();
  });

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    fill(message);
    if (!text.value.trim()) {
      fill(message, errorBox({ text: t('errEmptyText') }));
      text.focus();
      return;
    }
    if ([...text.value].length > MAX_CHARS) {
      fill(message, errorBox({ text: t('errTooLong') }));
      return;
    }
    const body = { kind: kind(), text: text.value };
    if (body.kind === 'application') {
      const a = readApplicant(form);
      if (Object.keys(a).length) body.applicant = a;
    }
    busy(submit, async () => {
      fill(message, h('p', { class: 'loading', attrs: { role: 'status' } }, h('span', { class: 'spinner', attrs: { 'aria-hidden': 'true' } }), h('span', { t: 'assessing' })));
      try {
        const a = await post('/v1/assessments', body);
        // A short announcement; the result itself is too long for a live region.
        fill(message, h('p', { class: 'ok', t: 'assessedAs', targs: { grade: { key: `grade_${a.grade}` } } }));
        fill(result, h('h2', { t: 'result' }), renderAssessment(a, roles));
        result.querySelector('.grade-badge')?.scrollIntoView({ block: 'start', behavior: 'smooth' });
      } catch (e) {
        // The form keeps its content: only the message changes.
        fill(message, errorBox(describe(e)));
      }
    });
  });

  return h('div', { class: 'workspace' },
    h('h2', { id: 'ws-title', t: 'workspaceTitle' }),
    form, result);
}
