// The handbook's part of a casefile: the one-person-one-file fields (admins edit all,
// caseworkers difficulties and notes), the service-warmth index as stars with its history,
// follow-up appointments, and for each open problem: solve (asks what was done and how
// satisfied the resident is), refer to a department, attach a photo.
import { t, when } from './i18n.js';
import { h, svg, replace } from './dom.js';
import { api, failure, sendBody, fetchBlob } from './api.js';

const CATEGORIES = ['elderly_alone', 'disability', 'low_income', 'child_in_difficulty'];
const TEXT_FIELDS = ['household', 'health', 'difficulties', 'notes'];
const CASEWORKER_FIELDS = new Set(['difficulties', 'notes']);
const DEPARTMENTS = ['civil_affairs', 'health', 'education', 'disabled_federation', 'housing', 'other'];

export function stars(index) {
  const n = index === null ? 0 : Math.round(index);
  return h('span', { class: 'stars', 'aria-label': index === null ? t('warmth_none') : t('warmth_of', { n: index }) },
    '★'.repeat(n), h('span', { class: 'off' }, '★'.repeat(5 - n)));
}

function warmthHistory(history) {
  if (history.length < 2) return null;
  const w = 240; const hgt = 50;
  const step = w / (history.length - 1);
  const y = (v) => hgt - 4 - ((v - 1) / 4) * (hgt - 8);
  const points = history.map((m, i) => `${Math.round(i * step)},${Math.round(y(m.index))}`).join(' ');
  return svg('svg', { viewBox: `0 0 ${w} ${hgt + 12}`, class: 'chart warmth', role: 'img', 'aria-label': history.map((m) => `${m.month} ${m.index}`).join(', ') },
    svg('polyline', { points, class: 'line' }),
    ...history.map((m, i) => svg('circle', { cx: Math.round(i * step), cy: Math.round(y(m.index)), r: 3, class: 'dot' }, svg('title', {}, `${m.month}: ${m.index}`))),
    svg('text', { x: 0, y: hgt + 10, class: 'axis' }, history[0].month), svg('text', { x: w, y: hgt + 10, 'text-anchor': 'end', class: 'axis' }, history[history.length - 1].month));
}

