// Civil dates in the site's time zone: reports, working-day deadlines and WT years all follow
// `site.timezone` (CONTRACT.md "HTTP"). The zone itself is src/time (on Temporal): a local time
// in a spring-forward gap moves forward by the gap, one in a fall-back overlap is the earlier.
import { localParts, zonedInstant } from '../time/index.ts';

export { localParts, type LocalParts } from '../time/index.ts';

/** A civil date "YYYY-MM-DD". */
export type CivilDate = string;

/**
 * The calendar the gateway keeps: days from the epoch (its times are milliseconds since then) to
 * the last day whose following midnight is still a four-digit date. Outside it a question is a
 * 400, never a RangeError thrown by Date or Intl.
 */
export const CALENDAR_FIRST: CivilDate = '1970-01-01';
export const CALENDAR_LAST: CivilDate = '9999-12-30';
/** times that records (visits, solutions) may carry: the calendar, less a year for deadlines counted from them */
export const TIME_MIN = Date.UTC(1970, 0, 1);
export const TIME_MAX = Date.UTC(9999, 0, 1) - 1;

/** a real calendar date inside the calendar the gateway keeps */
export function inCalendar(date: CivilDate): boolean {
  return isCivilDate(date) && date >= CALENDAR_FIRST && date <= CALENDAR_LAST;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** a real calendar date, e.g. not 2026-02-30 */
export function isCivilDate(text: string): boolean {
  const m = DATE_RE.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === text;
}

function parseDate(date: CivilDate): [number, number, number] {
  const m = DATE_RE.exec(date);
  if (!m) throw new RangeError(`not a date: ${date}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

export function localDate(at: number, timeZone: string): CivilDate {
  const p = localParts(at, timeZone);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

export function addDays(date: CivilDate, days: number): CivilDate {
  const [y, m, d] = parseDate(date);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** 0 = Sunday ... 6 = Saturday */
export function weekday(date: CivilDate): number {
  const [y, m, d] = parseDate(date);
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay();
}

/** the instant local midnight begins `date` in `timeZone` */
export function startOfDay(date: CivilDate, timeZone: string): number {
  const [y, m, d] = parseDate(date);
  return zonedInstant(timeZone, y, m, d);
}

/** Weekends (Saturday, Sunday) and `holidays` are not working days (see official-calendar.ts for China's). */
export function isWorkingDay(date: CivilDate, holidays: ReadonlySet<string>): boolean {
  const w = weekday(date);
  return w !== 0 && w !== 6 && !holidays.has(date);
}

const MOMENT_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * An ISO-8601 moment. With an offset or Z it is exact; without one (what a browser's
 * datetime-local field gives) it is read as wall-clock time in `timeZone`. NaN when malformed.
 */
export function parseMoment(text: string, timeZone: string): number {
  const m = MOMENT_RE.exec(text.trim());
  if (!m) return NaN;
  const [y, mo, d, h, mi] = [1, 2, 3, 4, 5].map((i) => Number(m[i]));
  const s = Number(m[6] ?? 0);
  const ms = Number((m[7] ?? '0').padEnd(3, '0'));
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return NaN;
  if (!isCivilDate(`${m[1]}-${m[2]}-${m[3]}`)) return NaN;
  if (!m[8]) return zonedInstant(timeZone, y, mo, d, h, mi, s, ms);
  const zone = m[8].toUpperCase() === 'Z' ? 0 : (() => {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(m[8])!;
    return (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3] ?? 0)) * 60_000;
  })();
  return Date.UTC(y, mo - 1, d, h, mi, s, ms) - zone;
}
