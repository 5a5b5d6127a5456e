// The home screen: the alerts that need someone (most urgent first, open and acknowledged
// counted apart, unanswered flagged) and the residents, found by name or address, filtered by
// area and by "needs attention", grouped by building, drawn a page at a time so a district of
// a thousand stays quick. On a desktop the chosen resident's casefile opens beside the list.
import { t, ago, when } from '../i18n.js';
import { h, replace } from '../dom.js';
import { failure } from '../api.js';
import { store, subscribe, loadAll } from '../store.js';
import { kindLabel, deviceLabel, devicesById, severityOf } from '../labels.js';
import { alertButtons } from '../alert-actions.js';
import { renderCasefile } from './casefile.js';

const PAGE = 30;
/** planning reasons that are the visit cycle's routine, not a cause for concern */
const ROUTINE_REASONS = new Set(['devices_offline', 'never_visited', 'visit_overdue']);
const BOARD_PAGE = 10;
const FILTER_KEY = 'gw.filters';

/** the list's filters outlive a visit to a casefile and a reload */
const filters = loadFilters();
function loadFilters() {
  try {
    return { q: '', area: '', attention: false, ...JSON.parse(sessionStorage.getItem(FILTER_KEY) ?? '{}') };
  } catch {
    return { q: '', area: '', attention: false };
  }
}
function saveFilters() { sessionStorage.setItem(FILTER_KEY, JSON.stringify(filters)); }

const searchText = (r) => [r.name, r.address ?? '', r.area ?? '', r.id].map((f) => f.toLowerCase().replace(/\s+/g, '')).join('\u0000');
const collator = () => new Intl.Collator(document.documentElement.lang || 'zh-CN', { numeric: true });
const residentMatch = /^#\/r\/([a-z0-9-]+)/;

export const homeScreen = {
  id: 'home',
  nav: { label: 'nav.home', href: '#/', order: 0 },
  match(hash) {
    if (hash === '#/' || hash === '#' || hash === '') return { residentId: null };
    const m = residentMatch.exec(hash);
    return m ? { residentId: m[1] } : null;
  },
  render(main, params) { return mount(main, params); },
  update(params) { return view?.show(params.residentId) ?? false; },
};

let view = null;

