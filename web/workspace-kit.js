// Small pieces the workspace screens share: the site's days, residents by id and the areas in
// use, the area filter, a link to a casefile.
import { t } from './i18n.js';
import { h, replace } from './dom.js';
import { api, failure } from './api.js';

/**
 * the site (its today, areas) and the residents, with "loading" on the screen meanwhile; on a
 * failure the screen says why and this answers null
 */
export async function loadSiteAndResidents(main) {
  replace(main, h('p', { class: 'muted' }, t('loading')));
  try {
    const [site, residents] = await Promise.all([api('GET', '/api/site'), api('GET', '/api/residents')]);
    return { site, residents };
  } catch (err) {
    replace(main, failure(err));
    return null;
  }
}

/** today on the site's calendar, as YYYY-MM-DD */
export function todayIn(timeZone) {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
    .formatToParts(new Date()).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}`;
}

export function addDays(date, n) {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** a date YYYY-MM-DD as people read it: 3月12日 周四 / Thu 12 Mar */
export function day(date) {
  const [y, m, d] = date.split('-').map(Number);
  return new Intl.DateTimeFormat(document.documentElement.lang === 'zh-CN' ? 'zh-CN' : 'en-GB', { timeZone: 'UTC', weekday: 'short', month: 'short', day: 'numeric' })
    .format(new Date(Date.UTC(y, m - 1, d)));
}

/** residents by id, and the areas in use, for names and the area filters */
export function residentIndex(items) {
  const byId = new Map(items.map((r) => [r.id, r]));
  const areas = [...new Set(items.map((r) => r.area).filter(Boolean))].sort((a, b) => a.localeCompare(b));
  return { byId, areas };
}

export function areaSelect(id, areas, value, onchange) {
  return h('select', { id, onchange: (e) => onchange(e.target.value) },
    h('option', { value: '' }, t('allAreas')),
    areas.map((a) => h('option', { value: a, ...(a === value ? { selected: true } : {}) }, a)));
}

export function residentLink(r, id) {
  return h('a', { href: `#/r/${encodeURIComponent(id)}`, class: 'who' }, r?.name ?? id);
}
