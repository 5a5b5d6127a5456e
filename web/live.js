// The live connection: /api/stream (Server-Sent Events) feeds the shared store; a new smoke,
// CO, gas or emergency alarm raises a banner with a sound and a vibration where the browser
// allows; the title counts open alerts; the page reconnects by itself and says plainly when it
// is offline and since when.
import { t, when } from './i18n.js';
import { h, replace } from './dom.js';
import { store, subscribe, applyAlert, applyVisit, applyProblem, loadAll } from './store.js';
import { LIFE_SAFETY, kindLabel, deviceLabel, devicesById } from './labels.js';

let source = null;
let lastEventId = '';
let retryMs = 1000;
let retryTimer = null;
let status = 'connecting';
let downSince = null;
let running = false;
const statusListeners = new Set();

export function liveStatus() { return { status, downSince }; }
export function onLiveStatus(fn) { statusListeners.add(fn); return () => statusListeners.delete(fn); }

function setStatus(next) {
  if (next === status) return;
  if (next !== 'live' && next !== 'idle' && status === 'live') downSince = new Date().toISOString();
  if (next === 'live') downSince = null;
  status = next;
  renderStatus();
  for (const fn of statusListeners) fn(liveStatus());
}

/** opens the stream; `onUnauthorized` when the session is gone */
let listening = false;
export function startLive({ onUnauthorized }) {
  running = true;
  if (!listening) {
    listening = true;
    window.addEventListener('online', reconnectNow);
    window.addEventListener('offline', () => { if (running) setStatus('offline'); });
  }
  connect(onUnauthorized);
}

export function stopLive() {
  running = false;
  clearTimeout(retryTimer);
  source?.close();
  source = null;
  lastEventId = '';
  clearBanners();
  // signed out: nothing to be live about
  setStatus('idle');
}

let unauthorizedHandler = () => {};
function reconnectNow() {
  if (!running) return;
  retryMs = 1000;
  clearTimeout(retryTimer);
  connect(unauthorizedHandler);
}

function connect(onUnauthorized) {
  unauthorizedHandler = onUnauthorized;
  source?.close();
  setStatus(status === 'live' || status === 'idle' ? 'connecting' : status);
  const url = lastEventId ? `/api/stream?lastEventId=${encodeURIComponent(lastEventId)}` : '/api/stream';
  const es = new EventSource(url);
  source = es;
  const track = (e) => { if (e.lastEventId) lastEventId = e.lastEventId; };
  es.addEventListener('ready', (e) => {
    const wasDown = status !== 'live';
    if (!lastEventId) { try { lastEventId = JSON.parse(e.data).id; } catch { /* keep */ } }
    retryMs = 1000;
    setStatus('live');
    // the first connection, or one after a gap the stream could not replay: load afresh
    if (wasDown && !store.loaded) loadAll().catch(() => {});
  });
  es.addEventListener('alert', (e) => { track(e); onAlert(JSON.parse(e.data)); });
  es.addEventListener('visit', (e) => { track(e); applyVisit(JSON.parse(e.data)); });
  es.addEventListener('problem', (e) => { track(e); applyProblem(JSON.parse(e.data)); });
  es.addEventListener('resync', (e) => { track(e); loadAll().catch(() => {}); });
  es.onerror = async () => {
    if (source !== es) return;
    // the browser retries by itself (and sends Last-Event-ID) unless the answer was not a stream
    if (es.readyState === EventSource.CONNECTING) { setStatus(navigator.onLine === false ? 'offline' : 'connecting'); return; }
    es.close();
    source = null;
    // signed out, or the gateway unreachable or busy: ask who we are to know which
    const probe = await fetch('/auth/session', { credentials: 'same-origin' }).then((r) => (r.ok ? r.json() : {})).catch(() => null);
    if (probe?.signedIn === false) { running = false; onUnauthorized(); return; }
    if (!running) return;
    setStatus(!probe || navigator.onLine === false || retryMs >= 4000 ? 'offline' : 'connecting');
    retryTimer = setTimeout(() => connect(onUnauthorized), retryMs);
    retryMs = Math.min(retryMs * 2, 30_000);
  };
}

