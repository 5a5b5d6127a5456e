// Reminders (GET /api/reminders?from&to): what a caseworker must not forget in a span of days.
// - problem deadlines: open problems due within the next 24 h, already passed, or due in the span
// - visits due by each resident's visit cycle (default 30 days; never visited: due now)
// - birthdays (residents[].birthday), festivals when visiting is customary (lunar dates)
// - follow-up appointments (复诊日) recorded on the casefile
// - the knock-on-door day (site.knockDay) with the residents on that round, by area
// Days are whole days of site.timezone; `due` is an ISO instant for what falls due at a moment
// (deadlines, visits) and a date YYYY-MM-DD for what falls on a day.
import type { Store } from '../store/index.ts';
import type { ProfileService } from './profile.ts';
import { addDays, isCivilDate, localDate, startOfDay, weekday, type CivilDate } from './calendar.ts';
import { festivalsBetween } from './festivals.ts';
import { DEFAULT_VISIT_CYCLE_MS } from './planning.ts';
import { invalid } from './errors.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** the longest span one request may ask for */
export const MAX_REMINDER_DAYS = 366;
const WEEKDAY_INDEX: Record<string, number> = { sunday: 0, monday: 1, tuesday: 2, wednesday: 3, thursday: 4, friday: 5, saturday: 6 };

export interface ReminderDeps {
  store: Store;
  profiles: ProfileService;
  timeZone: string;
  knockDay?: string;
}

