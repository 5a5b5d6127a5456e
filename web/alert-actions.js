// What a person does to an alert, the same from every screen: acknowledge ("I'm on it") at one
// tap; resolve, which for a smoke, CO, gas or emergency alarm first asks to confirm and for a
// short note of what happened. The answer (the alert as it now is) updates the shared store
// at once; the live stream brings the same to every other open page.
import { t } from './i18n.js';
import { h, replace } from './dom.js';
import { api, describeError } from './api.js';
import { applyAlert, store } from './store.js';
import { LIFE_SAFETY, kindLabel } from './labels.js';

async function act(alert, action, body) {
  const updated = await api('POST', `/api/alerts/${alert.id}/${action}`, body);
  applyAlert({ action: action === 'acknowledge' ? 'acknowledged' : 'resolved', alert: updated });
  return updated;
}

/** the buttons for one alert; `onError` shows what failed next to them */
export function alertButtons(alert) {
  if (!alert || alert.status === 'resolved') return null;
  const box = h('span', { class: 'actions' });
  const error = h('span', { class: 'error small', role: 'alert' });
  const run = (fn) => async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    replace(error);
    try {
      await fn();
    } catch (err) {
      // 409: someone else was quicker; the stream has (or will have) the alert as it is now
      replace(error, describeError(err));
      button.disabled = false;
    }
  };
  if (alert.status === 'open') {
    box.append(h('button', { type: 'button', class: 'primary', 'data-action': 'acknowledge', 'data-alert': alert.id, onclick: run(() => act(alert, 'acknowledge', {})) }, t('alert.acknowledge')));
  }
  box.append(h('button', {
    type: 'button', class: 'secondary', 'data-action': 'resolve', 'data-alert': alert.id,
    onclick: run(async () => {
      if (!LIFE_SAFETY.has(alert.kind)) return act(alert, 'resolve', {});
      const note = await askForNote(alert);
      if (note === null) return undefined;
      return act(alert, 'resolve', { note });
    }),
  }, t('alert.resolve')), error);
  return box;
}

/** a dialog: "Resolve this smoke alarm? What happened?"; null when the person cancels */
function askForNote(alert) {
  return new Promise((resolve) => {
    const resident = store.resident(alert.residentId);
    const note = h('textarea', { id: 'resolve-note', name: 'note', rows: 3, maxlength: 1000, required: true, minlength: 2 });
    const message = h('p', { class: 'error', role: 'alert' });
    const dialog = h('dialog', { class: 'confirm', id: 'resolve-dialog', 'aria-labelledby': 'resolve-title' },
      h('form', { method: 'dialog', novalidate: true },
        h('h2', { id: 'resolve-title' }, t('resolve.title', { kind: kindLabel(alert.kind, alert.detail), name: resident?.name ?? '' })),
        h('p', {}, t('resolve.explain')),
        h('label', { for: 'resolve-note' }, t('resolve.note')), note,
        h('p', { class: 'hint' }, t('resolve.noteHint')),
        message,
        h('div', { class: 'actions' },
          h('button', { type: 'submit', class: 'primary', value: 'confirm', id: 'resolve-confirm' }, t('resolve.confirm')),
          h('button', { type: 'submit', class: 'secondary', value: 'cancel', formnovalidate: true, id: 'resolve-cancel' }, t('resolve.cancel')))));
    dialog.querySelector('form').addEventListener('submit', (event) => {
      if (event.submitter?.value === 'cancel') return;
      if (note.value.trim().length < 2) {
        event.preventDefault();
        replace(message, t('resolve.noteMissing'));
        note.focus();
      }
    });
    dialog.addEventListener('close', () => {
      const confirmed = dialog.returnValue === 'confirm';
      dialog.remove();
      resolve(confirmed ? note.value.trim() : null);
    });
    document.body.append(dialog);
    dialog.showModal();
    note.focus();
  });
}
