// The casefile: visits, problems (WT ids, deadlines), visit planning, reports and provisioning.
// "One person, one file" (issue 5). Transport-free: src/api/ turns these into routes.
import type { Db, ResidentRepository, TimelineRepository, AlertRepository } from '../store/index.ts';
import { casefileRepository } from './repository.ts';
import { visitService } from './visits.ts';
import { activityRepository } from './activity.ts';
import { dueVisits } from './planning.ts';
import { reportRepository } from './reports.ts';
import { provisioningService } from './provisioning.ts';

export interface CasefileDeps {
  db: Db;
  residents: ResidentRepository;
  timeline: TimelineRepository;
  alerts: AlertRepository;
  site: { timezone: string; holidays: readonly string[] };
  bridgeUsernames: readonly string[];
  configSecret(deviceId: string): string | undefined;
  now(): number;
  devicesChanged(deviceId: string): void;
  residentsChanged?(residentId: string): void;
  visitRecorded?(visit: { residentId: string; visitId: number; at: number; endedAt: number | null; until: number }): void;
}

export function createCasefile(deps: CasefileDeps) {
  const repo = casefileRepository(deps.db);
  const activity = activityRepository(deps.db);
  const reports = reportRepository(deps.db);
  const site = { timeZone: deps.site.timezone, holidays: new Set(deps.site.holidays) };
  return {
    site,
    visits: visitService({
      db: deps.db, repo, residents: deps.residents, timeline: deps.timeline, site, now: deps.now, visitRecorded: deps.visitRecorded,
    }),
    provisioning: provisioningService({
      db: deps.db, residents: deps.residents, alerts: deps.alerts, repo, bridgeUsernames: new Set(deps.bridgeUsernames),
      siteTimeZone: site.timeZone, configSecret: deps.configSecret, now: deps.now, devicesChanged: deps.devicesChanged, residentsChanged: deps.residentsChanged,
    }),
    activity,
    dueVisits: () => dueVisits({ residents: deps.residents, alerts: deps.alerts, repo, activity }, deps.now()),
    report: (from: string, to: string) => reports.report(from, to, site.timeZone, deps.now()),
  };
}
export type Casefile = ReturnType<typeof createCasefile>;

export { CasefileError } from './errors.ts';
export { problemDeadline, problemId, problemYear, type SiteCalendar, type Urgency } from './deadlines.ts';
export { DEFAULT_VISIT_CYCLE_MS, DEVICE_SILENCE_MS, LOW_ACTIVITY_RATIO, MIN_USUAL_WEEKLY } from './planning.ts';
export { ACTIVITY_SQL } from './activity.ts';
export type { VisitInput, ProblemInput, ProblemPatch, ProblemView } from './visits.ts';
export type { ProblemCategory, ProblemStatus, Observations } from './repository.ts';
export type { ResidentFields } from './validate.ts';
export type { DevicePatch } from './provisioning.ts';