/** the casefile's handbook section; `admin` unlocks every field */
export function casefileFields(residentId, admin) {
  const box = h('section', { class: 'card', id: 'casefile-fields' });
  const appointmentsBox = h('section', { class: 'card', id: 'appointments' });

  async function load() {
    let file;
    try { file = await api('GET', `/api/residents/${residentId}/casefile`); } catch (err) { replace(box, failure(err)); return; }
    const { profile, resident, warmth } = file;
    const tz = resident.timezone;
    const view = h('dl', { class: 'fields' },
      h('dt', {}, t('cf_category')), h('dd', { 'data-field': 'category' }, profile.category ? t(`rc_${profile.category}`) : '—'),
      h('dt', {}, t('cf_birthday')), h('dd', {}, resident.birthday ?? '—'),
      h('dt', {}, t('area')), h('dd', {}, resident.area ?? '—'),
      TEXT_FIELDS.flatMap((f) => [h('dt', {}, t(`cf_${f}`)), h('dd', { 'data-field': f }, profile[f] || '—')]));
    const edit = h('details', { id: 'edit-fields' }, h('summary', {}, t('cf_edit')), editForm(profile));
    replace(box, h('h2', {}, t('cf_title')),
      h('div', { class: 'warmth-row', id: 'warmth' }, h('span', {}, t('warmth_title')), stars(warmth.index),
        h('span', { class: 'muted small' }, warmth.index === null ? t('warmth_none') : t('warmth_detail', { n: warmth.index, ratings: warmth.ratings }))),
      warmthHistory(warmth.history), view, edit,
      profile.updatedAt ? h('p', { class: 'muted small' }, t('cf_updated', { who: profile.updatedBy, date: when(profile.updatedAt, tz) })) : null);

    const date = h('input', { type: 'date', id: 'appt-date', required: true });
    const time = h('input', { type: 'time', id: 'appt-time' });
    const place = h('input', { type: 'text', id: 'appt-place' });
    const result = h('div', { role: 'status' });
    const form = h('form', { id: 'appt-form' },
      h('div', { class: 'two' }, h('div', {}, h('label', { for: 'appt-date' }, t('appt_date')), date), h('div', {}, h('label', { for: 'appt-time' }, t('appt_time')), time)),
      h('label', { for: 'appt-place' }, t('appt_place')), place,
      h('button', { type: 'submit', class: 'secondary' }, t('appt_add')), result);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!date.value) { replace(result, h('p', { class: 'error' }, t('required', { field: t('appt_date') }))); return; }
      try {
        await api('POST', `/api/residents/${residentId}/appointments`, { date: date.value, ...(time.value ? { time: time.value } : {}), place: place.value.trim() });
        await load();
      } catch (err) { replace(result, failure(err)); }
    });
    replace(appointmentsBox, h('h2', {}, t('appt_title')),
      file.appointments.length ? h('ul', { class: 'plain' }, file.appointments.map((a) => h('li', { class: 'problem' },
        h('strong', {}, a.date), a.time ? ` ${a.time}` : '', a.place ? ` · ${a.place}` : '', a.note ? ` · ${a.note}` : ''))) : h('p', { class: 'muted' }, t('appt_none')),
      h('details', {}, h('summary', {}, t('appt_add')), form));
  }

  function editForm(profile) {
    const result = h('div', { role: 'status' });
    const category = h('select', { id: 'cf-category', disabled: !admin },
      h('option', { value: '' }, '—'), CATEGORIES.map((c) => h('option', { value: c, ...(profile.category === c ? { selected: true } : {}) }, t(`rc_${c}`))));
    const inputs = Object.fromEntries(TEXT_FIELDS.map((f) => [f, h('textarea', { id: `cf-${f}`, rows: 2, disabled: !admin && !CASEWORKER_FIELDS.has(f) }, profile[f])]));
    const form = h('form', { id: 'cf-form' },
      h('label', { for: 'cf-category' }, t('cf_category')), category,
      TEXT_FIELDS.flatMap((f) => [h('label', { for: `cf-${f}` }, t(`cf_${f}`)), inputs[f]]),
      admin ? null : h('p', { class: 'hint' }, t('cf_caseworkerHint')),
      h('button', { type: 'submit', class: 'primary', id: 'cf-save' }, t('cf_save')), result);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = {};
      for (const f of TEXT_FIELDS) if (!inputs[f].disabled && inputs[f].value !== profile[f]) body[f] = inputs[f].value;
      if (admin && (category.value || null) !== profile.category) body.category = category.value || null;
      if (!Object.keys(body).length) { replace(result, h('p', { class: 'muted' }, t('cf_nothing'))); return; }
      try {
        await api('PATCH', `/api/residents/${residentId}/casefile`, body);
        await load();
      } catch (err) { replace(result, failure(err)); }
    });
    return form;
  }

  return { profile: box, appointments: appointmentsBox, load };
}

