// The casefile: visits, problems (WT ids, deadlines), visit planning, reports and provisioning.
// "One person, one file". Transport-free: src/api/ turns these into routes.
import type { Store } from '../store/index.ts';
import { visitService } from './visits.ts';
import { activityRepository } from './activity.ts';
import { dueVisits } from './planning.ts';
import { reportRepository } from './reports.ts';
import { provisioningService } from './provisioning.ts';
import { profileService } from './profile.ts';
import { referralService } from './referrals.ts';
import { photoService } from './photos.ts';
import { reminderService, validSpan } from './reminders.ts';
import { roundService } from './rounds.ts';
import { warningService } from './warnings.ts';
import { warmthRepository } from './warmth.ts';
import { reportSeriesRepository } from './report-series.ts';

export interface CasefileDeps {
  /** the store's ports: every casefile table is behind them */
  store: Store;
  site: { timezone: string; holidays: readonly string[]; workdays?: readonly string[]; calendar?: 'cn' | 'weekends'; knockDay?: string };
  bridgeUsernames: readonly string[];
  configSecret(deviceId: string): string | undefined;
  now(): number;
  devicesChanged(deviceId: string): void;
  residentsChanged?(residentId: string): void;
  visitRecorded?(visit: { residentId: string; visitId: number; at: number; endedAt: number | null; until: number }): void;
  /** where photos are kept: a folder beside the database */
  photoDir: string;
}

export function createCasefile(deps: CasefileDeps) {
  const activity = activityRepository(deps.store.events);
  const reports = reportRepository(deps.store.casefileReports);
  const site = {
    timeZone: deps.site.timezone, holidays: new Set(deps.site.holidays), workdays: new Set(deps.site.workdays ?? []),
    official: (deps.site.calendar ?? 'cn') === 'cn',
  };
  const visits = visitService({
    store: deps.store, site, now: deps.now, visitRecorded: deps.visitRecorded,
  });
  const profiles = profileService({ store: deps.store, now: deps.now });
  const warmth = warmthRepository(deps.store.casefileReports);
  const series = reportSeriesRepository(deps.store.casefileReports);
  const knockDay = deps.site.knockDay;
  return {
    site,
    knockDay,
    visits,
    profiles,
    referrals: referralService({ store: deps.store, timeZone: site.timeZone, now: deps.now }),
    photos: photoService({ store: deps.store, dir: deps.photoDir, now: deps.now }),
    reminders: reminderService({ store: deps.store, profiles, timeZone: site.timeZone, knockDay }),
    rounds: roundService({ store: deps.store, visits, timeZone: site.timeZone, knockDay, now: deps.now }),
    warnings: warningService({ store: deps.store }),
    warmth: (scope: { residentId?: string; area?: string }) => warmth.index(scope, site.timeZone, deps.now()),
    provisioning: provisioningService({
      store: deps.store, bridgeUsernames: new Set(deps.bridgeUsernames),
      siteTimeZone: site.timeZone, configSecret: deps.configSecret, now: deps.now, devicesChanged: deps.devicesChanged, residentsChanged: deps.residentsChanged,
    }),
    activity,
    dueVisits: (filter: { area?: string } = {}) => dueVisits({ residents: deps.store.residents, alerts: deps.store.alerts, visits: deps.store.visits, activity }, deps.now(), filter),
    report: (from: string, to: string, area?: string) => reports.report(from, to, site.timeZone, deps.now(), area ?? null),
    /** the report per day or week and per area (the reports screen's charts and CSV) */
    async reportSeries(from: string, to: string, area?: string) {
      validSpan(from, to);
      return series.series(from, to, site.timeZone, deps.now(), area ?? null);
    },
  };
}
export type Casefile = ReturnType<typeof createCasefile>;

export { CasefileError } from './errors.ts';
export { problemDeadline, problemId, problemYear, type SiteCalendar, type Urgency } from './deadlines.ts';
export { DEFAULT_VISIT_CYCLE_MS, DEVICE_SILENCE_MS, LOW_ACTIVITY_RATIO, MIN_USUAL_WEEKLY } from './planning.ts';
export type { VisitInput, ProblemInput, ProblemPatch, ProblemView } from './visits.ts';
export type { ProblemCategory, ProblemStatus, Observations } from './repository.ts';
export type { ResidentFields } from './validate.ts';
export type { DevicePatch } from './provisioning.ts';
