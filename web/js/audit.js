// The audit log (admins only): who did what and when — key fingerprints
// and ids, never texts or keys.

import { get, describe } from './api.js';
import { h, fill, when, loading, errorBox } from './dom.js';

export async function auditView(main) {
  const out = h('div', {}, loading());
  fill(main, h('h2', { t: 'auditTitle' }), out);
  try {
    const entries = await get('/v1/audit?limit=200');
    fill(out, h('div', { class: 'table-wrap' }, h('table', { class: 'audit' },
      h('thead', {}, h('tr', {}, ['colTime', 'colActor', 'colRole', 'colAction', 'colTarget', 'colStatus'].map((k) => h('th', { t: k, attrs: { scope: 'col' } })))),
      h('tbody', {}, entries.map((e) => h('tr', {},
        h('td', { text: when(e.at) }),
        h('td', { class: 'mono', text: e.actor }),
        h('td', { t: `role_${e.role}` }),
        h('td', { class: 'mono', text: e.action }),
        h('td', { class: 'mono', text: e.target || '' }),
        h('td', { text: String(e.status) })))))));
  } catch (e) {
    fill(out, errorBox(describe(e)));
  }
}
