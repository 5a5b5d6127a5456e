// One resident's casefile: alerts to act on, activity by hour, open problems, the visit form
// and the merged timeline (device events, alerts, texts, visits, problems), newest first.
import { t } from './i18n.js';
import { h, svg, replace, when } from './dom.js';
import { api, failure } from './api.js';
import { visitForm } from './visit-form.js';
import { casefileFields, problemTools } from './casefile-fields.js';

const FILTERS = {
  filterAll: null,
  filterDevices: 'device_event',
  filterAlerts: 'alert,alert_update,alert_resolved,acknowledgement,notification,escalation,delivery,reply,note',
  filterVisits: 'visit,problem,problem_update,problem_referral,referral_update,casefile_update',
};

export async function renderCasefile(main, residentId, admin = false) {
  replace(main, h('p', { class: 'muted' }, t('loading')));
  let resident;
  try {
    resident = await api('GET', `/api/residents/${residentId}`);
  } catch (err) {
    replace(main, h('a', { href: '#/', class: 'back' }, t('back')), failure(err));
    return;
  }
  const tz = resident.timezone;
  const alertsBox = h('section', { id: 'alerts', class: 'card' });
  const chartBox = h('section', { id: 'activity', class: 'card' });
  const problemsBox = h('section', { id: 'problems', class: 'card' });
  const timelineList = h('ol', { id: 'timeline', class: 'timeline' });
  const moreButton = h('button', { type: 'button', class: 'secondary', hidden: true }, t('more'));
  let alerts = new Map();
  let filter = null;
  let nextBefore = null;

  async function loadAlerts() {
    try {
      const { items } = await api('GET', `/api/alerts?residentId=${residentId}`);
      alerts = new Map(items.map((a) => [a.id, a]));
    } catch (err) {
      alerts = new Map();
      if (!/404|not found/i.test(err.message)) replace(alertsBox, failure(err));
      return;
    }
    const needing = [...alerts.values()].filter((a) => a.status !== 'resolved');
    replace(alertsBox, h('h2', {}, t('alerts')),
      needing.length
        ? h('ul', { class: 'plain' }, needing.map((a) => h('li', { class: `alert-row status-${a.status}` },
          h('strong', {}, t(`kind_${a.kind}`)), ' ', a.deviceId ? `(${a.deviceId}) ` : '',
          h('span', { class: `chip status-${a.status}` }, t(`status_${a.status}`)), ' ',
          h('time', { class: 'muted small block' }, when(a.openedAt, tz)),
          alertButtons(a))))
        : h('p', { class: 'muted' }, t('noAlerts')));
  }

  function alertButtons(a) {
    if (!a || a.status === 'resolved') return null;
    const act = (action) => async (event) => {
      event.target.disabled = true;
      try {
        await api('POST', `/api/alerts/${a.id}/${action}`, {});
      } catch (err) {
        event.target.after(failure(err) ?? '');
      }
      await Promise.all([loadAlerts(), loadTimeline(true)]);
    };
    return h('span', { class: 'actions' },
      a.status === 'open' && h('button', { type: 'button', class: 'primary', 'data-action': 'acknowledge', 'data-alert': a.id, onclick: act('acknowledge') }, t('acknowledge')),
      h('button', { type: 'button', class: 'secondary', 'data-action': 'resolve', 'data-alert': a.id, onclick: act('resolve') }, t('resolve')));
  }

  async function loadChart() {
    try {
      const activity = await api('GET', `/api/residents/${residentId}/activity?days=28`);
      replace(chartBox, h('h2', {}, t('activity', { days: activity.days })), activityChart(activity.hours),
        h('p', { class: 'muted small' }, t('activityTotal', { n: activity.total })));
    } catch (err) {
      replace(chartBox, failure(err));
    }
  }

  async function loadProblems() {
    try {
      const file = await api('GET', `/api/residents/${residentId}/casefile`);
      // open problems by deadline, each with its referrals
      const items = file.openProblems;
      replace(problemsBox, h('h2', {}, t('problems')),
        items.length ? h('ul', { class: 'plain' }, items.map((p) => h('li', { class: 'problem', 'data-problem': p.id },
          h('strong', {}, p.id), ` · ${t(`cat_${p.category}`)} · `,
          h('span', { class: `chip ${p.overdue ? 'status-open' : ''}` }, p.overdue ? t('overdue') : t('due', { date: when(p.deadline, tz) })),
          ' ', h('span', { class: 'chip' }, t(`status_${p.status}`)),
          h('div', {}, p.description),
          p.status === 'pending' && h('span', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', onclick: () => move(p.id, 'in_progress') }, t('startProblem'))),
          problemTools(p, async () => { await Promise.all([loadProblems(), loadTimeline(true), fields.load()]); }),
        ))) : h('p', { class: 'muted' }, t('noProblems')));
      form.setOpenProblems(items);
    } catch (err) {
      replace(problemsBox, failure(err));
    }
  }

  async function move(problemId, status) {
    try {
      await api('PATCH', `/api/problems/${problemId}`, { status });
    } catch (err) {
      problemsBox.append(failure(err) ?? '');
    }
    await Promise.all([loadProblems(), loadTimeline(true)]);
  }

  async function loadTimeline(fresh) {
    if (fresh) nextBefore = null;
    const query = new URLSearchParams({ limit: '30' });
    if (filter) query.set('type', filter);
    if (nextBefore) query.set('before', nextBefore);
    try {
      const page = await api('GET', `/api/residents/${residentId}/timeline?${query}`);
      const entries = page.items.map((item) => timelineEntry(item, tz, alertButtons(item.alertId && item.type === 'alert' ? alerts.get(item.alertId) : null)));
      if (fresh) replace(timelineList, entries); else timelineList.append(...entries);
      nextBefore = page.nextBefore;
      moreButton.hidden = !nextBefore;
    } catch (err) {
      replace(timelineList, failure(err));
    }
  }
  moreButton.addEventListener('click', () => loadTimeline(false));

  const filters = h('div', { class: 'filters', role: 'group' }, Object.entries(FILTERS).map(([label, types]) =>
    h('button', {
      type: 'button', class: `chip-button${types === filter ? ' on' : ''}`, 'aria-pressed': String(types === filter),
      onclick: (event) => {
        filter = types;
        for (const b of filters.children) { b.classList.remove('on'); b.setAttribute('aria-pressed', 'false'); }
        event.target.classList.add('on');
        event.target.setAttribute('aria-pressed', 'true');
        loadTimeline(true);
      },
    }, t(label))));

  const fields = casefileFields(residentId, admin);
  const form = visitForm(residentId, tz, async () => { await Promise.all([loadProblems(), loadTimeline(true)]); });

  replace(main,
    h('a', { href: '#/', class: 'back' }, t('back')),
    h('h1', {}, resident.name),
    h('p', { class: 'muted' }, [resident.area, resident.address].filter(Boolean).join(' · ')),
    alertsBox, fields.elements[0], chartBox, form.element, problemsBox, fields.elements[2], fields.elements[1],
    h('section', { class: 'card' }, h('h2', {}, t('timeline')), filters, timelineList, moreButton),
  );
  await loadAlerts();
  await Promise.all([loadChart(), loadProblems(), loadTimeline(true), fields.load()]);
}

/** 24 bars, local hours 0-23; heights relative to the busiest hour */
function activityChart(hours) {
  const max = Math.max(1, ...hours);
  const bars = hours.map((n, hour) => {
    const height = Math.round((n / max) * 80);
    return svg('rect', { x: hour * 10 + 1, y: 90 - height, width: 8, height: Math.max(height, n ? 1 : 0), class: 'bar' },
      svg('title', {}, `${String(hour).padStart(2, '0')}:00 · ${n}`));
  });
  const labels = [0, 6, 12, 18, 23].map((hour) => svg('text', { x: hour * 10 + 5, y: 104, 'text-anchor': 'middle', class: 'axis' }, String(hour)));
  return svg('svg', { viewBox: '0 0 240 110', class: 'chart', role: 'img', 'aria-label': hours.join(', ') },
    svg('line', { x1: 0, x2: 240, y1: 90.5, y2: 90.5, class: 'baseline' }), ...bars, ...labels);
}

function describeReadings(r = {}) {
  const out = [];
  if (r.test) return [t('ev_test')];
  if (r.contact === false) out.push(t('ev_open'));
  if (r.contact === true) out.push(t('ev_closed'));
  if (r.occupancy === true) out.push(t('ev_motion'));
  if (r.occupancy === false) out.push(t('ev_still'));
  if (r.smoke === true) out.push(t('ev_smoke'));
  if (r.smoke === false) out.push(t('ev_smokeClear'));
  if (r.sos === true) out.push(t('ev_sos'));
  if (r.action) out.push(t('ev_button', { action: r.action }));
  if (r.tamper === true) out.push(t('ev_tamper'));
  if (r.battery_low === true) out.push(t('ev_batteryLow'));
  if (typeof r.battery === 'number') out.push(t('ev_battery', { n: r.battery }));
  return out;
}

function timelineEntry(item, tz, buttons) {
  let summary;
  let detail = null;
  switch (item.type) {
    case 'device_event':
      summary = `${item.deviceId}: ${item.availability ? t(`ev_${item.availability}`) : describeReadings(item.readings).join(', ')}`;
      break;
    case 'alert':
    case 'alert_update':
    case 'alert_resolved':
      summary = [t(`kind_${item.kind}`), item.deviceId && `(${item.deviceId})`, item.note, item.reason, item.by && t('by', { who: item.by })].filter(Boolean).join(' ');
      break;
    case 'acknowledgement':
      summary = [t(`kind_${item.kind}`), t('by', { who: item.by }), item.secondsToAcknowledge !== undefined && t('afterSeconds', { n: item.secondsToAcknowledge })].filter(Boolean).join(' · ');
      break;
    case 'visit':
      summary = t('visitBy', { purpose: t(`purpose_${item.purpose}`) === `purpose_${item.purpose}` ? item.purpose : t(`purpose_${item.purpose}`), who: item.visitor });
      detail = [item.notes, ...(item.problems ?? [])].filter(Boolean).join(' · ');
      break;
    case 'problem':
      summary = `${item.problemId} · ${t(`cat_${item.category}`)} · ${t(`urg_${item.urgency}`)}`;
      detail = `${item.description} — ${t('due', { date: when(item.deadline, tz) })}`;
      break;
    case 'problem_update':
      summary = `${item.problemId} → ${t(`status_${item.status}`)}`;
      detail = [item.resolution, item.by && t('by', { who: item.by }), item.satisfaction && `★ ${item.satisfaction}/5`].filter(Boolean).join(' · ');
      break;
    case 'problem_referral':
    case 'referral_update':
      summary = `${item.problemId} ↗ ${t(`dept_${item.department}`)}`;
      detail = [item.takenBy, item.answered && t('ref_answered'), item.by && t('by', { who: item.by })].filter(Boolean).join(' · ');
      break;
    case 'casefile_update':
      summary = item.fields.map((f) => t(`cf_${f}`)).join(', ');
      detail = item.by && t('by', { who: item.by });
      break;
    default:
      summary = [item.kind && t(`kind_${item.kind}`), item.note, item.body, item.event, item.status, item.to && '✉'].filter(Boolean).join(' · ');
  }
  return h('li', { class: `entry type-${item.type}`, 'data-type': item.type },
    h('time', { datetime: item.at }, when(item.at, tz)),
    h('span', { class: 'kind' }, t(`t_${item.type}`)),
    h('span', { class: 'summary' }, summary),
    detail && h('span', { class: 'detail' }, detail),
    buttons);
}
