// Sign in as yourself: a username and a password; the gateway answers with a session cookie.
import { t } from '../i18n.js';
import { h, replace } from '../dom.js';
import { signIn, describeError } from '../api.js';

export function renderSignIn(main, onSignedIn) {
  const username = h('input', { id: 'username', name: 'username', type: 'text', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: true, maxlength: 40 });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true, maxlength: 200 });
  const message = h('p', { class: 'error', role: 'alert', id: 'sign-in-error' });
  const button = h('button', { type: 'submit', class: 'primary' }, t('signIn'));
  const form = h('form', { class: 'card sign-in', id: 'sign-in' },
    h('h1', {}, t('signIn.heading')),
    h('label', { for: 'username' }, t('signIn.username')), username,
    h('label', { for: 'password' }, t('signIn.password')), password,
    button,
    message,
    h('p', { class: 'hint' }, t('signIn.help')),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!username.value.trim() || !password.value) { replace(message, t('signIn.missing')); return; }
    button.disabled = true;
    try {
      await signIn(username.value.trim(), password.value);
      password.value = '';
      onSignedIn();
    } catch (err) {
      replace(message, describeError(err));
      password.select();
    } finally {
      button.disabled = false;
    }
  });
  replace(main, form);
  username.focus();
}
