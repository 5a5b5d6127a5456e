// One resident's casefile: alerts to act on (live), devices by name and room, activity by
// hour, the quick and the full visit forms (kept on the phone when offline), open problems and
// the merged timeline (device events, alerts, texts, visits, problems), newest first.
import { t, when, tCode, has } from '../i18n.js';
import { h, svg, replace } from '../dom.js';
import { api, failure, isAdmin } from '../api.js';
import { casefileFields, problemTools, photoTools } from '../casefile-fields.js';
import { store, subscribe } from '../store.js';
import { alertButtons } from '../alert-actions.js';
import { kindLabel, deviceLabel, devicesById, describeReadings, noteLabel, whoLabel, actionLabel } from '../labels.js';
import { visitForm, quickVisitForm } from '../visit-form.js';
import { pendingVisitsPanel } from '../outbox.js';

const FILTERS = {
  'timeline.filterAll': null,
  'timeline.filterDevices': 'device_event',
  'timeline.filterAlerts': 'alert,alert_update,alert_resolved,acknowledgement,notification,escalation,delivery,reply,note',
  'timeline.filterVisits': 'visit,problem,problem_update,problem_referral,referral_update,casefile_update',
};

/** draws the casefile into `container`; returns the function that stops its live updates */
export function renderCasefile(container, residentId) {
  let stopped = false;
  let unsubscribe = () => {};
  replace(container, h('p', { class: 'muted' }, t('loading')));
  (async () => {
    let resident;
    try {
      resident = await api('GET', `/api/residents/${residentId}`);
    } catch (err) {
      if (!stopped) replace(container, h('a', { href: '#/', class: 'back' }, t('back')), failure(err));
      return;
    }
    if (stopped) return;
    unsubscribe = draw(container, resident);
  })();
  return () => { stopped = true; unsubscribe(); };
}

