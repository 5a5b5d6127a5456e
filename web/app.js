// The caseworker page: sign in as yourself, then the screens. Screens are modules that register
// with the shell (shell.js); this file only boots, signs in and out, and lists the screens.
import { t } from './i18n.js';
import { replace } from './dom.js';
import { loadSession, signOut, whenUnauthorized } from './api.js';
import { initLanguage, registerScreen, renderHeader, route, leaveScreen, setSignOutHandler } from './shell.js';
import { startLive, stopLive, trackTitle, unlockSound } from './live.js';
import { loadAll, reset } from './store.js';
import { renderSignIn } from './screens/signin.js';
import { homeScreen } from './screens/home.js';
import { usersScreen } from './screens/users.js';
import { outboxSync } from './outbox.js';
// reminders, planning, rounds, warnings, reports, provisioning: they register themselves
import './screens/workspace.js';

registerScreen(homeScreen);
registerScreen(usersScreen);

const main = document.getElementById('main');
let signedIn = false;

function showSignIn() {
  signedIn = false;
  stopLive();
  leaveScreen();
  reset();
  renderHeader();
  document.title = t('title');
  renderSignIn(main, enter);
}

async function enter() {
  signedIn = true;
  renderHeader();
  replace(main, t('loading'));
  startLive({ onUnauthorized: showSignIn });
  trackTitle();
  outboxSync.start();
  try {
    await loadAll();
  } catch { /* each screen says what failed when it draws */ }
  route(true);
}

setSignOutHandler(async () => {
  // the stream first: signing out ends it on the server, and a stream still open would try
  // again with the ended session (a 401 the browser logs)
  signedIn = false;
  stopLive();
  await signOut();
  location.hash = '#/';
  showSignIn();
});

initLanguage();
whenUnauthorized(() => { if (signedIn) showSignIn(); });
window.addEventListener('hashchange', () => { if (signedIn) route(); });
// sound needs a tap first (autoplay rules): the first tap anywhere unlocks it
document.addEventListener('pointerdown', unlockSound, { once: true });
document.addEventListener('keydown', unlockSound, { once: true });

const me = await loadSession().catch(() => null);
if (me) enter(); else showSignIn();
