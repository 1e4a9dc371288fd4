// The page's entry point: sign-in, the role-dependent navigation, and the
// router (views live behind #/name/arg so reloads and links work).
//
// What a user sees follows their role. The server is the authority (every
// call is checked there); the page only avoids offering what would be
// refused, and says so in words when a view is opened anyway by its URL.

import { getKey, setKey, clearKey, discoverRoles, describe, whenUnauthorized } from './api.js';
import { h, fill, busy, errorBox, loading } from './dom.js';
import { t, applyLang, getLang, setLang } from './i18n.js';
import { workspace } from './workspace.js';
import { queueView } from './queue.js';
import { assessmentView } from './assessment.js';
import { legalView } from './legal.js';
import { curatorView } from './curator.js';
import { auditView } from './audit.js';
import { campaignsView } from './campaigns.js';

// Views, the roles that may use them (admins may use all), their nav label.
const VIEWS = {
  workspace: { roles: ['handler'], nav: 'navWorkspace' },
  queue: { roles: ['handler', 'legal'], nav: 'navQueue' },
  campaigns: { roles: ['handler', 'legal'], nav: 'navCampaigns' },
  legal: { roles: ['legal'], nav: 'navLegal' },
  kb: { roles: ['curator'], nav: 'navKb' },
  audit: { roles: ['admin'], nav: 'navAudit' },
  a: { roles: ['handler', 'legal'] }, // one assessment; reached from lists
};
const HOME = { handler: 'workspace', legal: 'legal', curator: 'kb', admin: 'workspace' };

// The signed-in session: roles, and the views kept alive across navigation.
let session = null;
// A session whose key stopped working: kept until the next sign-in, so a
// handler who re-enters the key finds the workspace as it was.
let kept = null;

const $ = (id) => document.getElementById(id);

function allowed(view, roles) {
  return roles.includes('admin') || VIEWS[view].roles.some((r) => roles.includes(r));
}

function route() {
  const m = /^#\/([a-z]+)(?:\/(.*))?$/.exec(location.hash);
  return m ? { view: m[1], arg: m[2] ? decodeURIComponent(m[2]) : '' } : null;
}

/** "知识运营（curator）", as a translatable argument (see i18n.t). */
function roleArg(role) {
  return { key: 'roleWithId', args: { name: { key: `role_${role}` }, id: role } };
}

/** The header: navigation for the user's roles, who is signed in. */
function renderChrome() {
  const nav = $('nav');
  const who = $('who');
  const out = $('sign-out');
  if (!session) {
    fill(nav);
    fill(who);
    out.hidden = true;
    return;
  }
  const current = route()?.view;
  fill(nav, h('ul', {}, Object.entries(VIEWS)
    .filter(([name, v]) => v.nav && allowed(name, session.roles))
    .map(([name, v]) => h('li', {}, h('a', {
      href: `#/${name}`,
      t: v.nav,
      attrs: { 'aria-current': name === current || (current === 'a' && name === 'queue') ? 'page' : null },
    })))));
  fill(who, h('span', { t: 'signedInAs' }), ' ', h('strong', { t: `role_${session.roles[0]}`, dataset: { role: session.roles[0] } }));
  out.hidden = false;
}

