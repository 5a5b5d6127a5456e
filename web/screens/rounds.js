// Knock-on-door rounds (暖心敲门): the next knock day and its doors in walking order; per door a
// quick checklist (health asked, safety checked, needs heard, information passed on) saved as
// a short visit, or "nobody answered"; progress and findings at the top.
import { t } from '../i18n.js';
import { h, replace } from '../dom.js';
import { api, failure } from '../api.js';
import { addDays, areaSelect, day, residentIndex, loadSiteAndResidents } from '../workspace-kit.js';

let chosenArea = '';
const ITEMS = ['health', 'safety', 'needs'];

export async function renderRounds(main, roundId) {
  const loaded = await loadSiteAndResidents(main);
  if (!loaded) return;
  const { site, residents } = loaded;
  if (roundId) return renderRound(main, Number(roundId));
  const { areas } = residentIndex(residents.items);
  const body = h('div', { id: 'round-start' });

  async function load() {
    try {
      const next = await api('GET', `/api/rounds/next${chosenArea ? `?area=${encodeURIComponent(chosenArea)}` : ''}`);
      const recent = await api('GET', `/api/rounds?from=${addDays(site.today, -60)}&to=${addDays(site.today, 30)}`);
      const start = async (event) => {
        event.target.disabled = true;
        try {
          const round = await api('POST', '/api/rounds', chosenArea ? { area: chosenArea } : {});
          location.hash = `#/rounds/${round.id}`;
        } catch (err) { event.target.after(failure(err) ?? ''); event.target.disabled = false; }
      };
      replace(body,
        next.date ? h('section', { class: 'card' },
          h('h2', {}, t('round_next', { date: day(next.date) })),
          h('p', { class: 'muted small' }, t('round_doors', { n: next.residents.length })),
          next.roundId
            ? h('a', { href: `#/rounds/${next.roundId}`, class: 'button primary', id: 'open-round' }, t('rem_openRound'))
            : h('button', { type: 'button', class: 'primary', id: 'start-round', onclick: start }, t('rem_startRound')),
          h('ol', { class: 'doors-preview' }, next.residents.map((r) => h('li', {}, `${r.name} · ${[r.area, r.address].filter(Boolean).join(' ')}`))))
          : h('p', { class: 'card muted' }, t('round_noKnockDay')),
        recent.items.length ? h('section', { class: 'card' }, h('h2', {}, t('round_recent')), h('ul', { class: 'plain' }, recent.items.map((r) =>
          h('li', { class: 'problem' }, h('a', { href: `#/rounds/${r.id}` }, `${day(r.date)} · ${r.area ?? t('allAreas')}`), ' ',
            h('span', { class: 'chip' }, `${r.progress.percent}%`), ' ',
            r.findings.length ? h('span', { class: 'chip status-acknowledged' }, t('round_findings_n', { n: r.findings.length })) : null)))) : null);
    } catch (err) { replace(body, failure(err)); }
  }
  replace(main, h('h1', {}, t('nav_rounds')),
    h('div', { class: 'card' }, h('label', { for: 'round-area' }, t('area')), areaSelect('round-area', areas, chosenArea, (v) => { chosenArea = v; load(); })),
    body);
  await load();
}

async function renderRound(main, id) {
  let round;
  try { round = await api('GET', `/api/rounds/${id}`); } catch (err) { replace(main, h('a', { href: '#/rounds', class: 'back' }, t('round_back')), failure(err)); return; }
  const progress = h('section', { class: 'card', id: 'round-progress' });
  const doors = h('ol', { class: 'plain', id: 'doors' });

  function drawProgress() {
    const p = round.progress;
    replace(progress, h('h2', {}, `${day(round.date)} · ${round.area ?? t('allAreas')}`),
      h('div', { class: 'bar-track', role: 'progressbar', 'aria-valuenow': p.percent, 'aria-valuemin': 0, 'aria-valuemax': 100 },
        h('div', { class: `bar-fill w${Math.round(p.percent / 5) * 5}` })),
      h('p', { class: 'small' }, t('round_progress', { seen: p.seen, noAnswer: p.noAnswer, pending: p.pending, total: p.total })),
      round.findings.length ? h('ul', { class: 'plain', id: 'findings' }, round.findings.map((f) => h('li', { class: 'finding' },
        h('strong', {}, f.name), ' · ', f.kind === 'no_answer' ? t('round_noAnswer') : f.concerns.map((c) => t(`check_${c}`)).join(', '),
        f.note ? ` · ${f.note}` : ''))) : h('p', { class: 'muted small' }, t('round_noFindings')));
  }

  function door(d) {
    const state = { health: 'ok', safety: 'ok', needs: 'ok', info: 'done' };
    const note = h('input', { type: 'text', name: 'note', placeholder: t('notes'), 'aria-label': t('notes') });
    const toggles = ITEMS.map((item) => {
      const button = h('button', {
        type: 'button', class: 'chip-button on', 'data-item': item, 'aria-pressed': 'false',
        onclick: () => {
          state[item] = state[item] === 'ok' ? 'concern' : 'ok';
          button.classList.toggle('concern', state[item] === 'concern');
          button.setAttribute('aria-pressed', String(state[item] === 'concern'));
          replace(button, t(`check_${item}`), state[item] === 'concern' ? ' ⚠' : ' ✓');
        },
      }, t(`check_${item}`), ' ✓');
      return button;
    });
    const info = h('label', { class: 'check' }, h('input', { type: 'checkbox', checked: true, onchange: (e) => { state.info = e.target.checked ? 'done' : 'skipped'; } }), t('check_info'));
    const save = async (answered, event) => {
      event.target.disabled = true;
      try {
        await api('POST', `/api/rounds/${id}/doors/${d.residentId}`, answered ? { answered, checklist: state, note: note.value.trim() } : { answered, note: note.value.trim() });
        round = await api('GET', `/api/rounds/${id}`);
        drawProgress();
        replace(doors, round.doors.map(door));
      } catch (err) { event.target.after(failure(err) ?? ''); event.target.disabled = false; }
    };
    const done = d.status === 'seen';
    return h('li', { class: `card door status-${d.status}`, 'data-resident': d.residentId },
      h('div', { class: 'row' }, h('a', { href: `#/r/${encodeURIComponent(d.residentId)}`, class: 'name' }, d.name),
        h('span', { class: `chip door-${d.status}` }, t(`door_${d.status}`))),
      h('span', { class: 'muted small block' }, [d.area, d.address].filter(Boolean).join(' · ')),
      done ? h('span', { class: 'small block' }, d.concerns.length ? `⚠ ${d.concerns.map((c) => t(`check_${c}`)).join(', ')}` : t('round_allWell'), d.note ? ` · ${d.note}` : '')
        : [h('div', { class: 'chips checklist' }, toggles), info, note,
          h('span', { class: 'actions' },
            h('button', { type: 'button', class: 'primary', 'data-action': 'seen', onclick: (e) => save(true, e) }, t('round_seen')),
            h('button', { type: 'button', class: 'secondary', 'data-action': 'no-answer', onclick: (e) => save(false, e) }, t('round_noAnswer')))]);
  }

  drawProgress();
  replace(doors, round.doors.map(door));
  replace(main, h('a', { href: '#/rounds', class: 'back' }, t('round_back')), progress, doors);
}