/** under an open problem: solve (what was done, satisfaction), refer, photos */
export function problemTools(problem, onChange) {
  const panel = h('div', { class: 'problem-tools' });
  const open = (build) => () => replace(panel, build());

  const solveForm = () => {
    const resolution = h('textarea', { id: `solve-${problem.id}`, rows: 2, required: true, name: 'resolution' });
    const satisfaction = h('select', { id: `sat-${problem.id}`, name: 'satisfaction' }, h('option', { value: '' }, t('sat_notAsked')),
      [5, 4, 3, 2, 1].map((n) => h('option', { value: n }, `${'★'.repeat(n)} ${t(`sat_${n}`)}`)));
    const result = h('div', { role: 'status' });
    const form = h('form', { class: 'solve', novalidate: true },
      h('label', { for: `solve-${problem.id}` }, t('solve_what')), resolution,
      h('label', { for: `sat-${problem.id}` }, t('solve_satisfaction')), satisfaction,
      h('button', { type: 'submit', class: 'primary' }, t('solve_save')), result);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!resolution.value.trim()) { replace(result, h('p', { class: 'error', role: 'alert' }, t('required', { field: t('solve_what') }))); return; }
      try {
        await api('PATCH', `/api/problems/${problem.id}`, { status: 'solved', resolution: resolution.value.trim(), ...(satisfaction.value ? { satisfaction: Number(satisfaction.value) } : {}) });
        await onChange();
      } catch (err) { replace(result, failure(err)); }
    });
    return form;
  };

  const referForm = () => {
    const department = h('select', { id: `dept-${problem.id}` }, DEPARTMENTS.map((d) => h('option', { value: d }, t(`dept_${d}`))));
    const note = h('input', { type: 'text', id: `refnote-${problem.id}` });
    const result = h('div', { role: 'status' });
    const form = h('form', { class: 'refer' },
      h('label', { for: `dept-${problem.id}` }, t('refer_to')), department,
      h('label', { for: `refnote-${problem.id}` }, t('notes')), note,
      h('button', { type: 'submit', class: 'primary' }, t('refer_save')), result);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        await api('POST', `/api/problems/${problem.id}/referrals`, { department: department.value, note: note.value.trim() });
        await onChange();
      } catch (err) { replace(result, failure(err)); }
    });
    return form;
  };

  const photoBox = photoTools(`/api/problems/${problem.id}/photos`, `photo-${problem.id}`);

  const referrals = (problem.referrals ?? []).map((r) => h('span', { class: 'block small referral', 'data-referral': r.id },
    `↗ ${t(`dept_${r.department}`)} · ${t(`ref_${r.status}`)}`, r.takenBy ? ` · ${r.takenBy}` : '', r.answer ? ` · ${r.answer}` : ''));

  return h('div', {},
    referrals,
    h('span', { class: 'actions' },
      h('button', { type: 'button', class: 'secondary', 'data-action': 'solve', onclick: open(solveForm) }, t('problem.solve')),
      h('button', { type: 'button', class: 'secondary', 'data-action': 'refer', onclick: open(referForm) }, t('refer')),
      photoBox.button),
    panel, photoBox.photos);
}

/**
 * Photos of a problem or a visit (`path`: its /photos address): a button that opens the phone's
 * camera (or its gallery), and the thumbnails, loaded at once and again after each upload.
 */
export function photoTools(path, inputId) {
  const photos = h('div', { class: 'photos' });
  const file = h('input', { type: 'file', accept: 'image/*', capture: 'environment', class: 'visually-hidden', id: inputId });
  async function showPhotos() {
    try {
      const { items } = await api('GET', path);
      replace(photos, await Promise.all(items.map(thumbnail)));
    } catch (err) { replace(photos, failure(err)); }
  }
  file.addEventListener('change', async () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    try {
      await sendBody('POST', path, chosen, chosen.type || 'image/jpeg');
      await showPhotos();
    } catch (err) { photos.append(failure(err) ?? ''); }
    file.value = '';
  });
  showPhotos();
  return { photos, button: [h('label', { class: 'button secondary', for: inputId }, t('photo_add')), file] };
}

/** a photo needs the token: fetched as a blob, shown from an object URL */
async function thumbnail(p) {
  let url;
  try { url = URL.createObjectURL(await fetchBlob(p.url)); } catch (err) { return failure(err); }
  return h('img', { src: url, alt: t('photo_alt', { date: p.createdAt.slice(0, 10) }), class: 'thumb', width: 96, height: Math.round((96 * p.height) / p.width) });
}
