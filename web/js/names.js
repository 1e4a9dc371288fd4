// Display names of schemes (fraud types).
//
// The label set is not fixed: every pattern card in the knowledge base is a
// scheme, and curators add cards. Assessments carry each scheme's name, so
// names are learned from every assessment the page sees, and `loadSchemes`
// asks GET /v1/schemes for the current list.

import { get } from './api.js';
import { t } from './i18n.js';

const names = new Map();
let ids = [];

/** Remember the names an assessment carries. */
export function learn(schemes) {
  for (const s of schemes || []) if (s.id && s.name) names.set(s.id, s.name);
}

/** A scheme's display name (the id itself if nothing better is known). */
export function schemeName(id) {
  if (id === 'insufficient_evidence') return t('insufficientEvidence');
  if (id === 'none' && !names.has(id)) return t('schemeNone');
  return names.get(id) || id;
}

/** Known scheme ids, for filters and corrections. */
export async function loadSchemes() {
  try {
    const list = await get('/v1/schemes');
    ids = list.map((s) => s.id);
    learn(list);
  } catch {
    // keep what we had; names stay ids, not worth an error message
  }
  return ids;
}

// Kinds of identifiers that link submissions into campaigns (the API's
// IdKind), e.g. the "wechat" of a campaign signal's field "campaign.wechat".
export const ID_KINDS = ['phone', 'wechat', 'qq', 'telegram', 'bank_account', 'agent_name', 'agency', 'employer', 'address', 'device', 'ip'];

/** An identifier kind in words ("微信"); an unknown kind as it came. */
export function idKindName(kind) {
  return ID_KINDS.includes(kind) ? t(`idk_${kind}`) : String(kind || '');
}