function mount(main, params) {
  const board = h('section', { id: 'alert-board', class: 'card board' });
  const list = h('section', { id: 'residents-panel', class: 'residents-panel' });
  const detail = h('section', { id: 'detail', class: 'pane-detail' });
  const split = h('div', { class: 'split' }, h('div', { class: 'pane-list', id: 'pane-list' }, board, list), detail);
  replace(main, split);
  /** groups a person opened or closed by hand */
  const toggled = new Map();
  const shownPerGroup = new Map();
  let boardAll = false;
  let selected = null;
  let listScroll = 0;
  let closeCasefile = null;

  // ---- the alert board ------------------------------------------------------------------
  function drawBoard() {
    if (!store.loaded) { replace(board, h('p', { class: 'muted' }, t('loading'))); return; }
    const alerts = store.unresolved();
    const { open, acknowledged, unanswered } = store.counts();
    const shown = boardAll ? alerts : alerts.slice(0, BOARD_PAGE);
    replace(board,
      h('h2', {}, t('board.title')),
      h('p', { class: 'counts', id: 'alert-counts' },
        h('span', { class: `count count-open${open ? ' on' : ''}`, 'data-count': 'open' }, t('board.open', { n: open })),
        h('span', { class: 'count count-ack', 'data-count': 'acknowledged' }, t('board.acknowledged', { n: acknowledged })),
        unanswered ? h('span', { class: 'count count-unanswered on', 'data-count': 'unanswered' }, t('board.unanswered', { n: unanswered })) : null),
      alerts.length
        ? h('ul', { class: 'plain alert-list', id: 'board-alerts' }, shown.map(boardRow))
        : h('p', { class: 'muted' }, t('board.none')),
      alerts.length > shown.length && h('button', { type: 'button', class: 'link', onclick: () => { boardAll = true; drawBoard(); } }, t('board.more', { n: alerts.length - shown.length })));
  }

  function boardRow(a) {
    const resident = store.resident(a.residentId);
    const device = devicesById(resident).get(a.deviceId);
    return h('li', {
      class: `alert-row sev-${severityOf(a.kind)} status-${a.status}${a.unanswered ? ' unanswered' : ''}`,
      'data-alert': a.id, 'data-kind': a.kind, 'data-status': a.status,
    },
      h('a', { href: `#/r/${encodeURIComponent(a.residentId)}`, class: 'alert-link' },
        h('strong', { class: 'kind' }, kindLabel(a.kind)), ' ',
        h('span', { class: 'name' }, resident?.name ?? t('resident.unknown')),
        device && h('span', { class: 'muted small block' }, deviceLabel(device))),
      h('span', { class: 'chips' },
        h('span', { class: `chip status-${a.status}` }, t(`status.${a.status}`)),
        a.unanswered && h('span', { class: 'chip flag-unanswered' }, t('alert.unanswered')),
        a.status === 'acknowledged' && a.acknowledgedBy && h('span', { class: 'chip' }, t('alert.takenBy', { who: a.acknowledgedBy })),
        h('time', { class: 'muted small', datetime: a.openedAt, title: when(a.openedAt, resident?.timezone) }, ago(a.openedAt))),
      alertButtons(a));
  }

  // ---- the residents list -----------------------------------------------------------------
  const search = h('input', {
    id: 'resident-search', type: 'search', placeholder: t('list.search'), 'aria-label': t('list.search'), value: filters.q, autocomplete: 'off',
  });
  const area = h('select', { id: 'area-filter', 'aria-label': t('list.area') });
  const attention = h('input', { id: 'attention-filter', type: 'checkbox', checked: filters.attention });
  const summary = h('p', { class: 'muted small', id: 'list-summary', role: 'status' });
  const groupsBox = h('div', { id: 'residents', class: 'groups' });
  let debounce = null;
  search.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => { filters.q = search.value; saveFilters(); shownPerGroup.clear(); drawList(); }, 120);
  });
  area.addEventListener('change', () => { filters.area = area.value; saveFilters(); shownPerGroup.clear(); drawList(); });
  attention.addEventListener('change', () => { filters.attention = attention.checked; saveFilters(); shownPerGroup.clear(); drawList(); });
  replace(list,
    h('h2', {}, t('residents')),
    h('div', { class: 'list-tools' },
      search,
      h('div', { class: 'two' }, area,
        h('label', { class: 'check', for: 'attention-filter' }, attention, t('list.attention')))),
    summary, groupsBox);

  /**
   * Needs attention: an alert not resolved, a device that reported and went quiet or offline,
   * or any planning reason but the routine one that a visit is due. Devices that never reported
   * are shown apart ("从未上报"): they are being installed, not failing.
   */
  function attentionOf(r) {
    const counts = store.counts(r.id);
    const alerts = store.unresolved(r.id);
    const reasons = store.due(r.id);
    const worst = alerts.length ? severityOf(alerts[0].kind) : 9;
    const silentIds = new Set(reasons.filter((x) => x.code === 'devices_offline').flatMap((x) => x.devices ?? []).filter((d) => d.lastSeen !== null).map((d) => d.id));
    const offline = r.devices.filter((d) => d.lastSeen !== null && (d.availability === 'offline' || silentIds.has(d.id)));
    const neverSeen = r.devices.filter((d) => d.lastSeen === null);
    const needs = alerts.length > 0 || offline.length > 0 || reasons.some((x) => !ROUTINE_REASONS.has(x.code));
    return { counts, worst, reasons, offline, neverSeen, needs };
  }

  function drawAreas() {
    const areas = [...new Set(store.residents().map((r) => r.area ?? ''))].sort(collator().compare);
    replace(area, h('option', { value: '' }, t('list.allAreas')),
      areas.map((a) => h('option', { value: a, selected: a === filters.area }, a || t('list.noArea'))));
  }

  function drawList() {
    if (!store.loaded) { replace(groupsBox, h('p', { class: 'muted' }, t('loading'))); return; }
    const cmp = collator().compare;
    const q = filters.q.trim().toLowerCase().replace(/\s+/g, '');
    const rows = [];
    for (const r of store.residents()) {
      if (filters.area && (r.area ?? '') !== filters.area) continue;
      // fields apart, so that a name ending in a digit and an address do not run together
      if (q && !searchText(r).includes(q)) continue;
      const a = attentionOf(r);
      if (filters.attention && !a.needs) continue;
      rows.push({ r, a });
    }
    const groups = new Map();
    for (const row of rows) {
      const key = row.r.area ?? '';
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(row);
    }
    const rank = (row) => (row.a.counts.open + row.a.counts.acknowledged ? row.a.worst : row.a.needs ? 8 : 9);
    for (const members of groups.values()) {
      members.sort((x, y) => rank(x) - rank(y) || y.a.counts.open - x.a.counts.open || cmp(x.r.name, y.r.name));
    }
    const ordered = [...groups.entries()].sort(([ka, a], [kb, b]) => rank(a[0]) - rank(b[0]) || cmp(ka, kb));
    const filtering = Boolean(q || filters.attention || filters.area);
    summary.textContent = t('list.summary', { shown: rows.length, total: store.residents().length });
    replace(groupsBox, ordered.length ? ordered.map(([key, members]) => {
      // open by default when searching, when it is the only group, or when someone there has an alert
      const byDefault = filtering || ordered.length === 1
        || members.some((m) => m.a.counts.open + m.a.counts.acknowledged > 0 || m.r.id === selected);
      const open = toggled.get(key) ?? byDefault;
      const limit = shownPerGroup.get(key) ?? PAGE;
      const needing = members.filter((m) => m.a.needs).length;
      return h('section', { class: `group${open ? ' open' : ''}`, 'data-area': key },
        h('button', {
          type: 'button', class: 'group-head', 'aria-expanded': String(open),
          onclick: () => { toggled.set(key, !open); drawList(); },
        },
          h('span', { class: 'group-name' }, key || t('list.noArea')),
          h('span', { class: 'muted small' }, t('list.groupCount', { n: members.length })),
          needing ? h('span', { class: 'chip status-open' }, t('list.groupAttention', { n: needing })) : null),
        open && h('ul', { class: 'residents plain' }, members.slice(0, limit).map(residentRow)),
        open && members.length > limit && h('button', {
          type: 'button', class: 'link more', onclick: () => { shownPerGroup.set(key, limit + PAGE * 3); drawList(); },
        }, t('list.more', { n: members.length - limit })));
    }) : h('p', { class: 'muted' }, t('list.none')));
  }

  function residentRow({ r, a }) {
    const { open, acknowledged, unanswered } = a.counts;
    return h('li', {},
      h('a', {
        href: `#/r/${encodeURIComponent(r.id)}`, 'data-resident': r.id,
        class: `card resident${open ? ' alerting' : acknowledged ? ' taken' : ''}${selected === r.id ? ' selected' : ''}${a.worst === 0 ? ' sev-0' : ''}`,
      },
        h('span', { class: 'name' }, r.name),
        h('span', { class: 'badges' },
          open ? h('span', { class: 'badge alert', 'data-badge': 'open' }, t('list.open', { n: open })) : null,
          acknowledged ? h('span', { class: 'badge taken', 'data-badge': 'acknowledged' }, t('list.acknowledged', { n: acknowledged })) : null,
          unanswered ? h('span', { class: 'badge alert', 'data-badge': 'unanswered' }, t('alert.unanswered')) : null,
          !open && !acknowledged ? h('span', { class: 'badge quiet' }, t('list.quiet')) : null),
        h('span', { class: 'muted small' }, r.address || ''),
        (a.reasons.length || a.offline.length || a.neverSeen.length) ? h('span', { class: 'chips' },
          a.reasons.filter((x) => x.code !== 'devices_offline').map((x) => h('span', { class: 'chip' }, t(`reason.${x.code}`))),
          a.offline.length ? h('span', { class: 'chip', 'data-chip': 'offline' }, t('list.devicesOffline', { n: a.offline.length })) : null,
          a.neverSeen.length ? h('span', { class: 'chip', 'data-chip': 'never' }, t('list.devicesNeverSeen', { n: a.neverSeen.length })) : null) : null));
  }

  // ---- the casefile beside (desktop) or instead of (phone) the list --------------------------
  function show(residentId) {
    if (residentId === selected && closeCasefile) return true;
    closeCasefile?.();
    closeCasefile = null;
    // on a phone the casefile takes the list's place: coming back returns to where the list was
    if (residentId && !selected) listScroll = window.scrollY;
    const back = !residentId && selected;
    selected = residentId;
    split.classList.toggle('has-detail', Boolean(residentId));
    // the chosen resident's group opens, and the row is marked
    drawList();
    if (residentId) {
      closeCasefile = renderCasefile(detail, residentId);
      window.scrollTo({ top: 0 });
    } else {
      replace(detail, h('p', { class: 'muted placeholder' }, t('list.pick')));
      if (back) requestAnimationFrame(() => window.scrollTo({ top: listScroll }));
    }
    return true;
  }

  function drawAll() { drawBoard(); drawAreas(); drawList(); }
  // a burst of alarms is drawn once a frame, not once an alarm (the banners come first, in live.js)
  let alive = true;
  let due = null;
  const flush = () => {
    const d = due;
    due = null;
    if (!d || !alive) return;
    if (d.all) { drawAll(); return; }
    if (d.board) drawBoard();
    if (d.areas) drawAreas();
    if (d.list) drawList();
  };
  const later = (what) => {
    if (!due) { due = {}; requestAnimationFrame(flush); }
    Object.assign(due, what);
  };
  const unsubscribe = subscribe((change) => {
    if (change.type === 'all') later({ all: true });
    else if (change.type === 'alert') later({ board: true, list: true });
    else if (change.type === 'residents') later({ areas: true, list: true });
  });
  if (!store.loaded) loadAll().catch((err) => replace(board, failure(err)));
  drawAll();
  show(params.residentId);
  // "5 min ago" stays true
  const tick = setInterval(drawBoard, 60_000);
  view = { show };
  return () => {
    alive = false;
    unsubscribe();
    clearInterval(tick);
    closeCasefile?.();
    view = null;
  };
}
