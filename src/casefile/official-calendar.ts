// China's official working-day calendar: the public holidays the State Council announces each
// year and the make-up working days (调休, often a Saturday or Sunday) that go with them. The
// dates come from the maintained chinese-days package (one JSON per year, updated when the
// next year's arrangement is published); site.holidays and site.workdays add to it or correct
// it, and cover years the package does not know yet. Outside the known years a day is a working
// day Monday to Friday.
import { createRequire } from 'node:module';
import { weekday, type CivilDate } from './calendar.ts';

interface ChineseDaysData {
  holidays: Record<string, string>;
  workdays: Record<string, string>;
}

const require = createRequire(import.meta.url);
const data = require('chinese-days/dist/chinese-days.json') as ChineseDaysData;

const OFFICIAL_HOLIDAYS = new Set(Object.keys(data.holidays));
const OFFICIAL_WORKDAYS = new Set(Object.keys(data.workdays));
const years = [...OFFICIAL_HOLIDAYS].map((d) => Number(d.slice(0, 4)));
/** the years whose official arrangement the package carries */
export const OFFICIAL_YEARS = { first: Math.min(...years), last: Math.max(...years) };

export interface WorkingCalendar {
  /** site.holidays: days off on top of the official ones */
  holidays: ReadonlySet<string>;
  /** site.workdays: make-up working days on top of the official ones */
  workdays?: ReadonlySet<string>;
  /** true: China's official calendar; false or absent: weekends and the lists above only */
  official?: boolean;
}

/** what kind of day `date` is, and why */
export function dayKind(date: CivilDate, cal: WorkingCalendar): { working: boolean; reason: 'workday' | 'weekend' | 'holiday' | 'makeup_workday'; name?: string } {
  if (cal.workdays?.has(date)) return { working: true, reason: 'makeup_workday' };
  if (cal.holidays.has(date)) return { working: false, reason: 'holiday' };
  if (cal.official) {
    if (OFFICIAL_WORKDAYS.has(date)) return { working: true, reason: 'makeup_workday', name: data.workdays[date].split(',')[1] };
    if (OFFICIAL_HOLIDAYS.has(date)) return { working: false, reason: 'holiday', name: data.holidays[date].split(',')[1] };
  }
  const w = weekday(date);
  return w === 0 || w === 6 ? { working: false, reason: 'weekend' } : { working: true, reason: 'workday' };
}

export function isWorkingDayOn(date: CivilDate, cal: WorkingCalendar): boolean {
  return dayKind(date, cal).working;
}
