// Reminders: what falls due in the coming days (deadlines, visits by cycle, birthdays,
// festivals, follow-up appointments, the knock day), grouped by day, oldest first.
import { t, when } from '../i18n.js';
import { h, replace } from '../dom.js';
import { api, failure } from '../api.js';
import { addDays, day, residentIndex, residentLink } from '../workspace-kit.js';

export async function renderReminders(main) {
  replace(main, h('p', { class: 'muted' }, t('loading')));
  let site;
  let residents;
  try {
    [site, residents] = await Promise.all([api('GET', '/api/site'), api('GET', '/api/residents')]);
  } catch (err) { replace(main, failure(err)); return; }
  const { byId } = residentIndex(residents.items);
  const from = h('input', { type: 'date', id: 'rem-from', value: site.today });
  const to = h('input', { type: 'date', id: 'rem-to', value: addDays(site.today, 6) });
  const list = h('div', { id: 'reminders' });

  async function load() {
    replace(list, h('p', { class: 'muted' }, t('loading')));
    try {
      const res = await api('GET', `/api/reminders?from=${from.value}&to=${to.value}`);
      const days = new Map();
      for (const item of res.items) {
        // what is already late is listed first, under "overdue"
        const key = (item.overdue && item.date < res.from) ? 'overdue' : item.date;
        if (!days.has(key)) days.set(key, []);
        days.get(key).push(item);
      }
      replace(list, res.items.length ? [...days.entries()].map(([date, items]) => h('section', { class: 'card day', 'data-day': date },
        h('h2', {}, date === 'overdue' ? t('rem_overdue') : `${day(date)}${date === res.today ? ` · ${t('today')}` : ''}`),
        h('ul', { class: 'plain' }, items.map((item) => reminderRow(item, byId, res.timezone))))) : h('p', { class: 'muted card' }, t('rem_none')));
    } catch (err) { replace(list, failure(err)); }
  }
  for (const el of [from, to]) el.addEventListener('change', load);
  replace(main,
    h('h1', {}, t('nav_reminders')),
    h('div', { class: 'two card' }, h('div', {}, h('label', { for: 'rem-from' }, t('from')), from), h('div', {}, h('label', { for: 'rem-to' }, t('to')), to)),
    site.workingDay && !site.workingDay.working ? h('p', { class: 'muted small' }, t(`dayoff_${site.workingDay.reason}`)) : null,
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