// ---- status line --------------------------------------------------------------------------

function renderStatus() {
  const bar = document.getElementById('live-status');
  if (!bar) return;
  bar.dataset.status = status;
  if (status === 'live' || status === 'idle') { replace(bar); bar.hidden = true; return; }
  bar.hidden = false;
  replace(bar, status === 'offline'
    ? t('live.offline', { since: downSince ? when(downSince) : '' })
    : t('live.connecting'));
}

// ---- alerts, banners, sound -----------------------------------------------------------------

const banners = new Map();
let muted = false;
let audio = null;
let repeatTimer = null;

/** browsers let a page make sound only after a tap: the shell calls this on the first one */
export function unlockSound() {
  try {
    audio ??= new (window.AudioContext || window.webkitAudioContext)();
    if (audio.state === 'suspended') audio.resume();
  } catch { audio = null; }
}

function onAlert(event) {
  applyAlert(event);
  const { alert, action } = event;
  if (action === 'opened' && LIFE_SAFETY.has(alert.kind)) showBanner(alert);
  if (alert.status !== 'open') dropBanner(alert.id);
}

function showBanner(alert) {
  const host = document.getElementById('banners');
  if (!host || banners.has(alert.id)) return;
  const resident = store.resident(alert.residentId);
  const device = devicesById(resident).get(alert.deviceId);
  const el = h('div', { class: `banner kind-${alert.kind}`, role: 'alert', 'data-alert': alert.id },
    h('strong', { class: 'banner-kind' }, kindLabel(alert.kind, alert.detail)),
    h('span', { class: 'banner-who' }, resident?.name ?? t('resident.unknown')),
    device && h('span', { class: 'banner-where' }, deviceLabel(device)),
    h('span', { class: 'banner-actions' },
      h('a', { class: 'button primary', href: `#/r/${encodeURIComponent(alert.residentId)}`, onclick: () => dropBanner(alert.id) }, t('banner.open')),
      h('button', { type: 'button', class: 'secondary', onclick: () => dropBanner(alert.id) }, t('banner.dismiss'))));
  banners.set(alert.id, el);
  host.prepend(el);
  alarm();
}

function dropBanner(alertId) {
  banners.get(alertId)?.remove();
  banners.delete(alertId);
  if (!banners.size) { clearInterval(repeatTimer); repeatTimer = null; }
}

function clearBanners() {
  for (const id of [...banners.keys()]) dropBanner(id);
}

export function setMuted(next) { muted = next; }

/** three short tones and a vibration; again every 30 s while a banner is up */
function alarm() {
  if (navigator.vibrate) { try { navigator.vibrate([400, 150, 400, 150, 400]); } catch { /* not allowed */ } }
  beep();
  if (!repeatTimer) repeatTimer = setInterval(() => { if (banners.size) beep(); }, 30_000);
}

function beep() {
  if (muted || !audio || audio.state !== 'running') return;
  const start = audio.currentTime;
  for (let i = 0; i < 3; i++) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.2, start + i * 0.35);
    gain.gain.setValueAtTime(0, start + i * 0.35 + 0.2);
    osc.connect(gain).connect(audio.destination);
    osc.start(start + i * 0.35);
    osc.stop(start + i * 0.35 + 0.22);
  }
}

// ---- the title counts what still needs someone -----------------------------------------------

let titleTracked = null;
export function trackTitle() {
  if (titleTracked) { titleTracked(); return titleTracked; }
  const update = () => {
    const { open } = store.counts();
    document.title = open ? `(${open}) ${t('title')}` : t('title');
  };
  subscribe(update);
  update();
  titleTracked = update;
  return update;
}
