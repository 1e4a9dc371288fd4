// The one place that talks to the server.
//
// The API key lives in sessionStorage: it survives a reload of the tab but
// not closing it, and other tabs and later visitors of a shared machine do
// not inherit it. Every call sends it as `Authorization: Bearer`.
// Failures become ApiError, and `describe` turns them into a sentence a
// complaint handler understands, keeping the server's own message as a
// detail for whoever has to fix it.

import { t } from './i18n.js';

const KEY = 'caseguard.key';

export function getKey() {
  return sessionStorage.getItem(KEY) || '';
}

export function setKey(key) {
  sessionStorage.setItem(KEY, key);
}

export function clearKey() {
  sessionStorage.removeItem(KEY);
}

export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/** Called when the server says the key is not (or no longer) valid. */
let onUnauthorized = () => {};
export function whenUnauthorized(f) {
  onUnauthorized = f;
}

export function authHeaders(extra = {}) {
  return { Authorization: `Bearer ${getKey()}`, ...extra };
}

/** An ApiError from a non-2xx status and body (JSON error body if there is one). */
export function errorOf(status, bodyText, retryAfter) {
  let code = `http_${status}`;
  let message = '';
  try {
    const body = JSON.parse(bodyText);
    code = body?.error?.code || code;
    message = body?.error?.message || '';
  } catch {
    // not JSON: keep the status
  }
  const err = new ApiError(status, code, message, retryAfter);
  if (status === 401) onUnauthorized(err);
  return err;
}

/** An ApiError from a non-2xx fetch Response. */
export async function errorFrom(resp) {
  let text = '';
  try {
    text = await resp.text();
  } catch {
    // connection dropped: no body
  }
  return errorOf(resp.status, text, resp.headers.get('Retry-After'));
}

/**
 * fetch with the key; throws ApiError on a non-2xx answer and on network
 * failure. Returns the Response, for callers that need headers or a blob.
 */
export async function raw(method, path, { json, body, headers, signal } = {}) {
  const init = { method, headers: authHeaders(headers), signal };
  if (json !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(json);
  } else if (body !== undefined) {
    init.body = body;
  }
  let resp;
  try {
    resp = await fetch(path, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', String(e.message || e));
  }
  if (!resp.ok) throw await errorFrom(resp);
  return resp;
}

/** JSON in, JSON out. */
export async function call(method, path, json) {
  const resp = await raw(method, path, { json });
  return resp.json();
}

export const get = (path) => call('GET', path);
export const post = (path, json) => call('POST', path, json);
export const del = (path) => call('DELETE', path);

/** A query string from an object, leaving out empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, v);
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const enc = encodeURIComponent;

// Error codes the server documents (README, "HTTP API") → what to tell the user.
const MESSAGES = {
  network: 'errNetwork',
  unauthorized: 'errUnauthorized',
  forbidden: 'errForbidden',
  not_found: 'errNotFound',
  unknown_route: 'errNotFound',
  overloaded: 'errOverloaded',
  not_ready: 'errNotReady',
  llm_unavailable: 'errLlmUnavailable',
  empty_text: 'errEmptyText',
  text_too_long: 'errTooLong',
  body_too_large: 'errTooLarge',
  invalid_request: 'errInvalid',
  invalid_json: 'errInvalid',
  invalid_query: 'errInvalid',
  invalid_encoding: 'errInvalid',
  invalid_document: 'errInvalidDocument',
  invalid_upload: 'errInvalidDocument',
  unsupported_media_type: 'errUnsupported',
  seed_document: 'errSeedDocument',
  not_pending: 'errNotPending',
  internal: 'errInternal',
};

/**
 * { text, detail }: a plain sentence for the user and, where the server
 * said more, its message for the technically minded.
 */
export function describe(err, overrides = {}) {
  if (!(err instanceof ApiError)) {
    return { text: t('errUnexpected'), detail: String(err?.message || err) };
  }
  const key = overrides[err.code] || MESSAGES[err.code] || (err.status >= 500 ? 'errInternal' : 'errUnexpected');
  return { text: t(key), detail: err.code === 'network' || err.code === 'internal' ? '' : err.message };
}

/** The key's role, from GET /v1/me (401: unknown key; 503: still starting). */
export async function discoverRoles() {
  let r;
  try {
    r = await fetch('/v1/me', { headers: authHeaders() });
  } catch {
    throw new ApiError(0, 'network', '');
  }
  if (r.status === 401) throw new ApiError(401, 'unauthorized', '');
  if (r.status === 503) throw new ApiError(503, 'not_ready', '');
  if (!r.ok) throw new ApiError(r.status, 'internal', '');
  const me = await r.json();
  return [me.role];
}
