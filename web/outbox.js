// Visits typed in the field, where the signal comes and goes: each is kept on the phone
// (localStorage) with its own idempotency key before it is sent, sent again when the phone is
// back online, and shown with its state until the gateway has it. The key makes a resend of a
// visit whose answer was lost record nothing twice. A visit the gateway refused (a bad time,
// a resident who was removed) stays, with the reason, until the person retries or discards it.
import { t, when } from './i18n.js';
import { h, replace } from './dom.js';
import { api, currentUser, describeError, ApiError, NetworkError, Unauthorized } from './api.js';

const KEY = 'gw.outbox';
const RETRY_MS = 30_000;
/** a phone that says it is online but could not reach the gateway tries again soon, doubling up to RETRY_MS */
const SOON_MS = 2_000;
let soonMs = SOON_MS;
let soonTimer = null;
function retrySoon() {
  if (soonTimer !== null) return;
  soonTimer = setTimeout(() => { soonTimer = null; outboxSync.flush(); }, soonMs);
  soonMs = Math.min(RETRY_MS, soonMs * 2);
}
const listeners = new Set();

function load() {
  try { return JSON.parse(localStorage.getItem(KEY) ?? '[]'); } catch { return []; }
}
function save(items) {
  localStorage.setItem(KEY, JSON.stringify(items));
  for (const fn of [...listeners]) fn();
}
function update(key, patch) {
  const items = load();
  const item = items.find((x) => x.key === key);
  if (item) Object.assign(item, patch);
  save(items);
}
function remove(key) { save(load().filter((x) => x.key !== key)); }

/** a key nobody else will pick (crypto.randomUUID needs https; getRandomValues does not) */
function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** this person's queued visits (a shared phone keeps each person's apart) */
export function queued(residentId) {
  const me = currentUser()?.username;
  return load().filter((x) => x.user === me && (!residentId || x.residentId === residentId));
}

export function onOutboxChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }

/**
 * Keeps the visit, then tries to send it. Resolves with { state: 'sent', visit } when the
 * gateway has it, { state: 'queued' } when it waits for the network, { state: 'failed', error }
 * when the gateway refused it.
 */
export async function submitVisit(residentId, body, label) {
  const item = { key: newKey(), user: currentUser()?.username, residentId, label, body, createdAt: new Date().toISOString(), state: 'pending', attempts: 0 };
  save([...load(), item]);
  return send(item);
}

const inFlight = new Set();
async function send(item) {
  if (inFlight.has(item.key)) return { state: 'queued' };
  inFlight.add(item.key);
  update(item.key, { state: 'sending', attempts: (item.attempts ?? 0) + 1 });
  try {
    const visit = await api('POST', `/api/residents/${item.residentId}/visits`, item.body, { 'idempotency-key': item.key });
    remove(item.key);
    soonMs = SOON_MS;
    return { state: 'sent', visit };
  } catch (err) {
    if (err instanceof NetworkError || err instanceof Unauthorized || err.status >= 500 || err.status === 429) {
      update(item.key, { state: 'pending', lastTry: new Date().toISOString() });
      // back online a moment ago (the network not quite there yet), or the gateway restarting:
      // soon, not in 30 s
      if (err instanceof NetworkError && navigator.onLine !== false) retrySoon();
      return { state: 'queued' };
    }
    update(item.key, { state: 'failed', error: { status: err.status, code: err.code, params: err.params } });
    return { state: 'failed', error: err };
  } finally {
    inFlight.delete(item.key);
  }
}

/** sends what waits: now, when the phone comes online, and every 30 s (sooner after a failed try while online) */
export const outboxSync = {
  timer: null,
  start() {
    if (this.timer) return;
    window.addEventListener('online', () => this.flush());
    this.timer = setInterval(() => this.flush(), RETRY_MS);
    this.flush();
  },
  async flush() {
    if (!currentUser()) return;
    for (const item of queued()) if (item.state !== 'failed') await send(item);
  },
};

function stateText(item) {
  if (item.state === 'failed') {
    const e = item.error ?? {};
    return t('outbox.failed', { reason: describeError(new ApiError(e.status ?? 400, e.code ?? 'invalid', e.params ?? {})) });
  }
  if (item.state === 'sending') return t('outbox.sending');
  return navigator.onLine === false ? t('outbox.waitingOffline') : t('outbox.waiting');
}

/** the visits of this resident still on the phone, with their state, live */
export function pendingVisitsPanel(residentId) {
  const box = h('section', { class: 'card outbox', id: 'outbox', hidden: true });
  const draw = () => {
    const items = queued(residentId);
    box.hidden = items.length === 0;
    replace(box, h('h2', {}, t('outbox.title', { n: items.length })),
      h('ul', { class: 'plain' }, items.map((item) => h('li', { class: `outbox-row state-${item.state}`, 'data-key': item.key, 'data-state': item.state },
        h('strong', {}, item.label ?? t('outbox.visit')), ' ',
        h('span', { class: 'muted small' }, when(item.createdAt)), ' ',
        h('span', { class: `chip state-${item.state}` }, stateText(item)),
        h('span', { class: 'actions' },
          item.state === 'failed' && h('button', { type: 'button', class: 'secondary', onclick: () => { update(item.key, { state: 'pending' }); send({ ...item, state: 'pending' }); } }, t('outbox.retry')),
          item.state !== 'sending' && h('button', { type: 'button', class: 'link', onclick: () => { if (confirm(t('outbox.discardConfirm'))) remove(item.key); } }, t('outbox.discard')))))));
  };
  draw();
  const off = onOutboxChange(() => { if (box.isConnected) draw(); else off(); });
  window.addEventListener('online', draw);
  window.addEventListener('offline', draw);
  return box;
}
