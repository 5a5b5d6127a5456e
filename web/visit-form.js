// The two ways to record a visit. The quick one is for the doorstep: what kind of visit, how
// long, all well or a short note, one tap. The full one has the time it began and ended, the
// four usual observations, the problems found (each gets its WT number and deadline from the
// gateway) and earlier problems this visit confirms solved. Both go through the outbox, so a
// visit typed without signal is kept on the phone and sent when it is back.
import { t, when } from './i18n.js';
import { h, replace, localInputNow, zonedToIso } from './dom.js';
import { currentUser, failure } from './api.js';
import { submitVisit } from './outbox.js';

const OBSERVATIONS = ['homeSafety', 'mood', 'familyRelations', 'supportNetwork'];
const PURPOSES = ['routine', 'follow_up', 'needs_survey'];
/** CONTRACT.md "Access": a visit suppresses alarms for at most 12 h, so it is at most that long */
const MAX_VISIT_MS = 12 * 3600_000;

function field(id, label, control) {
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}

function select(id, name, options) {
  return h('select', { id, name }, options.map(([value, label]) => h('option', { value }, label)));
}

/** what the person sees after sending: the WT numbers, or that it waits on the phone */
function outcome(result, box, tz) {
  if (result.state === 'sent') {
    replace(box, h('p', { class: 'ok' }, t('visit.saved')),
      result.visit.problems?.length ? h('ul', { class: 'plain', id: 'new-problems' }, result.visit.problems.map((p) =>
        h('li', {}, h('strong', { class: 'wt' }, p.id), ` ${p.description} — `, t('problem.due', { date: when(p.deadline, tz) })))) : null);
  } else if (result.state === 'queued') {
    replace(box, h('p', { class: 'warn', 'data-outcome': 'queued' }, t('visit.queued')));
  } else {
    replace(box, failure(result.error));
  }
}

export function quickVisitForm(resident, onSaved) {
  const tz = resident.timezone;
  const result = h('div', { id: 'quick-result', role: 'status' });
  const purpose = h('div', { class: 'filters', role: 'radiogroup', 'aria-label': t('visit.purpose') },
    PURPOSES.map((p, i) => h('label', { class: 'chip-radio' },
      h('input', { type: 'radio', name: 'quick-purpose', value: p, checked: i === 0 }), t(`visitPurpose.${p}`))));
  const duration = select('quick-duration', 'duration', [[15, t('visit.minutes', { n: 15 })], [30, t('visit.minutes', { n: 30 })], [60, t('visit.minutes', { n: 60 })]]);
  duration.value = '30';
  const allWell = h('input', { id: 'quick-well', type: 'checkbox', checked: true });
  const note = h('input', { id: 'quick-note', type: 'text', maxlength: 500, placeholder: t('visit.quickNoteHint') });
  const button = h('button', { type: 'submit', class: 'primary', id: 'quick-save' }, t('visit.quickSave'));
  const form = h('form', { id: 'quick-visit', class: 'card quick' },
    h('h2', {}, t('visit.quickTitle')),
    purpose,
    h('div', { class: 'two' }, field('quick-duration', t('visit.duration'), duration),
      h('label', { class: 'check', for: 'quick-well' }, allWell, t('visit.allWell'))),
    field('quick-note', t('visit.note'), note),
    button, result);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const ended = Date.now();
    const minutes = Number(duration.value);
    const chosen = form.querySelector('input[name=quick-purpose]:checked').value;
    const words = [allWell.checked ? t('visit.allWellNote') : '', note.value.trim()].filter(Boolean).join(t('list.sep'));
    const body = {
      visitor: currentUser()?.displayName ?? '',
      at: new Date(ended - minutes * 60_000).toISOString(),
      endedAt: new Date(ended).toISOString(),
      purpose: chosen,
      notes: words,
    };
    button.disabled = true;
    try {
      const r = await submitVisit(resident.id, body, `${t(`visitPurpose.${chosen}`)} · ${when(body.at, tz)}`);
      outcome(r, result, tz);
      if (r.state !== 'failed') { note.value = ''; allWell.checked = true; }
      if (r.state === 'sent') await onSaved(r.visit);
    } finally {
      button.disabled = false;
    }
  });
  return { element: form };
}

let rowCount = 0;
function problemRow() {
  const n = ++rowCount;
  const row = h('fieldset', { class: 'problem-row' },
    field(`p${n}-description`, t('problem.description'), h('textarea', { id: `p${n}-description`, name: 'description', rows: 2, required: true, maxlength: 5000 })),
    h('div', { class: 'two' },
      field(`p${n}-category`, t('problem.category'), select(`p${n}-category`, 'category', ['livelihood', 'health', 'social'].map((c) => [c, t(`cat.${c}`)]))),
      field(`p${n}-urgency`, t('problem.urgency'), select(`p${n}-urgency`, 'urgency', ['normal', 'high'].map((u) => [u, t(`urg.${u}`)])))),
    field(`p${n}-responsible`, t('problem.responsible'), h('input', { id: `p${n}-responsible`, name: 'responsible', type: 'text', maxlength: 200 })),
    h('button', { type: 'button', class: 'link', onclick: () => row.remove() }, t('problem.remove')));
  return row;
}

