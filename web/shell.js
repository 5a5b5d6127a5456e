// The page's shell: the header (who is signed in, language, sign out), the navigation, and a
// small hash router. Each screen is its own module that registers itself here:
//
//   registerScreen({ id: 'reminders', match: (hash) => hash === '#/reminders' ? {} : null,
//                    nav: { label: 'nav.reminders', href: '#/reminders', order: 30 },
//                    render(main, params) { ...; return () => { /* cleanup */ } } });
//
// A screen may also declare `roles: ['admin']` (hidden and refused for others) and `layout`
// ('wide' for a screen that uses the whole desktop width).
import { t, setLanguage, language, locale } from './i18n.js';
import { h, replace } from './dom.js';
import { currentUser } from './api.js';

const LANG_KEY = 'gw.lang';
const screens = [];
let cleanup = null;
let current = null;
let onSignOut = () => {};

export function registerScreen(screen) {
  screens.push(screen);
}

export function setSignOutHandler(fn) { onSignOut = fn; }

export function initLanguage() {
  const saved = localStorage.getItem(LANG_KEY);
  setLanguage(saved ?? (navigator.language?.toLowerCase().startsWith('zh') ? 'zh' : 'en'));
  document.documentElement.lang = locale();
}

function allowed(screen, me) {
  return !screen.roles || (me && screen.roles.includes(me.role));
}

export function renderHeader() {
  const me = currentUser();
  const header = document.getElementById('header');
  replace(header,
    h('a', { href: '#/', class: 'brand' }, t('title')),
    h('span', { class: 'spacer' }),
    me && h('span', { class: 'who', id: 'who' }, me.displayName),
    h('button', {
      type: 'button', class: 'link', id: 'lang', lang: language() === 'en' ? 'zh-CN' : 'en',
      onclick: () => {
        const next = language() === 'en' ? 'zh' : 'en';
        localStorage.setItem(LANG_KEY, next);
        setLanguage(next);
        document.documentElement.lang = locale();
        route(true);
      },
    }, t('otherLanguage')),
    me && h('button', { type: 'button', class: 'link', id: 'sign-out', onclick: () => onSignOut() }, t('signOut')),
  );
  const nav = document.getElementById('nav');
  const links = screens.filter((s) => s.nav && allowed(s, me)).sort((a, b) => (a.nav.order ?? 50) - (b.nav.order ?? 50));
  nav.hidden = !me || links.length < 2;
  replace(nav, links.map((s) => h('a', {
    href: s.nav.href, class: `nav-link${current?.screen === s ? ' on' : ''}`, 'data-screen': s.id,
    'aria-current': current?.screen === s ? 'page' : false,
  }, t(s.nav.label))));
}

/** draws the screen the address names; `force` redraws it even when it is already showing */
export function route(force = false) {
  const me = currentUser();
  const hash = location.hash || '#/';
  const main = document.getElementById('main');
  let found = null;
  for (const screen of screens) {
    const params = screen.match(hash, me);
    if (params) { found = { screen, params }; break; }
  }
  if (!found || !allowed(found.screen, me)) {
    found = { screen: screens.find((s) => s.id === 'home'), params: {} };
  }
  // a screen may take a change of address itself (the residents list keeps its scroll)
  if (!force && current?.screen === found.screen && found.screen.update?.(found.params) === true) {
    current = found;
    renderHeader();
    return;
  }
  cleanup?.();
  cleanup = null;
  current = found;
  renderHeader();
  document.body.dataset.screen = found.screen.id;
  document.body.classList.toggle('wide', found.screen.layout === 'wide');
  const done = found.screen.render(main, found.params);
  cleanup = typeof done === 'function' ? done : null;
}

export function leaveScreen() {
  cleanup?.();
  cleanup = null;
  current = null;
}