/** Show the view the URL names, or a refusal if the role may not use it. */
async function show() {
  const main = $('main');
  if (!session) return;
  const r = route();
  if (!r) {
    // Not a view (e.g. the skip link's #main): go home unless a view is shown.
    if (!main.firstChild) location.replace(`#/${HOME[session.roles[0]]}`);
    return;
  }
  renderChrome();
  const spec = VIEWS[r.view];
  const view = h('div', { class: 'view', dataset: { view: r.view } });
  fill(main, view);
  if (!spec) {
    fill(view, h('h2', { t: 'notFoundTitle' }), h('p', {}, h('a', { href: `#/${HOME[session.roles[0]]}`, t: 'goHome' })));
    return;
  }
  if (!allowed(r.view, session.roles)) {
    fill(view, h('section', { class: 'card refused', attrs: { role: 'alert' } },
      h('h2', { t: 'refusedTitle' }),
      h('p', { class: 'refused-text', t: 'refused', targs: { role: spec.roles.map(roleArg) } }),
      h('p', {}, h('span', { t: 'yourRole' }), ' ', h('span', { t: 'roleWithId', targs: roleArg(session.roles[0]).args })),
      h('p', {}, h('a', { href: `#/${HOME[session.roles[0]]}`, t: 'goHome' }))));
    return;
  }
  switch (r.view) {
    case 'workspace':
      session.workspace ||= workspace(session.roles);
      fill(view, session.workspace);
      break;
    case 'queue': await queueView(view, session.roles); break;
    case 'a': await assessmentView(view, r.arg, session.roles); break;
    case 'campaigns': await campaignsView(view, r.arg); break;
    case 'legal': await legalView(view, r.arg); break;
    case 'kb':
      session.curator ||= curatorView();
      fill(view, session.curator.el);
      session.curator.refresh();
      break;
    case 'audit': await auditView(view); break;
    default: break;
  }
}

/** The sign-in form; `reason` says why it is shown again. */
function signIn(reason) {
  renderChrome();
  const input = h('input', { id: 'key-input', type: 'password', autocomplete: 'off', required: true, spellcheck: false });
  const button = h('button', { type: 'submit', class: 'primary', t: 'signIn' });
  const message = h('div', { attrs: { 'aria-live': 'polite' } }, reason ? errorBox(reason) : null);
  const form = h('form', { class: 'card sign-in', attrs: { 'aria-labelledby': 'sign-in-title' } },
    h('h2', { id: 'sign-in-title', t: 'signInTitle' }),
    h('p', { class: 'hint', t: 'signInHint' }),
    h('div', { class: 'field wide' }, h('label', { htmlFor: 'key-input', t: 'apiKey' }), input),
    h('div', { class: 'actions' }, button),
    message);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    busy(button, async () => {
      fill(message);
      const key = input.value.trim();
      if (!/^[\x21-\x7e]+$/.test(key)) {
        fill(message, errorBox({ text: t('errBadKey') }));
        return;
      }
      setKey(key);
      try {
        await start();
      } catch (err) {
        clearKey();
        fill(message, errorBox(describe(err, { unauthorized: 'errBadKey' })));
        input.select();
      }
    });
  });
  fill($('main'), form);
  input.focus();
}

/** With a key stored: find the roles and show the page. Throws on failure. */
async function start() {
  const roles = await discoverRoles();
  // The same role as the interrupted session (the key was re-entered)
  // keeps the workspace and what is typed in it; another starts afresh.
  session = kept && kept.roles.join() === roles.join() ? kept : { roles };
  kept = null;
  renderChrome();
  if (!route()) history.replaceState(null, '', `#/${HOME[roles[0]]}`);
  await show();
}

async function boot() {
  applyLang();
  $('lang-toggle').addEventListener('click', () => {
    setLang(getLang() === 'zh' ? 'en' : 'zh');
    applyLang();
  });
  $('sign-out').addEventListener('click', () => {
    clearKey();
    session = null; // forget views and what they held
    kept = null;
    history.replaceState(null, '', location.pathname);
    signIn();
  });
  whenUnauthorized(() => {
    if (!session) return; // signing in: the form reports it
    clearKey();
    kept = session;
    session = null;
    signIn({ text: t('errUnauthorized') });
  });
  window.addEventListener('hashchange', () => show());

  if (!getKey()) {
    signIn();
    return;
  }
  fill($('main'), loading('checkingKey'));
  try {
    await start();
  } catch (err) {
    if (err.code === 'unauthorized') clearKey();
    signIn(describe(err, { unauthorized: 'errBadKey' }));
  }
}

boot();