function draw(container, resident) {
  const residentId = resident.id;
  const tz = resident.timezone;
  const devices = devicesById(resident);
  const alertsBox = h('section', { id: 'alerts', class: 'card' });
  const devicesBox = h('section', { id: 'devices', class: 'card' });
  const chartBox = h('section', { id: 'activity', class: 'card' });
  const problemsBox = h('section', { id: 'problems', class: 'card' });
  const timelineList = h('ol', { id: 'timeline', class: 'timeline' });
  const moreButton = h('button', { type: 'button', class: 'secondary', hidden: true }, t('timeline.more'));
  let filter = null;
  let nextBefore = null;
  let alertRows = new Map();

  function drawAlerts() {
    const needing = store.unresolved(residentId);
    alertRows = new Map(needing.map((a) => [a.id, a]));
    const { open, acknowledged } = store.counts(residentId);
    replace(alertsBox, h('h2', {}, t('casefile.alerts')),
      needing.length ? h('p', { class: 'counts' }, t('board.open', { n: open }), ' · ', t('board.acknowledged', { n: acknowledged })) : null,
      needing.length
        ? h('ul', { class: 'plain' }, needing.map((a) => h('li', { class: `alert-row status-${a.status}${a.unanswered ? ' unanswered' : ''}`, 'data-alert': a.id, 'data-kind': a.kind },
          h('strong', {}, kindLabel(a.kind, a.detail)), ' ',
          a.deviceId ? h('span', { class: 'device' }, deviceLabel(devices.get(a.deviceId), a.deviceId)) : null, ' ',
          h('span', { class: `chip status-${a.status}` }, t(`status.${a.status}`)), ' ',
          a.unanswered ? h('span', { class: 'chip flag-unanswered' }, t('alert.unanswered')) : null,
          a.acknowledgedBy ? h('span', { class: 'chip' }, t('alert.takenBy', { who: whoLabel(a.acknowledgedBy) })) : null,
          h('time', { class: 'muted small block', datetime: a.openedAt }, when(a.openedAt, tz)),
          alertButtons(a))))
        : h('p', { class: 'muted' }, t('casefile.noAlerts')));
  }

  function drawDevices() {
    const list = resident.devices;
    replace(devicesBox, h('h2', {}, t('casefile.devices')),
      list.length ? h('ul', { class: 'plain devices' }, list.map((d) => h('li', { class: 'device-row', 'data-device': d.id },
        h('span', { class: 'device-name' }, deviceLabel(d)),
        // a device that reports but never said online or offline is judged by when it was last heard
        d.lastSeen === null
          ? h('span', { class: 'chip avail-never' }, t('device.neverSeen'))
          : d.availability !== 'unknown' && h('span', { class: `chip avail-${d.availability}` }, tCode('availability', d.availability, {}, 'availability.unknown')),
        typeof d.battery === 'number' ? h('span', { class: `chip${d.battery <= 20 ? ' status-open' : ''}` }, t('ev.battery', { n: d.battery })) : null,
        d.lastSeen ? h('span', { class: 'muted small' }, t('device.lastSeen', { when: when(d.lastSeen, tz) })) : null)))
        : h('p', { class: 'muted' }, t('casefile.noDevices')));
  }

  async function loadChart() {
    try {
      const activity = await api('GET', `/api/residents/${residentId}/activity?days=28`);
      replace(chartBox, h('h2', {}, t('casefile.activity', { days: activity.days })), activityChart(activity.hours),
        h('p', { class: 'muted small' }, t('casefile.activityTotal', { n: activity.total })));
    } catch (err) {
      replace(chartBox, failure(err));
    }
  }

  async function loadProblems() {
    try {
      // open problems by deadline, each with its referrals
      const { openProblems: items } = await api('GET', `/api/residents/${residentId}/casefile`);
      replace(problemsBox, h('h2', {}, t('casefile.problems')),
        items.length ? h('ul', { class: 'plain' }, items.map((p) => h('li', { class: 'problem', 'data-problem': p.id },
          h('strong', {}, p.id), ` · ${tCode('cat', p.category, {}, 'cat.other')} · `,
          h('span', { class: `chip ${p.overdue ? 'status-open' : ''}` }, p.overdue ? t('problem.overdue') : t('problem.due', { date: when(p.deadline, tz) })),
          ' ', h('span', { class: 'chip' }, t(`status.${p.status}`)),
          h('div', {}, p.description),
          p.status === 'pending' && h('span', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', onclick: () => move(p.id, 'in_progress') }, t('problem.start'))),
          // solve (asks what was done and how satisfied the resident is), refer, photos
          problemTools(p, async () => { await Promise.all([loadProblems(), loadTimeline(true), fields.load()]); }),
        ))) : h('p', { class: 'muted' }, t('casefile.noProblems')));
      full.setOpenProblems(items);
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

  let timelineToken = 0;
  async function loadTimeline(fresh) {
    const token = ++timelineToken;
    if (fresh) nextBefore = null;
    const query = new URLSearchParams({ limit: '30' });
    if (filter) query.set('type', filter);
    if (nextBefore) query.set('before', nextBefore);
    try {
      const page = await api('GET', `/api/residents/${residentId}/timeline?${query}`);
      // a newer load (a live event) started meanwhile: it draws, not this one
      if (token !== timelineToken) return;
      const entries = page.items.map((item) => timelineEntry(item, tz, devices,
        item.type === 'alert' && alertRows.has(item.alertId) ? alertButtons(alertRows.get(item.alertId)) : null));
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
        event.currentTarget.classList.add('on');
        event.currentTarget.setAttribute('aria-pressed', 'true');
        loadTimeline(true);
      },
    }, t(label))));

  const fields = casefileFields(residentId, isAdmin());
  const saved = async () => { await Promise.all([loadProblems(), loadTimeline(true), fields.load()]); };
  const quick = quickVisitForm(resident, saved);
  const full = visitForm(resident, saved);

  replace(container,
    h('a', { href: '#/', class: 'back' }, t('back')),
    h('header', { class: 'casefile-head' },
      h('h1', { id: 'resident-name' }, resident.name),
      h('p', { class: 'muted' }, [resident.area, resident.address].filter(Boolean).join(' · '))),
    h('div', { class: 'casefile-grid' },
      h('div', { class: 'col' }, alertsBox, quick.element, pendingVisitsPanel(residentId), full.element, problemsBox, fields.appointments),
      h('div', { class: 'col' }, fields.profile, devicesBox, chartBox,
        h('section', { class: 'card' }, h('h2', {}, t('casefile.timeline')), filters, timelineList, moreButton))),
  );
  drawAlerts();
  drawDevices();
  loadChart();
  loadProblems();
  loadTimeline(true);
  fields.load();

  // live: an alert or a visit of this resident redraws what it touches, within the second
  let pending = null;
  const reload = (what) => {
    if (!pending) {
      pending = {};
      // once a frame however many events came: a burst is one redraw
      requestAnimationFrame(() => {
        const p = pending;
        pending = null;
        if (p.alerts) drawAlerts();
        if (p.problems) loadProblems();
        if (p.timeline) loadTimeline(true);
      });
    }
    Object.assign(pending, what);
  };
  return subscribe((change) => {
    if (change.type === 'all') reload({ alerts: true, timeline: true });
    else if (change.type === 'alert' && change.alert.residentId === residentId) reload({ alerts: true, timeline: !change.quiet });
    else if ((change.type === 'visit' || change.type === 'problem') && change.residentId === residentId) reload({ problems: true, timeline: true });
  });
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
  return svg('svg', { viewBox: '0 0 240 110', class: 'chart', role: 'img', 'aria-label': t('casefile.activityLabel') },
    svg('line', { x1: 0, x2: 240, y1: 90.5, y2: 90.5, class: 'baseline' }), ...bars, ...labels);
}

