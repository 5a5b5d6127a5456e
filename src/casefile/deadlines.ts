// Problem deadlines and WT numbers (CONTRACT.md "HTTP"): pure functions of the visit
// time, the site's calendar and the year's counter.
import { addDays, localDate, localParts, startOfDay } from './calendar.ts';
import { isWorkingDayOn, type WorkingCalendar } from './official-calendar.ts';

export type Urgency = 'high' | 'normal';

export interface SiteCalendar extends WorkingCalendar {
  timeZone: string;
}

const DAY_MS = 24 * 3_600_000;
/** normal problems: settled within 3 working days */
export const NORMAL_WORKING_DAYS = 3;

/**
 * When a problem found at `visitAt` must be solved.
 * - high: first response within 24 h, so exactly 24 h after the visit.
 * - normal: by the end (23:59:59.999 local) of the 3rd working day after the day of the visit,
 *   in site.timezone. The visit day itself never counts, whatever the hour: a problem found on
 *   Friday afternoon is due at the end of Wednesday, one found on Saturday also at the end of
 *   Wednesday. Days off are skipped: weekends and public holidays of China's official calendar
 *   (site.calendar: cn) and site.holidays; make-up working days (调休, site.workdays too) count.
 */
export function problemDeadline(visitAt: number, urgency: Urgency, site: SiteCalendar): number {
  if (urgency === 'high') return visitAt + DAY_MS;
  let day = localDate(visitAt, site.timeZone);
  let counted = 0;
  while (counted < NORMAL_WORKING_DAYS) {
    day = addDays(day, 1);
    if (isWorkingDayOn(day, site)) counted++;
  }
  return startOfDay(addDays(day, 1), site.timeZone) - 1;
}

/** the year a problem is numbered in: the visit's year on the site's calendar */
export function problemYear(visitAt: number, timeZone: string): number {
  return localParts(visitAt, timeZone).year;
}

/** WT{year}{seq}, seq zero-padded to at least 3 digits: WT2026001, ..., WT20261000 */
export function problemId(year: number, seq: number): string {
  return `WT${year}${String(seq).padStart(3, '0')}`;
}
