// The workspace's screens registered with the shell: reminders, planning, the knock-on-door
// round, warnings, reports, and provisioning for admins. Each is its own module; this file
// gives them their addresses, their places in the navigation and their words.
import { addStrings } from '../i18n.js';
import { registerScreen } from '../shell.js';
import { WORKSPACE } from '../strings/workspace.js';
import { renderReminders } from './reminders.js';
import { renderPlanning } from './planning.js';
import { renderRounds } from './rounds.js';
import { renderWarnings } from './warnings.js';
import { renderReports } from './reports.js';
import { renderAdmin } from './admin.js';

addStrings(WORKSPACE);

const exact = (hash) => (h) => (h === hash || h.startsWith(`${hash}?`) ? {} : null);

export const workspaceScreens = [
  { id: 'reminders', match: exact('#/reminders'), nav: { label: 'nav.reminders', href: '#/reminders', order: 10 }, render: (main) => { renderReminders(main); } },
  { id: 'planning', match: exact('#/planning'), nav: { label: 'nav.planning', href: '#/planning', order: 20 }, render: (main) => { renderPlanning(main); } },
  {
    id: 'rounds',
    match: (h) => { const m = /^#\/rounds(?:\/(\d+))?$/.exec(h); return m ? { id: m[1] } : null; },
    nav: { label: 'nav.rounds', href: '#/rounds', order: 30 },
    render: (main, params) => { renderRounds(main, params.id); },
  },
  { id: 'warnings', match: exact('#/warnings'), nav: { label: 'nav.warnings', href: '#/warnings', order: 40 }, render: (main) => { renderWarnings(main); } },
  { id: 'reports', match: exact('#/reports'), nav: { label: 'nav.reports', href: '#/reports', order: 50 }, render: (main) => { renderReports(main); } },
  { id: 'admin', roles: ['admin'], match: exact('#/admin'), nav: { label: 'nav.admin', href: '#/admin', order: 80 }, render: (main) => { renderAdmin(main); } },
];

for (const screen of workspaceScreens) registerScreen(screen);
