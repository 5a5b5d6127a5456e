// Calls to the gateway's API with the signed-in token (kept in sessionStorage: it leaves with the tab).
import { t } from './i18n.js';
import { h } from './dom.js';

export const TOKEN_KEY = 'gw.token';

export class Unauthorized extends Error {}

let onUnauthorized = () => {};
export function whenUnauthorized(fn) { onUnauthorized = fn; }

export function signedIn() { return Boolean(sessionStorage.getItem(TOKEN_KEY)); }
export function signIn(token) { sessionStorage.setItem(TOKEN_KEY, token); }
export function signOut() { sessionStorage.removeItem(TOKEN_KEY); }

/** every API call carries the token; a 401 sends the caseworker back to sign in */
export async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: {
      authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) ?? ''}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401) {
    signOut();
    onUnauthorized();
    throw new Unauthorized('signed out');
  }
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) throw new Error(data?.error ?? `HTTP ${res.status}`);
  return data;
}

/** what to show when a call failed (nothing when it failed because the token went) */
export function failure(err) {
  return err instanceof Unauthorized ? null : h('p', { class: 'error', role: 'alert' }, t('failed', { error: err.message }));
}
