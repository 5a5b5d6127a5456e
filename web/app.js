// The caseworker page: sign in with a token, the residents list (open alerts first), and a
// resident's casefile. Hash routes: #/ (residents) and #/r/<id> (casefile). No framework.
import { t, setLanguage, language } from './i18n.js';
import { h, replace } from './dom.js';
import { renderCasefile } from './casefile.js';
import { api, failure, signedIn, signIn, signOut, whenUnauthorized } from './api.js';
import { navBar, isAdmin, forgetRole } from './nav.js';
import { renderReminders } from './reminders.js';
import { renderPlanning } from './planning.js';
import { renderRounds } from './rounds.js';
import { renderWarnings } from './warnings.js';
import { renderReports } from './reports.js';
import { renderAdmin } from './admin.js';

// the workspace's screens, each its own module: #/<name>[/<id>]
const SCREENS = { reminders: renderReminders, planning: renderPlanning, rounds: renderRounds, warnings: renderWarnings, reports: renderReports, admin: renderAdmin };

const LANG_KEY = 'gw.lang';
const main = document.getElementById('main');
const header = document.getElementById('header');

function renderHeader() {
    replace(header,
    h('a', { href: '#/', class: 'brand' }, t('title')),
    h('span', { class: 'spacer' }),
    h('button', {
      type: 'button', class: 'link', id: 'lang', lang: language() === 'en' ? 'zh-CN' : 'en',
      onclick: () => {
        const next = language() === 'en' ? 'zh' : 'en';
        localStorage.setItem(LANG_KEY, next);
        setLanguage(next);
        route();
      },
    }, t('otherLanguage')),
    signedIn() && h('button', {
      type: 'button', class: 'link', id: 'sign-out',
      onclick: () => { signOut(); forgetRole(); location.hash = '#/'; route(); },
    }, t('signOut')),
  );
  document.documentElement.lang = language() === 'zh' ? 'zh-CN' : 'en';
  document.title = t('title');
}

function renderSignIn() {
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'current-password', required: true });
  const message = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'card sign-in' },
    h('label', { for: 'token' }, t('token')), input,
    h('p', { class: 'hint' }, t('tokenHelp')),
    h('button', { type: 'submit', class: 'primary' }, t('signIn')),
    message,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    // try the token before keeping it
    const res = await fetch('/api/residents', { headers: { authorization: `Bearer ${input.value.trim()}` } });
    if (!res.ok) { replace(message, t('tokenRejected')); return; }
    signIn(input.value.trim());
    route();
  });
  replace(main, form);
  input.focus();
}

async function renderResidents() {
  replace(main, h('p', { class: 'muted' }, t('loading')));
  try {
    const [residents, due] = await Promise.all([
      api('GET', '/api/residents'),
      api('GET', '/api/visits/due').catch(() => ({ items: [] })),
    ]);
    const reasons = new Map(due.items.map((d) => [d.residentId, d.reasons.map((r) => r.code)]));
    replace(main,
      h('h1', {}, t('residents')),
      h('ul', { class: 'residents', id: 'residents' }, residents.items.map((r) =>
        h('li', {},
          h('a', { href: `#/r/${encodeURIComponent(r.id)}`, class: `card resident${r.openAlerts ? ' alerting' : ''}`, 'data-resident': r.id },
            h('span', { class: 'name' }, r.name),
            r.openAlerts
              ? h('span', { class: 'badge alert' }, t('openAlerts', { n: r.openAlerts }))
              : h('span', { class: 'badge quiet' }, t('noOpenAlerts')),
            h('span', { class: 'muted small' }, [r.address, t('devices', { n: r.devices.length })].filter(Boolean).join(' · ')),
            reasons.has(r.id) && h('span', { class: 'chips' }, reasons.get(r.id).map((code) => h('span', { class: 'chip' }, t(`reason_${code}`)))),
          ),
        ))),
    );
  } catch (err) {
    replace(main, failure(err));
  }
}

async function route() {
  renderHeader();
  if (!signedIn()) return renderSignIn();
  const match = /^#\/r\/([a-z0-9-]+)/.exec(location.hash);
  const screen = /^#\/([a-z]+)(?:\/([0-9]+))?/.exec(location.hash);
  const section = match ? 'residents' : screen && SCREENS[screen[1]] ? screen[1] : 'residents';
  const admin = await isAdmin();
  header.append(navBar(section, admin));
  if (match) return renderCasefile(main, match[1], admin);
  if (section !== 'residents') return SCREENS[section](main, screen[2]);
  return renderResidents();
}

setLanguage(localStorage.getItem(LANG_KEY) ?? (navigator.language?.startsWith('zh') ? 'zh' : 'en'));
whenUnauthorized(route);
window.addEventListener('hashchange', route);
route();