export function validSpan(from: string, to: string): void {
  if (!isCivilDate(from)) throw invalid('from: expected a date like 2026-03-01', 'invalid_date');
  if (!isCivilDate(to)) throw invalid('to: expected a date like 2026-03-31', 'invalid_date');
  if (from < '1901-01-01' || to > '2099-12-31') throw invalid('from, to: dates from 1901 to 2099 only', 'date_out_of_range', { field: from < '1901-01-01' ? 'from' : 'to', min: '1901-01-01', max: '2099-12-31' });
  if (from > to) throw invalid('from: must not be after to', 'from_after_to');
  if ((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS >= MAX_REMINDER_DAYS) throw invalid(`to: at most ${MAX_REMINDER_DAYS} days from from`, 'span_too_long', { max: MAX_REMINDER_DAYS });
}

/** the dates on from..to that fall on `knockDay` (a weekday name) */
export function knockDates(from: CivilDate, to: CivilDate, knockDay: string): CivilDate[] {
  const want = WEEKDAY_INDEX[knockDay];
  const out: CivilDate[] = [];
  let d = addDays(from, (want - weekday(from) + 7) % 7);
  while (d <= to) { out.push(d); d = addDays(d, 7); }
  return out;
}

/** the first knock day on or after `date` */
export function nextKnockDate(date: CivilDate, knockDay: string): CivilDate {
  return addDays(date, (WEEKDAY_INDEX[knockDay] - weekday(date) + 7) % 7);
}

/** a birthday's anniversary in `year`; 29 February is kept on 28 February in common years */
function anniversary(birthday: string, year: number): CivilDate {
  const md = birthday.slice(5);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return `${year}-${md === '02-29' && !leap ? '02-28' : md}`;
}

export function reminderService(deps: ReminderDeps) {
  const { store } = deps;
  return {
    async reminders(from: string, to: string, now: number) {
      validSpan(from, to);
      const tz = deps.timeZone;
      const start = startOfDay(from, tz);
      const end = startOfDay(addDays(to, 1), tz);
      const today = localDate(now, tz);
      const items: Array<Record<string, unknown> & { kind: string; residentId: string | null; due: string; date: string; sortAt: number }> = [];
      const residents = await store.residents.listResidents();
      const byArea = [...residents].sort((a, b) => (a.area ?? '\uffff').localeCompare(b.area ?? '\uffff') || a.name.localeCompare(b.name));

      // deadlines: passed, within 24 h, or inside the span
      const horizon = Math.max(end, now + DAY_MS);
      for (const p of await store.casefileReports.openProblemsBefore(horizon)) {
        items.push({
          kind: 'problem_deadline', residentId: p.residentId, due: new Date(p.deadline).toISOString(), date: localDate(p.deadline, tz), sortAt: p.deadline,
          problemId: p.id, description: p.description, category: p.category, subcategory: p.subcategory, urgency: p.urgency,
          responsible: p.responsible, status: p.status, overdue: p.deadline < now, within24h: p.deadline >= now && p.deadline < now + DAY_MS,
        });
      }

      // visits due by cycle: the next one falls in the span or is already late
      const lastVisits = await store.visits.lastVisits(now);
      for (const r of residents) {
        const cycle = r.visitCycleMs ?? DEFAULT_VISIT_CYCLE_MS;
        const last = lastVisits.get(r.id);
        const dueAt = last === undefined ? now : last + cycle;
        if (dueAt >= end) continue;
        items.push({
          kind: 'visit_due', residentId: r.id, due: new Date(dueAt).toISOString(), date: localDate(dueAt, tz), sortAt: dueAt,
          lastVisitAt: last === undefined ? null : new Date(last).toISOString(), visitCycleDays: Math.round((cycle / DAY_MS) * 10) / 10,
          neverVisited: last === undefined, overdue: last !== undefined && dueAt < now,
        });
      }

      for (const r of residents) {
        if (!r.birthday) continue;
        for (let y = Number(from.slice(0, 4)); y <= Number(to.slice(0, 4)); y++) {
          const date = anniversary(r.birthday, y);
          if (date < from || date > to || y < Number(r.birthday.slice(0, 4))) continue;
          items.push({ kind: 'birthday', residentId: r.id, due: date, date, sortAt: startOfDay(date, tz), birthday: r.birthday, age: y - Number(r.birthday.slice(0, 4)) });
        }
      }

      const everyone = byArea.map((r) => r.id);
      for (const f of festivalsBetween(from, to)) {
        items.push({ kind: 'festival', residentId: null, due: f.date, date: f.date, sortAt: startOfDay(f.date, tz), festival: f.code, lunarDate: f.lunar, residentIds: everyone });
      }

      for (const a of await deps.profiles.appointmentsIn(from, to)) {
        items.push({
          kind: 'follow_up_appointment', residentId: a.residentId, due: a.date, date: a.date, sortAt: startOfDay(a.date, tz),
          appointmentId: a.id, appointmentKind: a.kind, time: a.time, place: a.place, note: a.note,
        });
      }

      if (deps.knockDay) {
        // oldest first within a day
        const rounds = (await store.rounds.list(from, to)).sort((a, b) => a.id - b.id);
        const areas = new Map<string, string[]>();
        for (const r of byArea) {
          const key = r.area ?? '';
          areas.set(key, [...(areas.get(key) ?? []), r.id]);
        }
        for (const date of knockDates(from, to, deps.knockDay)) {
          items.push({
            kind: 'knock_day', residentId: null, due: date, date, sortAt: startOfDay(date, tz), knockDay: deps.knockDay,
            residentIds: everyone,
            residents: byArea.map((r) => ({ residentId: r.id, name: r.name, area: r.area, address: r.address })),
            areas: [...areas.entries()].map(([area, residentIds]) => ({ area: area || null, residentIds })),
            rounds: rounds.filter((x) => x.date === date).map((x) => ({ id: x.id, area: x.area })),
          });
        }
      }

      items.sort((a, b) => a.sortAt - b.sortAt || a.kind.localeCompare(b.kind) || String(a.residentId).localeCompare(String(b.residentId)));
      return { from, to, timezone: tz, today, items: items.map(({ sortAt: _sortAt, ...rest }) => rest) };
    },
  };
}
export type ReminderService = ReturnType<typeof reminderService>;
