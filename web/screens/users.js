// The people who sign in (admins only): add a caseworker or an admin, disable an account (its
// sessions end at once), enable it again, set a new password. No restart, no config edit.
import { t, when } from '../i18n.js';
import { h, replace } from '../dom.js';
import { api, currentUser, describeError, failure } from '../api.js';

export const usersScreen = {
  id: 'users',
  roles: ['admin'],
  nav: { label: 'nav.users', href: '#/users', order: 90 },
  match: (hash) => (hash.startsWith('#/users') ? {} : null),
  render(main) {
    const listBox = h('section', { class: 'card', id: 'users' });
    const message = h('div', { role: 'status', id: 'user-result' });
    const input = (id, attrs = {}) => h('input', { id, name: id, required: true, ...attrs });
    const username = input('new-username', { type: 'text', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', maxlength: 40, pattern: '[A-Za-z0-9._\\-]{2,40}' });
    const displayName = input('new-display-name', { type: 'text', maxlength: 80 });
    const role = h('select', { id: 'new-role', name: 'role' }, ['caseworker', 'admin'].map((r) => h('option', { value: r }, t(`userRole.${r}`))));
    const password = input('new-password', { type: 'password', autocomplete: 'new-password', minlength: 8, maxlength: 200 });
    const form = h('form', { class: 'card', id: 'add-user' },
      h('h2', {}, t('users.add')),
      h('label', { for: 'new-username' }, t('users.username')), username,
      h('p', { class: 'hint' }, t('users.usernameHint')),
      h('label', { for: 'new-display-name' }, t('users.displayName')), displayName,
      h('p', { class: 'hint' }, t('users.displayNameHint')),
      h('label', { for: 'new-role' }, t('users.role')), role,
      h('label', { for: 'new-password' }, t('users.password')), password,
      h('p', { class: 'hint' }, t('users.passwordHint')),
      h('button', { type: 'submit', class: 'primary', id: 'add-user-submit' }, t('users.addButton')),
      message);

    async function load() {
      try {
        const { items } = await api('GET', '/api/users');
        replace(listBox, h('h2', {}, t('users.title')), h('ul', { class: 'plain' }, items.map(userRow)));
      } catch (err) {
        replace(listBox, failure(err));
      }
    }

    function userRow(u) {
      const error = h('span', { class: 'error small', role: 'alert' });
      const patch = (body) => async (event) => {
        event.currentTarget.disabled = true;
        try {
          await api('PATCH', `/api/users/${u.id}`, body);
          await load();
        } catch (err) {
          replace(error, describeError(err));
        }
      };
      const self = u.username === currentUser()?.username;
      return h('li', { class: `user-row${u.disabled ? ' disabled' : ''}`, 'data-user': u.username },
        h('strong', {}, u.displayName), ' ', h('span', { class: 'muted' }, u.username), ' ',
        h('span', { class: 'chip' }, t(`userRole.${u.role}`)), ' ',
        u.disabled ? h('span', { class: 'chip status-open' }, t('users.disabled')) : null,
        h('span', { class: 'muted small block' }, u.lastSignInAt ? t('users.lastSignIn', { when: when(u.lastSignInAt) }) : t('users.neverSignedIn')),
        h('span', { class: 'actions' },
          !self && h('button', { type: 'button', class: 'secondary', 'data-action': u.disabled ? 'enable' : 'disable', onclick: patch({ disabled: !u.disabled }) },
            u.disabled ? t('users.enable') : t('users.disable')),
          h('button', {
            type: 'button', class: 'link', 'data-action': 'password',
            onclick: async (event) => {
              const next = prompt(t('users.newPassword', { name: u.displayName }));
              if (next) await patch({ password: next })(event);
            },
          }, t('users.setPassword')),
          error));
    }

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        const user = await api('POST', '/api/users', {
          username: username.value.trim(), displayName: displayName.value.trim(), role: role.value, password: password.value,
        });
        replace(message, h('p', { class: 'ok' }, t('users.added', { name: user.displayName })));
        form.reset();
        await load();
      } catch (err) {
        replace(message, failure(err));
      }
    });

    replace(main, h('h1', {}, t('users.title')), listBox, form);
    load();
  },
};
