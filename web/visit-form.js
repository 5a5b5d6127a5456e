// The form to record a visit: who, when, why, notes, the four usual observations, the problems
// found (each gets its WT number and deadline from the gateway), and earlier problems this
// visit confirms solved.
import { t } from './i18n.js';
import { h, replace, when, localInputNow, zonedToIso } from './dom.js';
import { api, failure } from './api.js';

const VISITOR_KEY = 'gw.visitor';
const OBSERVATIONS = ['homeSafety', 'mood', 'familyRelations', 'supportNetwork'];

function field(id, label, control) {
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}

function select(id, name, options) {
  return h('select', { id, name }, options.map(([value, label]) => h('option', { value }, label)));
}

let rowCount = 0;
function problemRow() {
  const n = ++rowCount;
  const row = h('fieldset', { class: 'problem-row' },
    field(`p${n}-description`, t('description'), h('textarea', { id: `p${n}-description`, name: 'description', rows: 2, required: true })),
    h('div', { class: 'two' },
      field(`p${n}-category`, t('category'), select(`p${n}-category`, 'category', ['livelihood', 'health', 'social'].map((c) => [c, t(`cat_${c}`)]))),
      field(`p${n}-urgency`, t('urgency'), select(`p${n}-urgency`, 'urgency', ['normal', 'high'].map((u) => [u, t(`urg_${u}`)])))),
    field(`p${n}-responsible`, t('responsible'), h('input', { id: `p${n}-responsible`, name: 'responsible', type: 'text' })),
    h('button', { type: 'button', class: 'link', onclick: () => row.remove() }, t('removeProblem')));
  return row;
}

export function visitForm(residentId, timeZone, onSaved) {
  const problems = h('div', { id: 'problem-rows' });
  const solved = h('div', { id: 'confirms-solved' });
  const result = h('div', { id: 'visit-result', role: 'status' });
  const visitor = h('input', { id: 'visitor', name: 'visitor', type: 'text', required: true, value: localStorage.getItem(VISITOR_KEY) ?? '' });
  const at = h('input', { id: 'visit-at', name: 'at', type: 'datetime-local', required: true, value: localInputNow(timeZone) });
  const purpose = select('purpose', 'purpose', ['routine', 'follow_up', 'needs_survey'].map((p) => [p, t(`purpose_${p}`)]));
  const notes = h('textarea', { id: 'notes', name: 'notes', rows: 3 });
  const observations = OBSERVATIONS.map((key) => field(`obs-${key}`, t(`obs_${key}`), h('input', { id: `obs-${key}`, name: key, type: 'text' })));

  const form = h('form', { id: 'visit-form', novalidate: true },
    field('visitor', t('visitor'), visitor),
    h('div', { class: 'two' }, field('visit-at', t('visitAt', { tz: timeZone }), at), field('purpose', t('purpose'), purpose)),
    field('notes', t('notes'), notes),
    h('fieldset', {}, h('legend', {}, t('observations')), observations),
    h('fieldset', {}, h('legend', {}, t('problemsFound')), problems,
      h('button', { type: 'button', class: 'secondary', id: 'add-problem', onclick: () => problems.append(problemRow()) }, t('addProblem'))),
    solved,
    h('button', { type: 'submit', class: 'primary', id: 'save-visit' }, t('save')),
    result);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const missing = [[visitor, 'visitor'], [at, 'visitAt'], ...[...problems.querySelectorAll('textarea')].map((el) => [el, 'description'])]
      .find(([el]) => !el.value.trim());
    if (missing) { replace(result, h('p', { class: 'error', role: 'alert' }, t('required', { field: t(missing[1]) }))); missing[0].focus(); return; }
    const body = {
      visitor: visitor.value.trim(),
      // the field is on the resident's clock, like every time on the page; send the exact moment
      at: zonedToIso(at.value, timeZone),
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
      const visit = await api('POST', `/api/residents/${residentId}/visits`, body);
      localStorage.setItem(VISITOR_KEY, body.visitor);
      replace(result, h('p', { class: 'ok' }, t('saved')),
        h('ul', { class: 'plain', id: 'new-problems' }, visit.problems.map((p) =>
          h('li', {}, h('strong', { class: 'wt' }, p.id), ` ${p.description} — `, t('due', { date: when(p.deadline, timeZone) })))));
      notes.value = '';
      for (const el of form.querySelectorAll('fieldset input')) el.value = '';
      problems.replaceChildren();
      await onSaved(visit);
    } catch (err) {
      replace(result, failure(err));
    } finally {
      button.disabled = false;
    }
  });

  const element = h('details', { class: 'card', id: 'record-visit' }, h('summary', {}, h('h2', {}, t('recordVisit'))), form);
  return {
    element,
    /** earlier open problems, to tick those this visit saw solved */
    setOpenProblems(items) {
      replace(solved, items.length ? h('fieldset', {}, h('legend', {}, t('confirmsSolved')), items.map((p) =>
        h('label', { class: 'check' }, h('input', { type: 'checkbox', value: p.id }), ` ${p.id} ${p.description}`))) : null);
    },
  };
}
