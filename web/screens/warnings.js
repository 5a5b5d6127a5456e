// Data warnings (数据预警): long unvisited, overdue problems, problems clustering in one area,
// activity declining week over week; most severe first, by area.
import { t, when } from '../i18n.js';
import { h, replace } from '../dom.js';
import { api, failure } from '../api.js';
import { areaSelect, residentIndex, residentLink } from '../workspace-kit.js';

let chosenArea = '';

export async function renderWarnings(main) {
  replace(main, h('p', { class: 'muted' }, t('loading')));
  let residents;
  try { residents = await api('GET', '/api/residents'); } catch (err) { replace(main, failure(err)); return; }
  const { byId, areas } = residentIndex(residents.items);
  const list = h('ul', { id: 'warnings', class: 'plain' });
  const counts = h('div', { class: 'chips', id: 'warning-counts' });

  async function load() {
    try {
      const res = await api('GET', `/api/warnings${chosenArea ? `?area=${encodeURIComponent(chosenArea)}` : ''}`);
      replace(counts, Object.entries(res.counts).map(([code, n]) => h('span', { class: 'chip' }, `${t(`warn_${code}`)}: ${n}`)));
      replace(list, res.items.length ? res.items.map((w) => {
        const tz = byId.get(w.residentId)?.timezone ?? 'UTC';
        return h('li', { class: `card warning sev-${w.severity}`, 'data-code': w.code },
          h('strong', {}, t(`warn_${w.code}`)), ' · ',
          w.residentId ? residentLink(byId.get(w.residentId), w.residentId) : h('span', {}, w.area),
          h('span', { class: 'block' }, warningText(w, tz)));
      }) : h('li', { class: 'card muted' }, t('warn_none')));
    } catch (err) { replace(list, failure(err)); }
  }
  replace(main, h('h1', {}, t('nav_warnings')),
    h('div', { class: 'card' }, h('label', { for: 'warn-area' }, t('area')), areaSelect('warn-area', areas, chosenArea, (v) => { chosenArea = v; load(); })),
    counts, list);
  await load();
}

function warningText(w, tz) {
  switch (w.code) {
    case 'long_unvisited': return w.lastVisitAt ? t('warn_long_unvisited_text', { days: w.days, cycle: w.visitCycleDays }) : t('warn_never_text', { days: w.days });
    case 'problem_overdue': return t('warn_problem_overdue_text', { id: w.problemId, hours: w.hoursOverdue, who: w.responsible, date: when(w.deadline, tz) });
    case 'problem_cluster': return t('warn_problem_cluster_text', { n: w.problems, category: t(`cat.${w.category}`), residents: w.residents, days: w.days });
    case 'activity_decline': return t('warn_activity_decline_text', { weeks: w.weekly.join(' → ') });
    default: return '';
  }
}
