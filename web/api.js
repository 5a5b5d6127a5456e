// Calls to the gateway's API as the signed-in person. The session is an HttpOnly cookie the
// page never sees; state-changing calls carry the session's CSRF token in a header, which a
// page from another site cannot read or send. Errors come back as codes with parameters and
// are said in the reader's language here.
import { t, tCode } from './i18n.js';
import { h } from './dom.js';

export class ApiError extends Error {
  constructor(status, code, params = {}, message = '') {
    super(message || code);
    this.status = status;
    this.code = code;
    this.params = params;
  }
}
/** the call never reached the gateway (offline, gateway down) */
export class NetworkError extends ApiError {
  constructor() { super(0, 'network'); }
}
export class Unauthorized extends ApiError {}

let csrf = '';
let me = null;
let onUnauthorized = () => {};
// every call of this session; signing out cancels those still on their way
let calls = new AbortController();
let signingOut = false;
export function whenUnauthorized(fn) { onUnauthorized = fn; }
export function currentUser() { return me; }
export function isAdmin() { return me?.role === 'admin'; }

async function send(method, path, body, headers = {}) {
  // nothing new goes out with a session that is being ended
  if (signingOut) throw new Unauthorized(401, 'signed_out');
  try {
    return await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: {
        ...(method !== 'GET' && csrf ? { 'x-csrf-token': csrf } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...Object.fromEntries(Object.entries(headers).filter(([k]) => k !== 'body')),
      },
      // headers.body: a raw body (sendBody), sent as it is
      body: headers.body ?? (body === undefined ? undefined : JSON.stringify(body)),
      signal: calls.signal,
    });
  } catch (err) {
    if (err?.name === 'AbortError') throw new Unauthorized(401, 'signed_out');
    throw new NetworkError();
  }
}

async function errorOf(res) {
  const data = await res.json().catch(() => null);
  return { data, err: new ApiError(res.status, data?.code ?? `http_${res.status}`, data?.params ?? {}, data?.error ?? '') };
}

/** every API call; a 401 sends the person back to sign in */
export async function api(method, path, body, headers) {
  const res = await send(method, path, body, headers);
  if (res.status === 401) {
    me = null;
    csrf = '';
    onUnauthorized();
    throw new Unauthorized(401, 'unauthorized');
  }
  if (!res.ok) throw (await errorOf(res)).err;
  return res.status === 204 ? null : res.json().catch(() => null);
}

/** a body that is not JSON (a photo from the phone), with the session's CSRF token */
export async function sendBody(method, path, blob, type) {
  return api(method, path, undefined, { 'content-type': type, body: blob });
}

/** a file the API answers with (a photo, a CSV), as a Blob */
export async function fetchBlob(path) {
  const res = await send('GET', path);
  if (res.status === 401) { me = null; csrf = ''; onUnauthorized(); throw new Unauthorized(401, 'unauthorized'); }
  if (!res.ok) throw (await errorOf(res)).err;
  return res.blob();
}

/** who is signed in (null when nobody): asked once when the page opens */
export async function loadSession() {
  const res = await send('GET', '/auth/session');
  const answer = res.ok ? await res.json() : null;
  me = answer?.signedIn ? answer.user : null;
  csrf = me?.csrf ?? '';
  return me;
}

export async function signIn(username, password) {
  const res = await send('POST', '/auth/login', { username, password });
  if (!res.ok) throw (await errorOf(res)).err;
  me = await res.json();
  csrf = me.csrf ?? '';
  return me;
}

export async function signOut() {
  const token = csrf;
  me = null;
  csrf = '';
  signingOut = true;
  calls.abort();
  calls = new AbortController();
  try {
    await fetch('/auth/logout', { method: 'POST', credentials: 'same-origin', headers: { 'x-csrf-token': token, 'content-type': 'application/json' }, body: '{}' });
  } catch { /* offline: the session ends by itself */ } finally {
    signingOut = false;
  }
}

/** an error in the reader's words: the server's code when we know it, else what kind of failure */
export function describeError(err) {
  if (err instanceof NetworkError) return t('err.network');
  if (err instanceof ApiError) {
    const params = { ...err.params };
    if (params.field) params.field = tCode('field', params.field, {}, 'field.other');
    return tCode('err', err.code, params, err.status >= 500 ? 'err.server' : statusKey(err.status));
  }
  return t('err.page');
}

function statusKey(status) {
  return { 400: 'err.invalid', 403: 'err.forbidden', 404: 'err.not_found', 409: 'err.conflict', 413: 'err.invalid', 429: 'err.rate_limited' }[status] ?? 'err.server';
}

/** what to show when a call failed (nothing when it failed because the session ended) */
export function failure(err) {
  return err instanceof Unauthorized ? null : h('p', { class: 'error', role: 'alert' }, describeError(err));
}
