// Reminders: what falls due in the coming days (deadlines, visits by cycle, birthdays,
// festivals, follow-up appointments, the knock day), grouped by day, oldest first, and within a
// day by kind with its count. A district has hundreds of visits due: each group shows its first
// PAGE and more on request, so the screen draws in a fraction of the time every row would take.
// `#/reminders?all` draws every row (the list to print).
import { t, when } from '../i18n.js';
import { h, replace } from '../dom.js';
import { api, failure } from '../api.js';
import { addDays, day, residentIndex, residentLink, loadSiteAndResidents } from '../workspace-kit.js';

const PAGE = 20;
/** day-wide reminders first, then what is most pressing */
const KIND_ORDER = ['knock_day', 'festival', 'problem_deadline', 'follow_up_appointment', 'visit_due', 'birthday'];
const kindRank = (kind) => { const i = KIND_ORDER.indexOf(kind); return i < 0 ? KIND_ORDER.length : i; };

export async function renderReminders(main) {
  const showAll = /[?&]all\b/.test(location.hash);
  const loaded = await loadSiteAndResidents(main);
  if (!loaded) return;
  const { site, residents } = loaded;
  const { byId } = residentIndex(residents.items);
  const from = h('input', { type: 'date', id: 'rem-from', value: site.today });
  const to = h('input', { type: 'date', id: 'rem-to', value: addDays(site.today, 6) });
  const list = h('div', { id: 'reminders' });

  /** one kind on one day: its count, its first rows, a button for the rest */
  function group(kind, items, tz) {
    const rows = h('ul', { class: 'plain' });
    const more = h('button', { type: 'button', class: 'secondary more', 'data-more': kind });
    let shown = 0;
    const draw = (n) => {
      const next = Math.min(items.length, shown + n);
      rows.append(...items.slice(shown, next).map((item) => reminderRow(item, byId, tz)));
      shown = next;
      more.hidden = shown >= items.length;
      more.textContent = t('rem_more', { n: items.length - shown });
    };
    more.addEventListener('click', () => draw(PAGE * 5));
    draw(showAll ? items.length : PAGE);
    return h('div', { class: 'kind-group', 'data-group': kind },
      items.length > 1 ? h('h3', { class: 'small' }, t('rem_groupCount', { kind: t(`rem_${kind}`), n: items.length })) : null,
      rows, more);
  }

  async function load() {
    replace(list, h('p', { class: 'muted' }, t('loading')));
    try {
      const res = await api('GET', `/api/reminders?from=${from.value}&to=${to.value}`);
      const days = new Map();
      for (const item of res.items) {
        // what is already late is listed first, under "overdue"
        const key = (item.overdue && item.date < res.from) ? 'overdue' : item.date;
        if (!days.has(key)) days.set(key, new Map());
        const kinds = days.get(key);
        if (!kinds.has(item.kind)) kinds.set(item.kind, []);
        kinds.get(item.kind).push(item);
      }
      replace(list, res.items.length ? [...days.entries()].map(([date, kinds]) => h('section', { class: 'card day', 'data-day': date },
        h('h2', {}, date === 'overdue' ? t('rem_overdue') : `${day(date)}${date === res.today ? ` · ${t('today')}` : ''}`),
        [...kinds.entries()].sort((a, b) => kindRank(a[0]) - kindRank(b[0])).map(([kind, items]) => group(kind, items, res.timezone))))
        : h('p', { class: 'muted card' }, t('rem_none')));
    } catch (err) { replace(list, failure(err)); }
  }
  for (const el of [from, to]) el.addEventListener('change', load);
  replace(main,
    h('h1', {}, t('nav_reminders')),
    h('div', { class: 'two card' }, h('div', {}, h('label', { for: 'rem-from' }, t('from')), from), h('div', {}, h('label', { for: 'rem-to' }, t('to')), to)),
    site.workingDay && !site.workingDay.working ? h('p', { class: 'muted small' }, t(`dayoff_${site.workingDay.reason}`)) : null,
    showAll ? null : h('p', { class: 'small' }, h('a', { href: '#/reminders?all', id: 'rem-all' }, t('rem_showAll'))),
    list);
  await load();
}

function reminderRow(item, byId, tz) {
  const who = item.residentId ? residentLink(byId.get(item.residentId), item.residentId) : null;
  let text;
  switch (item.kind) {
    case 'problem_deadline':
      text = [h('strong', { class: 'wt' }, item.problemId), ' ', item.description, ' · ', t('responsibleIs', { who: item.responsible }), ' · ',
        h('span', { class: `chip ${item.overdue ? 'status-open' : item.within24h ? 'status-acknowledged' : ''}` },
          item.overdue ? t('problem.overdue') : t('problem.due', { date: when(item.due, tz) }))];
      break;
    case 'visit_due':
      text = item.neverVisited ? t('rem_neverVisited') : [t('rem_visitDue', { days: item.visitCycleDays }), ' ', item.overdue ? h('span', { class: 'chip status-open' }, t('problem.overdue')) : ''];
      break;
    case 'birthday':
      text = t('rem_birthdayAge', { age: item.age });
      break;
    case 'festival':
      text = [h('strong', {}, t(`fest_${item.festival}`)), ' · ', t('rem_festival', { n: item.residentIds.length })];
      break;
    case 'follow_up_appointment':
      text = [t('rem_appointment'), item.time ? ` ${item.time}` : '', item.place ? ` · ${item.place}` : '', item.note ? ` · ${item.note}` : ''];
      break;
    case 'knock_day':
      text = [h('strong', {}, t('rem_knockDay')), ' · ', t('rem_knockResidents', { n: item.residentIds.length, areas: item.areas.length }), ' ',
        h('a', { href: '#/rounds' }, item.rounds.length ? t('rem_openRound') : t('rem_startRound'))];
      break;
    default:
      text = item.kind;
  }
  return h('li', { class: `reminder kind-${item.kind}`, 'data-kind': item.kind },
    h('span', { class: 'what' }, h('span', { class: 'kind-label' }, t(`rem_${item.kind}`)), who ? [' · ', who] : null, h('span', { class: 'block' }, text)));
}
