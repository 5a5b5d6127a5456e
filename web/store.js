// What every screen shares: the residents and the alerts not yet resolved, loaded once and
// then kept current by the live stream. Screens subscribe and redraw what changed.
import { api } from './api.js';
import { byUrgency } from './labels.js';

const state = {
  loaded: false,
  residents: [],
  residentsById: new Map(),
  /** id -> alert, unresolved ones (and those resolved while the page was open, briefly) */
  alerts: new Map(),
  /** residentId -> reasons from the visit planning (needs attention) */
  due: new Map(),
};
const listeners = new Set();

export function subscribe(fn) { listeners.add(fn); return () => listeners.delete(fn); }
function changed(what) { for (const fn of [...listeners]) fn(what); }

export const store = {
  get loaded() { return state.loaded; },
  residents: () => state.residents,
  resident: (id) => state.residentsById.get(id),
  due: (id) => state.due.get(id) ?? [],
  /** unresolved alerts, most urgent first; of one resident when given */
  unresolved(residentId) {
    return [...state.alerts.values()].filter((a) => a.status !== 'resolved' && (!residentId || a.residentId === residentId)).sort(byUrgency);
  },
  counts(residentId) {
    let open = 0; let acknowledged = 0; let unanswered = 0;
    for (const a of state.alerts.values()) {
      if (residentId && a.residentId !== residentId) continue;
      if (a.status === 'open') open++;
      else if (a.status === 'acknowledged') acknowledged++;
      else continue;
      if (a.unanswered) unanswered++;
    }
    return { open, acknowledged, unanswered };
  },
};

/** events that arrived while loadAll() was fetching: applied again on top of what it fetched */
let loading = null;

export async function loadAll() {
  const pending = [];
  loading = pending;
  try {
    await fetchAll();
  } finally {
    if (loading === pending) loading = null;
  }
  for (const event of pending) applyAlert(event);
}

async function fetchAll() {
  const [residents, open, acknowledged, due] = await Promise.all([
    api('GET', '/api/residents'),
    api('GET', '/api/alerts?status=open&limit=1000'),
    api('GET', '/api/alerts?status=acknowledged&limit=1000'),
    api('GET', '/api/visits/due').catch(() => ({ items: [] })),
  ]);
  state.residents = residents.items;
  state.residentsById = new Map(residents.items.map((r) => [r.id, r]));
  state.alerts = new Map([...open.items, ...acknowledged.items].map((a) => [a.id, a]));
  state.due = new Map(due.items.map((d) => [d.residentId, d.reasons]));
  state.loaded = true;
  changed({ type: 'all' });
}

/** an `alert` event from the stream: the alert as the store has it after the change */
export function applyAlert(event) {
  loading?.push(event);
  const alert = event.alert;
  const before = state.alerts.get(alert.id);
  state.alerts.set(alert.id, alert);
  // a resolved alert stays a moment so that a screen can show what became of it
  if (alert.status === 'resolved') setTimeout(() => { if (state.alerts.get(alert.id)?.status === 'resolved') { state.alerts.delete(alert.id); changed({ type: 'alert', alert, quiet: true }); } }, 60_000);
  changed({ type: 'alert', action: event.action, by: event.by, alert, before });
  if (state.loaded) refreshSoon();
}

/**
 * Devices' last reports and the planning's reasons change without an alert: fetched again in
 * the background every 2 minutes, and a few seconds after an alert (a device that alarmed has
 * just reported).
 */
let refreshTimer = null;
let refreshEvery = null;
export function refreshSoon(delayMs = 3000) {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(async () => {
    try {
      const [residents, due] = await Promise.all([api('GET', '/api/residents'), api('GET', '/api/visits/due').catch(() => ({ items: [] }))]);
      state.residents = residents.items;
      state.residentsById = new Map(residents.items.map((r) => [r.id, r]));
      state.due = new Map(due.items.map((d) => [d.residentId, d.reasons]));
      changed({ type: 'residents' });
    } catch { /* the next try will do */ }
  }, delayMs);
  refreshEvery ??= setInterval(() => refreshSoon(0), 120_000);
}

export function applyVisit(event) {
  changed({ type: 'visit', residentId: event.residentId, visitId: event.visitId });
}

export function applyProblem(event) {
  changed({ type: 'problem', residentId: event.residentId });
}

export function reset() {
  clearTimeout(refreshTimer);
  clearInterval(refreshEvery);
  refreshEvery = null;
  state.loaded = false;
  state.residents = [];
  state.residentsById = new Map();
  state.alerts = new Map();
  state.due = new Map();
}