export function visitForm(resident, onSaved) {
  const tz = resident.timezone;
  const problems = h('div', { id: 'problem-rows' });
  const solved = h('div', { id: 'confirms-solved' });
  const result = h('div', { id: 'visit-result', role: 'status' });
  const visitor = h('input', { id: 'visitor', name: 'visitor', type: 'text', required: true, maxlength: 200, value: currentUser()?.displayName ?? '' });
  const at = h('input', { id: 'visit-at', name: 'at', type: 'datetime-local', required: true, value: localInputNow(tz) });
  const endedAt = h('input', { id: 'visit-ended', name: 'endedAt', type: 'datetime-local' });
  const purpose = select('purpose', 'purpose', PURPOSES.map((p) => [p, t(`visitPurpose.${p}`)]));
  const notes = h('textarea', { id: 'notes', name: 'notes', rows: 3, maxlength: 20000 });
  const observations = OBSERVATIONS.map((key) => field(`obs-${key}`, t(`obs.${key}`), h('input', { id: `obs-${key}`, name: key, type: 'text', maxlength: 5000 })));

  const form = h('form', { id: 'visit-form', novalidate: true },
    field('visitor', t('visit.visitor'), visitor),
    h('div', { class: 'two' }, field('visit-at', t('visit.at', { tz }), at), field('visit-ended', t('visit.endedAt'), endedAt)),
    field('purpose', t('visit.purpose'), purpose),
    field('notes', t('visit.notes'), notes),
    h('fieldset', {}, h('legend', {}, t('visit.observations')), observations),
    h('fieldset', {}, h('legend', {}, t('visit.problemsFound')), problems,
      h('button', { type: 'button', class: 'secondary', id: 'add-problem', onclick: () => problems.append(problemRow()) }, t('problem.add'))),
    solved,
    h('button', { type: 'submit', class: 'primary', id: 'save-visit' }, t('visit.save')),
    result);

  const complain = (key, el, vars = {}) => { replace(result, h('p', { class: 'error', role: 'alert' }, t(key, vars))); el.focus(); };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const missing = [[visitor, 'visit.visitor'], [at, 'visit.atShort'], ...[...problems.querySelectorAll('textarea')].map((el) => [el, 'problem.description'])]
      .find(([el]) => !el.value.trim());
    if (missing) return complain('visit.required', missing[0], { field: t(missing[1]) });
    // the fields are on the resident's clock, like every time on the page; send exact moments
    const start = zonedToIso(at.value, tz);
    const end = endedAt.value ? zonedToIso(endedAt.value, tz) : null;
    if (end && Date.parse(end) < Date.parse(start)) return complain('visit.endBeforeStart', endedAt);
    if (end && Date.parse(end) - Date.parse(start) > MAX_VISIT_MS) return complain('visit.tooLong', endedAt);
    const body = {
      visitor: visitor.value.trim(),
      at: start,
      ...(end ? { endedAt: end } : {}),
      purpose: purpose.value,
      notes: notes.value.trim(),
      observations: Object.fromEntries(OBSERVATIONS.map((key) => [key, form.querySelector(`#obs-${key}`).value.trim()]).filter(([, v]) => v)),
      problems: [...problems.querySelectorAll('.problem-row')].map((row) => {
        const get = (name) => row.querySelector(`[name="${name}"]`).value.trim();
        return { description: get('description'), category: get('category'), urgency: get('urgency'), ...(get('responsible') ? { responsible: get('responsible') } : {}) };
      }),
      followUpOf: [...solved.querySelectorAll('input:checked')].map((el) => el.value),
    };
    const button = form.querySelector('#save-visit');
    button.disabled = true;
    try {
      const r = await submitVisit(resident.id, body, `${t(`visitPurpose.${body.purpose}`)} · ${when(body.at, tz)}`);
      outcome(r, result, tz);
      if (r.state !== 'failed') {
        notes.value = '';
        endedAt.value = '';
        for (const el of form.querySelectorAll('fieldset input')) el.value = '';
        problems.replaceChildren();
      }
      if (r.state === 'sent') await onSaved(r.visit);
    } finally {
      button.disabled = false;
    }
  });

  const element = h('details', { class: 'card', id: 'record-visit' }, h('summary', {}, h('h2', {}, t('visit.fullTitle'))), form);
  return {
    element,
    /** earlier open problems, to tick those this visit saw solved */
    setOpenProblems(items) {
      replace(solved, items.length ? h('fieldset', {}, h('legend', {}, t('visit.confirmsSolved')), items.map((p) =>
        h('label', { class: 'check' }, h('input', { type: 'checkbox', value: p.id }), ` ${p.id} ${p.description}`))) : null);
    },
  };
}