function stepText(item) {
  if (item.step === null || item.step === undefined || item.step < 0) return '';
  return item.repeat ? t('step.repeat', { n: item.step + 1, r: item.repeat }) : t('step.n', { n: item.step + 1 });
}

const roleLabel = (role) => (role ? tCode('role', role, {}, 'role.other') : '');

function timelineEntry(item, tz, devices, buttons) {
  let summary;
  let detail = null;
  let title = null;
  const device = item.deviceId ? deviceLabel(devices.get(item.deviceId), item.deviceId) : '';
  switch (item.type) {
    case 'device_event':
      summary = `${device}${t('list.colon')}${item.availability ? tCode('availability', item.availability, {}, 'availability.unknown') : describeReadings(item.readings).join(t('list.sep'))}`;
      break;
    case 'alert':
      summary = [kindLabel(item.kind), device, item.detail?.action ? actionLabel(item.detail.action) : ''].filter(Boolean).join(' · ');
      break;
    case 'alert_update':
      summary = [kindLabel(item.kind), noteLabel(item.note)].filter(Boolean).join(' · ');
      break;
    case 'alert_resolved':
      summary = [kindLabel(item.kind), item.by && t('by', { who: whoLabel(item.by) }), item.reason && noteLabel(item.reason)].filter(Boolean).join(' · ');
      detail = item.note ?? null;
      break;
    case 'acknowledgement':
      summary = [kindLabel(item.kind), t('by', { who: whoLabel(item.by) }), item.via && tCode('via', item.via, {}, 'via.other'),
        item.secondsToAcknowledge !== undefined && t('afterSeconds', { n: item.secondsToAcknowledge })].filter(Boolean).join(' · ');
      break;
    case 'notification':
      summary = [item.contact, roleLabel(item.role), tCode('channel', item.channel, {}, 'channel.sms'), stepText(item),
        tCode('purpose', item.purpose, {}, 'purpose.alert'), tCode('send', item.status, {}, 'send.other')].filter(Boolean).join(' · ');
      title = item.reason ?? null;
      break;
    case 'delivery':
      summary = [item.contact, roleLabel(item.role), tCode('channel', item.channel, {}, 'channel.sms'), tCode('send', item.status, {}, 'send.other')].filter(Boolean).join(' · ');
      title = item.errorCode ?? null;
      break;
    case 'reply':
      summary = [item.contact, roleLabel(item.role), tCode('channel', item.channel, {}, 'channel.sms'), tCode('reply', item.action, {}, 'reply.other')].filter(Boolean).join(' · ');
      break;
    case 'escalation':
      summary = [kindLabel(item.kind), tCode('escalation', item.event, { n: (item.step ?? 0) + 1, r: item.repeat ?? 0, told: item.told ?? 0 }, 'escalation.other'),
        item.roles && item.roles.map(roleLabel).join(t('list.and')), item.reached !== undefined && t('escalation.reached', { n: item.reached }),
        item.passedOn && noteLabel(item.passedOn), item.reason && noteLabel(item.reason)].filter(Boolean).join(' · ');
      break;
    case 'note':
      summary = [device, noteLabel(item.note)].filter(Boolean).join(' · ');
      break;
    case 'visit':
      // a purpose is one of the form's three, or words the visitor typed
      summary = t('visit.by', { purpose: has(`visitPurpose.${item.purpose}`) ? t(`visitPurpose.${item.purpose}`) : item.purpose, who: item.visitor });
      detail = [item.endedAt && t('visit.until', { when: when(item.endedAt, tz) }), item.notes, ...(item.problems ?? [])].filter(Boolean).join(' · ');
      // the visit's photos, and a button that takes one with the phone's camera
      if (item.visitId) {
        const photos = photoTools(`/api/visits/${item.visitId}/photos`, `visit-photo-${item.visitId}`);
        buttons = h('div', { class: 'visit-photos' }, h('span', { class: 'actions' }, photos.button), photos.photos);
      }
      break;
    case 'problem':
      summary = `${item.problemId} · ${tCode('cat', item.category, {}, 'cat.other')} · ${tCode('urg', item.urgency, {}, 'urg.normal')}`;
      detail = `${item.description} — ${t('problem.due', { date: when(item.deadline, tz) })}`;
      break;
    case 'problem_update':
      summary = `${item.problemId} → ${t(`status.${item.status}`)}`;
      detail = [item.resolution, item.by && t('by', { who: whoLabel(item.by) }), item.satisfaction && `★ ${item.satisfaction}/5`].filter(Boolean).join(' · ');
      break;
    case 'problem_referral':
    case 'referral_update':
      summary = `${item.problemId} ↗ ${t(`dept_${item.department}`)}`;
      detail = [item.takenBy, item.answered && t('ref_answered'), item.by && t('by', { who: whoLabel(item.by) })].filter(Boolean).join(' · ');
      break;
    case 'absence_planned':
      // `until` is the first moment back (the next midnight for a day): the last day away is the one before it
      summary = [item.until && t('absence.until', { when: when(new Date(Date.parse(item.until) - 1).toISOString(), tz, { dateOnly: true }) }),
        item.by && t('by', { who: whoLabel(item.by) }), item.via && tCode('via', item.via, {}, 'via.other')].filter(Boolean).join(' · ');
      break;
    case 'absence_cancelled':
    case 'absence_ended':
      summary = [item.by && t('by', { who: whoLabel(item.by) }), item.via && tCode('via', item.via, {}, 'via.other')].filter(Boolean).join(' · ');
      break;
    case 'casefile_update':
      summary = item.fields.map((f) => t(`cf_${f}`)).join(t('list.sep'));
      detail = item.by && t('by', { who: whoLabel(item.by) });
      break;
    default:
      summary = [item.kind && kindLabel(item.kind), item.note && noteLabel(item.note)].filter(Boolean).join(' · ');
  }
  return h('li', { class: `entry type-${item.type}`, 'data-type': item.type, ...(title ? { title } : {}) },
    h('time', { datetime: item.at }, when(item.at, tz)),
    h('span', { class: 'kind' }, tCode('entry', item.type, {}, 'entry.other')),
    h('span', { class: 'summary' }, summary),
    detail && h('span', { class: 'detail' }, detail),
    buttons);
}
