// Planning: who to visit next, most urgent first, with the reasons, the last and the next
// visit; filtered by area. The list a caseworker takes out in the morning.
import { t, when } from '../i18n.js';
import { h, replace } from '../dom.js';
import { api, failure } from '../api.js';
import { areaSelect, residentIndex } from '../workspace-kit.js';

let chosenArea = '';
/** a morning's list: the most urgent first, more on request */
const PAGE = 50;

export async function renderPlanning(main) {
  replace(main, h('p', { class: 'muted' }, t('loading')));
  const t0 = performance.now();
  const due = (area) => api('GET', `/api/visits/due${area ? `?area=${encodeURIComponent(area)}` : ''}`);
  let residents;
  let first;
  try { [residents, first] = await Promise.all([api('GET', '/api/residents'), due(chosenArea)]); } catch (err) { replace(main, failure(err)); return; }
  const { byId, areas } = residentIndex(residents.items);
  const list = h('ol', { id: 'planning', class: 'plain' });
  const summary = h('p', { class: 'muted small', id: 'planning-summary' });
  const more = h('button', { type: 'button', class: 'secondary', id: 'planning-more', hidden: true }, t('showMore'));
  let items = [];
  let shown = 0;

  function showMore() {
    const next = items.slice(shown, shown + PAGE);
    list.append(...next.map((item, i) => card(item, shown + i)));
    shown += next.length;
    more.hidden = shown >= items.length;
  }
  more.addEventListener('click', showMore);

  function card(item, i) {
    const tz = byId.get(item.residentId)?.timezone ?? 'UTC';
    return h('li', { class: 'card due', 'data-resident': item.residentId },
      h('div', { class: 'row' }, h('span', { class: 'rank' }, String(i + 1)),
        h('a', { href: `#/r/${encodeURIComponent(item.residentId)}`, class: 'name' }, item.name),
        h('span', { class: 'score', title: t('score') }, String(Math.round(item.score)))),
      h('span', { class: 'muted small block' }, [item.area, item.address].filter(Boolean).join(' · ')),
      h('span', { class: 'chips' }, item.reasons.map((r) => h('span', { class: `chip reason-${r.code}` }, reasonText(r)))),
      h('span', { class: 'muted small block' },
        item.lastVisitAt ? t('lastVisit', { date: when(item.lastVisitAt, tz) }) : t('reason.never_visited'),
        item.nextVisitDue ? ` · ${t('nextVisit', { date: when(item.nextVisitDue, tz) })}` : ''));
  }

  function draw(res, started) {
    items = res.items;
    shown = 0;
    list.replaceChildren();
    showMore();
    replace(summary, t('planningCount', { n: items.length, ms: Math.round(performance.now() - started) }));
  }
  async function load() {
    const started = performance.now();
    try { draw(await due(chosenArea), started); } catch (err) { replace(list, failure(err)); }
  }
  replace(main,
    h('h1', {}, t('nav_planning')),
    h('div', { class: 'card' }, h('label', { for: 'plan-area' }, t('area')), areaSelect('plan-area', areas, chosenArea, (v) => { chosenArea = v; load(); })),
    summary, list, more);
  draw(first, t0);
}

export function reasonText(r) {
  switch (r.code) {
    case 'visit_overdue': return t('reason_visit_overdue_days', { n: r.daysOverdue });
    case 'problems_overdue': return t('reason_problems_overdue_n', { n: r.problems.length });
    case 'open_alerts': return `${t('reason.open_alerts')}: ${r.alerts.map((a) => t(`kind.${a.kind}`)).join(', ')}`;
    case 'devices_offline': return t('reason_devices_offline_n', { n: r.devices.length });
    case 'low_activity': return t('reason_low_activity_n', { last: r.lastWeek, usual: r.usualWeekly });
    default: return t(`reason.${r.code}`);
  }
}
